"""The detector (spatule.model): presets, training with resume and init, export, inference.

One smoke training (MobileNetV2 at 128 px, 4 steps, CPU) is shared by the module;
the other trainings are short continuations of it. Data: a few 640x640 noise
tiles with bright rectangles as tags, written here with the TF Object Detection
API keys the workflow's TFRecords carry, and the matching COCO JSON.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

import tensorflow as tf  # a broken TensorFlow install fails these tests, it never skips them

from spatule import model
from spatule.geometry import iou_matrix
from spatule.gpu_check import check_tile, write_check_split
from spatule.problems import SpatuleError
from spatule.provenance import sha256_file
from spatule.tables import read_csv

TILE = 640


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tfrecords")
    train_record, _ = write_check_split(root, "train", 6, seed=0)  # the workflow's TFRecord writer
    val_record, val_json = write_check_split(root, "val", 3, seed=1, first_id=101)  # odd: a partial last batch
    return {"train_files": str(train_record), "val_files": str(val_record), "val_annotation": str(val_json)}


def smoke_config(data: dict[str, str], **overrides):
    return model.experiment_config("smoke", overrides=overrides, **data)


@pytest.fixture(scope="module")
def smoke(data: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The one smoke training of the module: 4 steps, checkpoints at 2 and 4."""
    model_dir = tmp_path_factory.mktemp("smoke") / "model"
    return model_dir, model.run_training(smoke_config(data), model_dir, threads=2)


# ----------------------------------------------------------------------------- training

def test_smoke_training_writes_checkpoints_events_and_metrics(smoke):
    model_dir, metrics = smoke
    assert metrics["start_step"] == 0 and metrics["final_step"] == 4
    assert math.isfinite(metrics["loss"]) and metrics["loss"] > 0
    assert metrics["checkpoint"] == str(model_dir / "ckpt-4")
    assert tf.train.load_variable(metrics["checkpoint"], "global_step/.ATTRIBUTES/VARIABLE_VALUE") == 4
    assert {"ckpt-2.index", "ckpt-4.index", "params.yaml", "metrics.json"} <= {p.name for p in model_dir.iterdir()}
    train_events = model.read_scalars(model_dir / "train")
    assert [step for step, _, _ in train_events["total_loss"]] == [2, 4]
    val_events = model.read_scalars(model_dir / "validation")
    assert "AP50" in val_events and val_events["AP50"][-1][0] == 4
    # COCO evaluation ran against the annotation file: AP is a number (0 for an untrained model)
    assert metrics["AP50"] is not None and 0.0 <= metrics["AP50"] <= 1.0
    assert metrics["steps_per_second"] is not None and metrics["steps_per_second"] > 0
    assert json.loads((model_dir / "metrics.json").read_text())["final_step"] == 4
    # params.yaml reads back as the same experiment (export uses it)
    again = model.read_config(model_dir)
    assert again.task.model.num_classes == 2 and again.task.model.input_size == [128, 128, 3]


def test_rerun_with_more_steps_resumes_from_the_last_checkpoint(smoke, data, tmp_path: Path):
    source, _ = smoke
    model_dir = tmp_path / "model"
    shutil.copytree(source, model_dir)  # the smoke run, as if interrupted at step 4

    metrics = model.run_training(smoke_config(data, steps=6), model_dir, threads=2)
    assert metrics["start_step"] == 4 and metrics["final_step"] == 6
    # the only training loop of this run ended at step 6 (from 4), not at 2 (from 0)
    assert metrics["first_logged_step"] == 6
    assert tf.train.load_variable(str(model_dir / "ckpt-6"), "global_step/.ATTRIBUTES/VARIABLE_VALUE") == 6

    # a re-run once done trains nothing and reports the evaluation of the last checkpoint
    done = model.run_training(smoke_config(data, steps=6), model_dir, threads=2)
    assert done["start_step"] == done["final_step"] == 6 and done["first_logged_step"] is None
    assert done["val"]["total_loss"] == pytest.approx(metrics["val"]["total_loss"], rel=1e-4)
    assert done["loss"] == pytest.approx(metrics["loss"])


@pytest.fixture(scope="module")
def pretrained(smoke, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The smoke checkpoint published as a tarball, fetched (file:// URL) and unpacked like a pretrained one."""
    source, metrics = smoke
    root = tmp_path_factory.mktemp("pretrained")
    tarball = root / "published" / "smoke-ckpt.tar.gz"
    tarball.parent.mkdir()
    with tarfile.open(tarball, "w:gz") as archive:
        for path in sorted(source.glob("ckpt-4.*")):
            archive.add(path, arcname=f"smoke-ckpt/{path.name}")
    entry = model.Pretrained(url=tarball.as_uri(), sha256=sha256_file(tarball), folder="smoke-ckpt")
    prefix = model.pretrained_checkpoint(entry, root / "resources" / "pretrained")
    assert Path(prefix).name == "ckpt-4" and (root / "resources" / "pretrained" / "smoke-ckpt.tar.gz").is_file()
    return prefix


def test_init_from_a_smoke_checkpoint_loads_the_backbone(pretrained, data, tmp_path: Path):
    folder = str(Path(pretrained).parent.parent)  # a folder is fine: its newest checkpoint is used
    config = smoke_config(data, init_checkpoint=folder, init_checkpoint_modules="backbone", steps=2,
                          learning_rate=1e-9, seed=1)
    metrics = model.run_training(config, tmp_path / "model", threads=2)
    assert metrics["final_step"] == 2 and math.isfinite(metrics["loss"])
    names = [name for name, _ in tf.train.list_variables(metrics["checkpoint"])
             if name.endswith("kernel/.ATTRIBUTES/VARIABLE_VALUE") and "OPTIMIZER_SLOT" not in name]
    backbone = [n for n in names if n.startswith("backbone/")]
    head = [n for n in names if n.startswith("head/")]
    assert backbone and head
    for name in backbone[:5]:  # loaded (and barely moved at lr 1e-9)
        np.testing.assert_allclose(tf.train.load_variable(metrics["checkpoint"], name),
                                   tf.train.load_variable(pretrained, name), atol=1e-6)
    # the head was not loaded: another random init (seed 1)
    assert not np.allclose(tf.train.load_variable(metrics["checkpoint"], head[0]),
                           tf.train.load_variable(pretrained, head[0]), atol=1e-6)


def test_a_missing_init_checkpoint_is_a_clear_error(data, tmp_path: Path):
    config = smoke_config(data, init_checkpoint=str(tmp_path / "nowhere"))
    with pytest.raises(SpatuleError, match="nowhere.*does not exist"):
        model.run_training(config, tmp_path / "model", threads=2)


# ----------------------------------------------------------------------------- pretrained downloads

def test_sha256_mismatch_and_unsafe_tarballs_are_refused(tmp_path: Path):
    good = tmp_path / "a.tar.gz"
    with tarfile.open(good, "w:gz") as archive:
        info = tarfile.TarInfo("ckpt/ckpt-7.index")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(SpatuleError, match="a.tar.gz: sha256 .* does not match"):
        model.unpack_checkpoint(good, tmp_path / "out", sha256="0" * 64)
    assert model.unpack_checkpoint(good, tmp_path / "out", sha256=sha256_file(good)).endswith("ckpt/ckpt-7")

    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as archive:
        info = tarfile.TarInfo("../escape.index")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(SpatuleError, match="unsafe member"):
        model.unpack_checkpoint(evil, tmp_path / "out2")
    assert not (tmp_path / "escape.index").exists()

    with pytest.raises(SpatuleError, match="sha256"):  # a corrupt download is not kept
        model.download(good.as_uri(), tmp_path / "dl" / "b.tar.gz", sha256="1" * 64)
    assert not list((tmp_path / "dl").iterdir())


# ----------------------------------------------------------------------------- export and inference

@pytest.fixture(scope="module")
def exported(smoke, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """SavedModel + TFLite of the smoke run; a near-zero threshold so the untrained model outputs boxes."""
    model_dir, _ = smoke
    out = tmp_path_factory.mktemp("exported")
    return model.export_model(model.read_config(model_dir), model_dir, out / "saved_model",
                        tflite_path=out / "model.tflite", score_threshold=1e-4)


@pytest.fixture(scope="module")
def tile() -> np.ndarray:
    pixels, _ = check_tile(np.random.default_rng(5), 2)
    return pixels[..., ::-1].copy()  # RGB


def test_a_checkpoint_served_without_export_answers_as_the_saved_model(smoke, exported, tile):
    """What mining hard negatives runs: the serving graph over the checkpoint, not the SavedModel."""
    model_dir, _ = smoke
    batch = np.stack([tile, tile[::-1]])
    served = model.checkpoint_detector(model_dir, 1e-4)(batch)
    saved = model.load_detector(exported["saved_model"])(batch)
    assert served["num"].tolist() == saved["num"].tolist() and served["num"].min() > 0
    for key in ("boxes", "scores", "classes"):
        np.testing.assert_allclose(served[key], saved[key], atol=1e-4, err_msg=key)


def test_saved_model_detects_on_tiles_with_documented_shapes(exported, tile):
    detect = model.load_detector(exported["saved_model"])
    out = detect(np.stack([tile, tile[::-1]]))
    assert out["boxes"].shape == (2, 100, 4) and out["scores"].shape == (2, 100)
    assert out["classes"].shape == (2, 100) and out["num"].shape == (2,)
    assert out["num"].tolist() == [100, 100]
    assert set(out["classes"][0].tolist()) == {model.TAG_CLASS}
    boxes = out["boxes"][0]
    assert (boxes >= 0).all() and (boxes[:, [0, 2]] <= TILE).all() and (boxes[:, [1, 3]] <= TILE).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    # a non-square image: boxes in its own pixels
    wide = detect(np.zeros((1, 320, 640, 3), np.uint8))
    assert wide["boxes"][0, :, [0, 2]].max() <= 640 and wide["boxes"][0, :, [1, 3]].max() <= 320  # x first
    with pytest.raises(ValueError, match="uint8"):
        detect(tile.astype(np.float32))


def test_tflite_runs_and_agrees_with_the_saved_model(smoke, exported, tile):
    lite = model.run_tflite(exported["tflite"], tile)
    assert lite["boxes"].shape == (1, 100, 4) and lite["scores"].shape == (1, 100) and lite["num"].shape == (1,)
    assert lite["num"][0] > 0 and set(lite["classes"][0, : lite["num"][0]].tolist()) == {model.TAG_CLASS}
    boxes = lite["boxes"][0, : lite["num"][0]]
    assert (boxes >= 0).all() and (boxes <= TILE).all()
    saved = model.load_detector(exported["saved_model"])(tile)
    # The same network, post-processed by two NMS implementations (Model Garden v2 in the
    # SavedModel, TFLite_Detection_PostProcess in TFLite). The untrained smoke model scores every
    # anchor near its prior (0.0100227), so which of two overlapping tied boxes survives
    # suppression, and which tied boxes make the cut at 100, differs between the two. Hence:
    # the strongest score agrees; many TFLite boxes are SavedModel boxes to the pixel (54-80 of
    # 100 over 25 tiles, 2026-12-02; boxes scaled by 1.1 match none); and each of the ten strongest
    # TFLite boxes is a SavedModel box or overlaps one that scores as high (IoU above the NMS
    # threshold: it was suppressed by it there).
    np.testing.assert_allclose(lite["scores"][0, 0], saved["scores"][0, 0], atol=1e-4)
    saved_boxes, saved_scores = saved["boxes"][0], saved["scores"][0]
    nms_iou = model.read_config(smoke[0]).task.model.detection_generator.nms_iou_threshold
    same = [bool((np.abs(saved_boxes - box).max(axis=-1) <= 1.0).any()) for box in boxes]
    assert sum(same) >= len(boxes) // 3, f"{sum(same)} of {len(boxes)} TFLite boxes are SavedModel boxes"
    for box, score, exact in zip(boxes[:10], lite["scores"][0, :10], same[:10]):
        suppressed_by = (iou_matrix(box[None], saved_boxes)[0] >= nms_iou) & (saved_scores >= score - 1e-4)
        assert exact or suppressed_by.any(), (box, score, saved_boxes[:10], saved_scores[:10])


def test_tflite_preprocessing_is_the_saved_models():
    from official.vision.ops import preprocess_ops

    image = np.random.default_rng(3).integers(0, 256, size=(500, 640, 3), dtype=np.uint8)
    tensor, scale = model.tflite_preprocess(image, 256)
    normalised = (image.astype(np.float32) - np.array(preprocess_ops.MEAN_RGB, np.float32)) / np.array(
        preprocess_ops.STDDEV_RGB, np.float32)
    expected = tf.image.resize(normalised, (200, 256), method="bilinear").numpy()  # aspect kept, longer side 256
    assert scale == 256 / 640 and tensor.shape == (1, 256, 256, 3)
    np.testing.assert_allclose(tensor[0, :200], expected, atol=1e-4)
    assert not tensor[0, 200:].any()  # padded below with zeros


def test_the_tflite_detector_takes_a_batch_as_run_tflite_takes_each_image(exported, tile):
    detect = model.tflite_detector(exported["tflite"], threads=2)
    both = detect(np.stack([tile, tile[::-1]]))
    assert both["boxes"].shape == (2, 100, 4) and both["num"].shape == (2,)
    for i, image in enumerate((tile, tile[::-1])):
        alone = model.run_tflite(exported["tflite"], image)
        for key in ("boxes", "scores", "classes", "num"):
            np.testing.assert_array_equal(both[key][i], alone[key][0])
    wide = detect(np.zeros((1, 320, 640, 3), np.uint8))  # boxes in the image's own pixels, x first
    assert wide["boxes"][0, :, [0, 2]].max() <= 640 and wide["boxes"][0, :, [1, 3]].max() <= 320
    with pytest.raises(ValueError, match="uint8"):
        detect(tile.astype(np.float32))


def test_the_spatule_command_searches_a_folder_with_either_runtime(exported, tmp_path):
    """``spatule detect`` as the README's install puts it in the environment (``-e .``)."""
    import subprocess
    import sys

    import cv2

    command = Path(sys.executable).parent / "spatule"
    assert command.is_file(), f"{command}: install with the README's command (requirements.txt has -e .)"
    folder = tmp_path / "exported"
    shutil.copytree(exported["saved_model"], folder / "saved_model")
    shutil.copy(exported["tflite"], folder / "model.tflite")
    photos = tmp_path / "photos"
    (photos / "cam1").mkdir(parents=True)
    for n in range(2):
        pixels, _ = check_tile(np.random.default_rng(n), 2)
        assert cv2.imwrite(str(photos / "cam1" / f"IMG_{n}.jpg"), np.tile(pixels, (1, 2, 1))[:700, :1100])
    (photos / "notes.txt").write_text("not a photo")

    def search(out: str, *flags: str) -> tuple[str, list[dict[str, str]]]:
        result = subprocess.run([str(command), "detect", str(photos), "--model", str(folder), "--out",
                                 str(tmp_path / out), "--score-threshold", "0.001", "--threads", "2", *flags],
                                capture_output=True, text=True, timeout=600, env={**os.environ,
                                                                                   "CUDA_VISIBLE_DEVICES": "-1"})
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stderr, read_csv(tmp_path / out / "photos.csv")

    log, listed = search("lite")
    assert f"search runs {folder / 'model.tflite'} (tflite)" in log
    assert "detect.images is not set" not in log  # the folder given is new photos, not the labels
    assert {r["photo"]: r["status"] for r in listed} == {"cam1/IMG_0.jpg": "ok", "cam1/IMG_1.jpg": "ok",
                                                         "notes.txt": "not_an_image"}
    rows = read_csv(tmp_path / "lite" / "detections.csv")
    assert rows and all(0 <= float(r["x0"]) < float(r["x1"]) <= 1100 and 0 <= float(r["y0"]) < float(r["y1"]) <= 700
                        for r in rows)
    assert all((tmp_path / "lite" / "crops" / r["crop"]).is_file() for r in rows)
    log, _ = search("lite")
    assert "2 already searched with this model and these settings, 0 to search" in log
    log, listed = search("saved", "--engine", "saved_model")
    assert f"search runs {folder / 'saved_model'} (saved_model)" in log and len(listed) == 3
    # with a reader (an untrained one here) and a registry: codes read, never a bird not banded; sightings
    from spatule.reading.codes import write_reader_info
    from spatule.reading.reader import reader_model
    from spatule.reading.weights import save_weights

    alphabet = "ABCDFHJLNPSTVXYZ123569"
    (tmp_path / "reader").mkdir()
    save_weights(reader_model(len(alphabet)).get_weights(), tmp_path / "reader" / "reader.npz")
    write_reader_info(tmp_path / "reader", alphabet, 4, "test", {})
    (tmp_path / "birds.csv").write_text("code\nAXFD\nABLF\n", encoding="utf-8")
    search("read", "--reader", str(tmp_path / "reader"), "--registry", str(tmp_path / "birds.csv"),
           "--read-threshold", "0", "--read-margin", "1")
    read = read_csv(tmp_path / "read" / "detections.csv")
    assert len(read) == len(rows) and all(r["registry_match"] in ("AXFD", "ABLF") for r in read)  # threshold 0
    assert len(read_csv(tmp_path / "read" / "sightings.csv")) == len(read)
    assert (tmp_path / "read" / "birds.csv").is_file() and (tmp_path / "read" / "read_tags.jpg").is_file()


# ----------------------------------------------------------------------------- configs

@pytest.mark.parametrize("preset", model.PRESETS)
def test_every_preset_validates_with_two_classes_and_the_inputs(preset, data):
    # the gpu preset is planned for one (faked) GPU: on none it stops (test_devices)
    gpus = 1 if model.PRESET_DEFAULTS[preset].needs_gpu else 0
    config = model.experiment_config(preset, gpus=gpus, pretrained="resources/pretrained/coco", **data)
    config.validate()
    task = config.task
    assert task.model.num_classes == 2
    assert task.train_data.input_path == data["train_files"] and task.validation_data.input_path == data["val_files"]
    assert task.annotation_file == data["val_annotation"]
    assert task.validation_data.drop_remainder is False and task.validation_data.is_training is False
    assert task.train_data.parser.aug_rand_hflip is True
    assert config.trainer.checkpoint_interval % config.trainer.steps_per_loop == 0
    if preset != "gpu":
        assert config.runtime.mixed_precision_dtype == "float32" and task.train_data.dtype == "float32"
        assert task.validation_data.dtype == "float32"


def test_demo_anchors_cover_tags_at_its_input_size(data):
    config = model.experiment_config("demo", **data)
    size = config.task.model.input_size[0]
    assert size == 256 and config.task.model.backbone.type == "spinenet_mobile"
    smallest, largest = (side * size / model.TILE_SIZE for side in model.TAG_SIDE_PX)
    # every tag side of the range, as it reaches the model: square boxes, then tall bands (h = 2w)
    for side in np.geomspace(smallest, largest, 7):
        assert model.anchor_coverage(config, side, side) >= 0.5, side
        if side >= 16:
            assert model.anchor_coverage(config, side, side / 2) >= 0.5, side
    # the Model Garden default (anchor_size 3-4) leaves the smallest tags without a positive anchor
    default = model.experiment_config("demo", overrides={"anchor_size": 4.0}, **data)
    assert model.anchor_coverage(default, 12, 12) < 0.5 and model.anchor_coverage(default, 16, 16) < 0.5


def test_gpu_preset_is_mixed_precision_mirrored_and_initialised(data):
    config = model.experiment_config("gpu", gpus=2, pretrained="resources/pretrained/coco", **data)
    assert config.runtime.mixed_precision_dtype == "float16" and config.runtime.loss_scale == "dynamic"
    assert config.task.train_data.dtype == config.runtime.mixed_precision_dtype
    assert config.runtime.distribution_strategy == "mirrored" and config.runtime.num_gpus == 2
    assert config.task.model.input_size == [640, 640, 3] and config.task.model.backbone.type == "resnet"
    assert config.task.init_checkpoint == "resources/pretrained/coco"
    assert config.task.init_checkpoint_modules == "backbone,decoder"
    for side in (30, 60, 120, 190):
        assert model.anchor_coverage(config, side, side / 2) >= 0.5, side
    bf16 = model.experiment_config("gpu", gpus=1, overrides={"mixed_precision": "bfloat16", "init_checkpoint": ""},
                                   **data)
    assert bf16.runtime.mixed_precision_dtype == "bfloat16" and bf16.runtime.loss_scale is None
    assert bf16.runtime.distribution_strategy == "one_device" and bf16.task.init_checkpoint == ""
    xla = model.experiment_config("gpu", gpus=1, overrides={"enable_xla": True, "init_checkpoint": ""}, **data)
    assert xla.runtime.enable_xla is True and config.runtime.enable_xla is False
    with pytest.raises(SpatuleError, match="rule pretrained"):
        model.experiment_config("gpu", gpus=1, **data)  # 'pretrained' without the folder it names


def test_gpu_preset_restores_every_backbone_and_decoder_variable_from_a_coco_checkpoint(data, tmp_path):
    """The Model Garden's COCO RetinaNet R50-FPN checkpoint, made here: same architecture, a 91-class
    head, weights moved off their initial values so that a restored variable cannot pass by chance."""
    from official.core import task_factory

    def build(num_classes: int, init: str):
        config = model.experiment_config("gpu", gpus=1, overrides={
            "input_size": 256, "init_checkpoint": init, "params": {"task": {"model": {"num_classes": num_classes}}}},
            **data)
        task = task_factory.get_task(config.task)
        return config, task, task.build_model()

    _, _, coco = build(91, "")
    rng = np.random.default_rng(0)
    for variable in coco.variables:
        variable.assign(variable + rng.normal(0.0, 0.1, variable.shape).astype(variable.dtype.as_numpy_dtype))
    tf.train.Checkpoint(backbone=coco.backbone, decoder=coco.decoder, head=coco.head).save(
        str(tmp_path / "coco" / "ckpt"))
    config, _, tags = build(2, str(tmp_path / "coco"))
    config = model.resolved_init_checkpoint(config, 0, logging.getLogger("test"))  # as train() resolves it
    assert config.task.init_checkpoint == str(tmp_path / "coco" / "ckpt-1")  # the folder's newest checkpoint
    task_factory.get_task(config.task).initialize(tags)  # what the trainer calls when model_dir has no checkpoint
    for part in ("backbone", "decoder"):
        mine, theirs = getattr(tags, part).variables, getattr(coco, part).variables
        assert len(mine) == len(theirs) > 0, part
        for a, b in zip(mine, theirs):
            # the same layer in both (names differ only by Keras's per-process uniquifying suffix)
            assert a.shape == b.shape and np.array_equal(a.numpy(), b.numpy()), (part, a.name, b.name)
    # the head is new (2 classes, not 91) and starts from scratch: none of its variables comes from COCO
    restored = [v.name for v in tags.head.variables
                if any(v.shape == w.shape and np.array_equal(v.numpy(), w.numpy()) for w in coco.head.variables)]
    assert tags.head.variables and restored == []


def test_overrides_reach_the_experiment(data):
    config = model.experiment_config("demo", gpus=0, overrides={
        "preset": "demo", "input_size": 384, "steps": 120, "batch_size": 4, "learning_rate": 0.02,
        "anchor_size": 2.0, "init_checkpoint": "ckpts/x", "init_checkpoint_modules": "all", "gpus": 2,
        "params": {"task": {"model": {"head": {"num_filters": 64}}}}}, **data)
    assert config.task.model.input_size == [384, 384, 3] and config.trainer.train_steps == 120
    assert config.task.train_data.global_batch_size == 4 and config.task.model.anchor.anchor_size == 2.0
    assert config.trainer.optimizer_config.learning_rate.cosine.initial_learning_rate == 0.02
    assert config.trainer.optimizer_config.learning_rate.cosine.decay_steps == 120
    assert config.task.init_checkpoint == "ckpts/x" and config.task.init_checkpoint_modules == "all"
    assert config.task.model.head.num_filters == 64
    assert config.trainer.validation_interval <= 120
    # gpus (the job's request) is not an experiment setting: the runtime follows what TensorFlow sees
    assert config.runtime.num_gpus == 0 and config.runtime.distribution_strategy == "one_device"
    assert config.runtime.mixed_precision_dtype == "float32"
    with pytest.raises(SpatuleError, match="global_batch_size 3 does not split evenly over the 2 GPUs"):
        model.experiment_config("demo", gpus=2, overrides={
            "params": {"task": {"train_data": {"global_batch_size": 3}}}}, **data)


@pytest.mark.parametrize("overrides, message", [
    ({"stepz": 3}, "unknown key.*stepz"),
    ({"input_size": 320}, "multiple of 128"),
    ({"mixed_precision": "float8"}, "mixed_precision"),
    ({"distribution_strategy": "mirrored"}, "unknown key.*distribution_strategy"),
    ({"min_level": 5, "max_level": 4}, "min_level 5 must not exceed max_level 4"),
    ({"params": {"task": {"no_such_key": 1}}}, "train.params.*no_such_key"),
])
def test_bad_overrides_are_named(overrides, message, data):
    with pytest.raises(SpatuleError, match=message):
        model.experiment_config("demo", overrides=overrides, **data)
    with pytest.raises(SpatuleError, match="unknown preset"):
        model.experiment_config("huge", **data)
