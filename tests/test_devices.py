"""The GPU path: what a training job gets is what it uses, and a GPU preset never trains on a CPU.

Nothing here has a GPU, so GPUs are faked where TensorFlow is asked how many it sees; the
strategy, replica count, precision policy and optimizer are then the ones TensorFlow builds.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf
import tf_keras
import yaml

from conftest import REPO, snakemake
from spatule import devices, model
from spatule.stages.training import training_experiment
from spatule.devices import INSTALL_COMMAND, device_plan, diagnose
from spatule.gpu_check import write_check_split
from spatule.presets import PRESET_DEFAULTS, resolve_preset
from spatule.problems import SpatuleError

GPU, DEMO = PRESET_DEFAULTS["gpu"], PRESET_DEFAULTS["demo"]


# ----------------------------------------------------------------------------- the plan

@pytest.mark.parametrize("preset, seen, strategy, replicas, precision", [
    (DEMO, 0, "one_device", 1, "float32"),
    (DEMO, 1, "one_device", 1, "float32"),  # a CPU preset on a GPU node uses the GPU
    (GPU, 1, "one_device", 1, "float16"),
    (GPU, 2, "mirrored", 2, "float16"),
    (GPU, 4, "mirrored", 4, "float16"),
])
def test_the_plan_uses_every_gpu_tensorflow_sees(preset, seen, strategy, replicas, precision):
    plan = device_plan(preset, seen)
    assert (plan.gpus, plan.strategy, plan.replicas, plan.mixed_precision) == (seen, strategy, replicas, precision)
    assert plan.device == {0: "CPU", 1: "GPU:0"}.get(seen, f"{seen} GPUs")


def test_a_gpu_preset_without_gpu_stops_with_the_install_command():
    with pytest.raises(SpatuleError) as caught:
        device_plan(GPU, 0, "no NVIDIA driver", "gpu")
    message = str(caught.value)
    assert "TensorFlow sees no GPU" in message and "no NVIDIA driver" in message
    assert INSTALL_COMMAND in message and "requirements-gpu.txt" in message and "train.preset: demo" in message


def test_half_precision_asked_on_a_cpu_runs_float32_and_says_so():
    plan = device_plan(resolve_preset("demo", {"mixed_precision": "float16"}), 0, "no NVIDIA driver")
    assert plan.mixed_precision == "float32" and not plan.enable_xla
    assert any("GPUs only" in note for note in plan.notes) and any("no NVIDIA driver" in n for n in plan.notes)


@pytest.mark.parametrize("overrides, seen, key, fit", [
    ({}, 3, "batch_size", 18),  # 16 over 3 GPUs
    ({"batch_size": 24}, 3, "val_batch_size", 9),  # 24 splits, the validation batch of 8 does not
])
def test_batches_that_do_not_split_over_the_gpus_name_the_key(overrides, seen, key, fit):
    with pytest.raises(SpatuleError, match=rf"train\.{key} \d+ does not split evenly over the {seen} GPUs.*e\.g\. "
                                           rf"{fit}"):
        device_plan(resolve_preset("gpu", overrides), seen)
    assert device_plan(resolve_preset("gpu", {"batch_size": 24, "val_batch_size": 9}), 3).replicas == 3


def test_the_learning_rate_follows_the_batch_unless_given():
    assert resolve_preset("gpu", {"batch_size": 32}).learning_rate == pytest.approx(2 * GPU.learning_rate)
    assert resolve_preset("demo", {"batch_size": 4}).learning_rate == pytest.approx(DEMO.learning_rate / 2)
    assert resolve_preset("gpu", {"batch_size": 32, "learning_rate": 0.01}).learning_rate == 0.01
    # the gpu preset is the Model Garden's RetinaNet rate per image (0.32 at batch 256)
    assert GPU.learning_rate / GPU.batch_size == pytest.approx(0.32 / 256)


def test_diagnosis_names_what_is_missing():
    build = {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"}
    assert diagnose(build, {}, driver=True, cuda_wheels=True) == ""
    assert "no NVIDIA driver" in diagnose(build, {}, driver=False, cuda_wheels=True)
    assert "CUDA 12.5.1/cuDNN 9 libraries are not installed" in diagnose(build, {}, driver=True, cuda_wheels=False)
    assert "hides every GPU" in diagnose(build, {"CUDA_VISIBLE_DEVICES": ""}, driver=True, cuda_wheels=True)
    assert "built without CUDA" in diagnose({"is_cuda_build": False}, {}, driver=True, cuda_wheels=True)


# ----------------------------------------------------------------------------- as the workflow resolves it

def shipped_config_with(overrides: dict) -> dict:
    """config.yaml with a --configfile on top, merged as Snakemake merges them (nested keys update)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())

    def update(base: dict, extra: dict) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                update(base[key], value)
            else:
                base[key] = value

    update(config, copy.deepcopy(overrides))
    return config


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("check")
    train, _ = write_check_split(root, "train", 4, seed=0)
    val, val_json = write_check_split(root, "val", 2, seed=1, first_id=101)
    return {"train_records": [train], "val_records": [val], "val_json": val_json}


@pytest.fixture()
def policy_restored():
    yield
    tf_keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("seen", [1, 2])
def test_the_gpu_preset_over_the_shipped_config_trains_on_the_gpus_it_sees(seen, records, monkeypatch,
                                                                          policy_restored):
    from official.core import task_factory

    config = shipped_config_with({"train": {"preset": "gpu"}})
    assert config["train"]["gpus"] == 0  # the shipped resource request: it no longer reaches the experiment
    monkeypatch.setattr(devices, "visible_gpus", lambda: seen)
    pretrained = Path("resources/pretrained") / config["pretrained"]["name"]
    experiment = training_experiment(config["train"], pretrained=pretrained, **records)
    runtime = experiment.runtime
    assert (runtime.num_gpus, runtime.mixed_precision_dtype, runtime.loss_scale) == (seen, "float16", "dynamic")
    assert experiment.task.train_data.dtype == "float16"
    assert experiment.task.init_checkpoint == str(pretrained)
    assert experiment.task.init_checkpoint_modules == "backbone,decoder"

    strategy = model.prepare_runtime(experiment)  # what train() does before building the task
    expected = tf.distribute.MirroredStrategy if seen > 1 else tf.distribute.OneDeviceStrategy
    assert type(strategy) is expected and strategy.num_replicas_in_sync == seen
    assert [d.rsplit("/", 1)[-1] for d in strategy.extended.worker_devices] == [f"device:GPU:{k}" for k in range(seen)]
    assert tf_keras.mixed_precision.global_policy().name == "mixed_float16"
    task = task_factory.get_task(experiment.task)
    optimizer = task.create_optimizer(experiment.trainer.optimizer_config, experiment.runtime)
    assert isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer) and optimizer.dynamic


def test_the_gpu_preset_without_gpu_stops_before_building_anything(records, monkeypatch):
    config = shipped_config_with({"train": {"preset": "gpu"}})
    monkeypatch.setattr(devices, "visible_gpus", lambda: 0)
    with pytest.raises(SpatuleError, match="TensorFlow sees no GPU.*requirements-gpu.txt"):
        training_experiment(config["train"], pretrained=Path("resources/pretrained/x"), **records)


def test_a_config_planned_for_more_gpus_than_here_is_refused(records, monkeypatch):
    monkeypatch.setattr(devices, "visible_gpus", lambda: 2)
    experiment = training_experiment({"preset": "gpu", "init_checkpoint": ""}, **records)
    monkeypatch.setattr(devices, "visible_gpus", lambda: 1)
    with pytest.raises(SpatuleError, match="planned for 2 GPU.*sees 1"):
        model.build_strategy(experiment)


# ----------------------------------------------------------------------------- the commands

@pytest.mark.workflow
def test_gpu_preset_without_gpu_fails_the_run_within_two_minutes(tmp_path: Path):
    if devices.visible_gpus():
        pytest.skip("TensorFlow sees a GPU here: the gpu preset would train")
    config = tmp_path / "gpu.yaml"
    config.write_text(yaml.safe_dump({"train": {"preset": "gpu", "init_checkpoint": ""}}))  # no download
    began = time.monotonic()
    result = snakemake(tmp_path / "w", "--cores", "2", "results/model/metrics.json", configfile=config, check=False)
    elapsed = time.monotonic() - began
    output = result.stdout + result.stderr
    assert result.returncode != 0 and elapsed < 120, (elapsed, output[-3000:])
    assert "Error in rule devices" in output and "TensorFlow sees no GPU" in output
    assert INSTALL_COMMAND in output
    assert not (tmp_path / "w/results/tiles").exists()  # stopped before the synthesis


@pytest.mark.workflow
def test_gpu_check_trains_a_preset_and_reports_its_speed(tmp_path: Path):
    out = tmp_path / "check.json"
    result = subprocess.run([sys.executable, "-m", "spatule", "gpu-check", "--preset", "smoke", "--steps", "8",
                             "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    gpus = len(report["devices"]["gpus"])
    assert report["plan"]["device"] == {0: "CPU", 1: "GPU:0"}.get(gpus, f"{gpus} GPUs")
    assert report["steps"] == 8 and report["batch_size"] == PRESET_DEFAULTS["smoke"].batch_size
    assert report["steps_per_second"] > 0
    assert report["images_per_second"] == pytest.approx(report["steps_per_second"] * report["batch_size"])
    assert "steps/s" in result.stderr and "images/s" in result.stderr
    if not report["devices"]["gpus"]:
        gpu = subprocess.run([sys.executable, "-m", "spatule", "gpu-check"], cwd=REPO, capture_output=True,
                             text=True, timeout=300)
        assert gpu.returncode == 1 and INSTALL_COMMAND in gpu.stderr and "Traceback" not in gpu.stderr
