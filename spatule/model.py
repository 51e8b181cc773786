"""The tag detector: a TF Model Garden RetinaNet, its presets, training, export and inference.

Read with ``official/vision`` beside it: configs come from
``exp_factory.get_exp_config`` + ``.override``, training is
``train_lib.run_experiment(mode='train_and_eval')``, export is
``export_saved_model_lib.export_inference_graph``. This module adds what the
workflow needs around them:

* :func:`experiment_config`: three presets (``smoke`` for tests, ``demo`` for a
  CPU, ``gpu`` for the lab server) sized for leg tags, plus the user's
  ``train.*`` overrides;
* :func:`train`: thread pools, GPU memory growth, distribution strategy, resume
  from the last checkpoint of ``model_dir``, final metrics as JSON;
* :func:`export`, :func:`load_detector`, :func:`run_tflite`: a SavedModel
  (uint8 images of any size in, boxes out) and an optional TFLite file;
* pretrained checkpoints: download + sha256 check + unpack into ``resources/``;
  ``task.init_checkpoint`` may be a prefix or a folder (its newest checkpoint).

Sizes. Tiles are 640x640 and tags on them are ~30-190 px (longer side). The
model input (``input_size``) is the tile resized, so at 256 a tag is
``256/640 = 0.4`` times smaller: 12-76 px. RetinaNet anchors at level ``l``
have the side ``anchor_size * 2**l * 2**(i/num_scales)`` (i = 0..2) times
aspect ratios 0.5, 1, 2, and an anchor becomes a positive when its IoU with a
tag is >= 0.5 (``parser.match_threshold``). Each preset picks ``anchor_size``
so that the smallest anchor is about the smallest tag at its input size; see
:func:`anchor_sides` and :func:`anchor_coverage` to check a config.

Box conventions of the outputs: ``[ymin, xmin, ymax, xmax]`` (TF order); the
SavedModel emits them normalised to ``[0, 1]`` of the image fed in;
:func:`load_detector` and :func:`run_tflite` return pixels of the image fed in.
Class 1 is the tag (0 is the implicit background, never output).
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import logging
import os
import shutil
import tarfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

import numpy as np

from spatule.devices import DevicePlan, device_plan, diagnose, tf_build_info, visible_gpus
from spatule.presets import (  # noqa: F401  (the presets are part of the model's interface)
    NUM_CLASSES, PRESET_DEFAULTS, PRESETS, PRETRAINED, TAG_CLASS, TAG_SIDE_PX, TILE_SIZE, Preset, resolve_preset,
)
from spatule.problems import SpatuleError

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

LOG = logging.getLogger(__name__)


def experiment_config(preset: str = "demo", train_files: str | Sequence[str] = "",
                      val_files: str | Sequence[str] = "", val_annotation: str = "",
                      overrides: Optional[Mapping[str, Any]] = None, gpus: Optional[int] = None,
                      pretrained: str | Path | None = None) -> "ExperimentConfig":
    """The Model Garden experiment for ``preset`` (see :data:`PRESET_DEFAULTS`) on this machine.

    ``train_files``/``val_files``: TFRecord path(s) or glob(s) (e.g.
    ``results/tfrecords/train-*``); ``val_annotation``: the validation split's
    COCO JSON, whose image ids are the TFRecords' ``image/source_id`` (COCO
    evaluation reads its ground truth from it). ``overrides``: ``train.*`` of
    the workflow config (keys of :class:`Preset`; ``params``: raw nested Model
    Garden overrides applied last). ``gpus``: the GPUs TensorFlow sees (None:
    ask it); the runtime section (strategy, GPU count, precision, XLA) follows
    :func:`spatule.devices.device_plan`, which stops a GPU preset without GPU.
    ``pretrained``: the folder of rule ``pretrained``, for ``init_checkpoint:
    pretrained``. Does not depend on the model directory. Returns a validated
    ``ExperimentConfig``.
    """
    from official.core import exp_factory
    from official.vision import registry_imports  # noqa: F401  (registers the experiments)

    s = resolve_preset(preset, overrides)
    seen = visible_gpus() if gpus is None else int(gpus)
    plan = device_plan(s, seen, diagnose(tf_build_info()) if seen == 0 else "", preset)
    LOG.info("preset %s: %s", preset, plan.summary())
    for note in plan.notes:
        LOG.info("%s", note)
    init_checkpoint = s.init_checkpoint or ""
    if init_checkpoint == PRETRAINED:
        if not pretrained:
            raise SpatuleError(f"train.init_checkpoint: {PRETRAINED!r} (preset {preset}) means the checkpoint of "
                               "rule pretrained, and no folder was given for it")
        init_checkpoint = str(pretrained)
    config = exp_factory.get_exp_config(s.experiment)
    loop = min(s.steps_per_loop, s.steps)
    # Orbit checkpoints at the end of a loop: keep the intervals multiples of the loop.
    checkpoint_every = max(loop, s.checkpoint_interval // loop * loop)
    eval_every = max(loop, min(s.eval_interval, s.steps) // loop * loop)
    warmup = min(s.warmup_steps, max(1, s.steps // 2))
    jitter_min, jitter_max = s.scale_jitter
    config.override({
        "runtime": runtime_section(plan),
        "task": {
            "init_checkpoint": init_checkpoint,
            "init_checkpoint_modules": s.init_checkpoint_modules,
            "annotation_file": str(val_annotation),
            "use_coco_metrics": True,
            "losses": {"l2_weight_decay": s.l2_weight_decay},
            "model": {
                "num_classes": NUM_CLASSES,
                "input_size": [s.input_size, s.input_size, 3],
                "min_level": s.min_level, "max_level": s.max_level,
                "anchor": {"anchor_size": s.anchor_size, "num_scales": 3, "aspect_ratios": [0.5, 1.0, 2.0]},
                "detection_generator": {"max_num_detections": 100, "pre_nms_score_threshold": 0.05,
                                        "tflite_post_processing": {"max_detections": 100,
                                                                   "max_classes_per_detection": 1,
                                                                   "nms_score_threshold": 0.05}},
                **_nested_copy(s.model),
            },
            "train_data": {
                "input_path": _paths(train_files), "is_training": True, "global_batch_size": s.batch_size,
                "dtype": plan.mixed_precision, "shuffle_buffer_size": 1000, "drop_remainder": True, "seed": s.seed,
                "deterministic": bool(s.deterministic),
                # no crowd boxes in our records (difficult tags are never pasted), and the parser's
                # crowd-skipping graph breaks TensorFlow's deterministic tf.data rewrite
                "parser": {"aug_rand_hflip": bool(s.hflip), "aug_scale_min": jitter_min,
                           "aug_scale_max": jitter_max, "match_threshold": 0.5, "unmatched_threshold": 0.4,
                           "skip_crowd_during_training": False},
            },
            "validation_data": {
                "input_path": _paths(val_files), "is_training": False, "global_batch_size": s.val_batch_size,
                "dtype": plan.mixed_precision, "drop_remainder": False,
            },
        },
        "trainer": {
            "train_steps": s.steps, "steps_per_loop": loop, "summary_interval": loop,
            "checkpoint_interval": checkpoint_every, "max_to_keep": 3,
            "validation_interval": eval_every, "validation_steps": s.eval_steps,
            "optimizer_config": {
                "optimizer": {"type": "sgd", "sgd": {"momentum": 0.9}},
                "learning_rate": {"type": "cosine", "cosine": {"initial_learning_rate": s.learning_rate,
                                                               "decay_steps": s.steps}},
                "warmup": {"type": "linear", "linear": {"warmup_steps": warmup,
                                                        "warmup_learning_rate": s.learning_rate / 10}},
            },
        },
    }, is_strict=True)
    if config.task.model.backbone.type == "spinenet_mobile":
        config.task.model.backbone.spinenet_mobile.min_level = s.min_level
        config.task.model.backbone.spinenet_mobile.max_level = s.max_level
    if overrides and overrides.get("params"):
        try:
            config.override(dict(overrides["params"]), is_strict=True)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:  # an unknown key or a wrong type
            raise SpatuleError(f"train.params: the Model Garden refuses {overrides['params']!r}: {exc}") from None
    try:
        config.validate()
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SpatuleError(f"train: the experiment does not validate ({exc}); check train.params") from None
    return config


def runtime_section(plan: DevicePlan) -> dict[str, Any]:
    """The Model Garden ``runtime`` of a device plan: strategy and GPU count, mixed precision with
    dynamic loss scaling for float16 (the optimizer becomes a ``LossScaleOptimizer``), XLA."""
    return {"distribution_strategy": plan.strategy, "num_gpus": plan.gpus,
            "mixed_precision_dtype": plan.mixed_precision,
            "loss_scale": "dynamic" if plan.mixed_precision == "float16" else None,
            "enable_xla": plan.enable_xla}


def _paths(files: str | Sequence[str]) -> str:
    """The ``input_path`` string: one path/glob, or several joined by commas."""
    if isinstance(files, (str, os.PathLike)):
        return str(files)
    return ",".join(str(f) for f in files)


def _nested_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _nested_copy(v) for k, v in value.items()}
    return value


def read_config(path: str | Path) -> "ExperimentConfig":
    """An ``ExperimentConfig`` from a ``params.yaml`` written by :func:`train` (or a model dir)."""
    import yaml
    from official.core import exp_factory
    from official.vision import registry_imports  # noqa: F401

    path = Path(path)
    if path.is_dir():
        path = path / "params.yaml"
    if not path.is_file():
        raise SpatuleError(f"{path}: no experiment config (params.yaml is written by training)")
    config = exp_factory.get_exp_config("retinanet")
    config.override(yaml.safe_load(path.read_text()), is_strict=False)
    return config


# ----------------------------------------------------------------------------- anchors

def anchor_sides(config: "ExperimentConfig") -> dict[int, list[float]]:
    """Square-anchor sides per level, in model-input pixels: ``anchor_size * 2**level * 2**(i/num_scales)``."""
    anchor = config.task.model.anchor
    return {level: [anchor.anchor_size * 2 ** level * 2 ** (i / anchor.num_scales) for i in range(anchor.num_scales)]
            for level in range(config.task.model.min_level, config.task.model.max_level + 1)}


def anchor_boxes(config: "ExperimentConfig") -> np.ndarray:
    """All anchors of the model as ``[N, 4]`` ``(ymin, xmin, ymax, xmax)`` in model-input pixels.

    Computed with the Model Garden's own anchor generator (the one the parser
    labels training targets with).
    """
    from official.vision.ops import anchor as anchor_ops

    model = config.task.model
    levels = anchor_ops.Anchor(min_level=model.min_level, max_level=model.max_level,
                               num_scales=model.anchor.num_scales, aspect_ratios=list(model.anchor.aspect_ratios),
                               anchor_size=model.anchor.anchor_size,
                               image_size=list(model.input_size[:2])).multilevel_boxes
    return np.concatenate([np.asarray(boxes, np.float64).reshape(-1, 4) for boxes in levels.values()])


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ymin = np.maximum(box[0], boxes[:, 0])
    xmin = np.maximum(box[1], boxes[:, 1])
    ymax = np.minimum(box[2], boxes[:, 2])
    xmax = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ymax - ymin, 0, None) * np.clip(xmax - xmin, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + areas - inter)


def anchor_coverage(config: "ExperimentConfig", height: float, width: float, positions: int = 64,
                    seed: int = 0) -> float:
    """Mean best anchor IoU of a ``height`` x ``width`` box (model-input pixels) over random positions.

    A box whose best IoU stays under ``parser.match_threshold`` (0.5) only gets
    the one anchor the matcher forces onto it, which is what made small tags
    undetectable with the default anchors.
    """
    boxes = anchor_boxes(config)
    size = config.task.model.input_size[0]
    rng = np.random.default_rng(seed)
    best = []
    for _ in range(positions):
        y, x = rng.uniform(height / 2, size - height / 2), rng.uniform(width / 2, size - width / 2)
        box = np.array([y - height / 2, x - width / 2, y + height / 2, x + width / 2])
        best.append(_iou(box, boxes).max())
    return float(np.mean(best))


# ----------------------------------------------------------------------------- training

def configure_tensorflow(threads: Optional[int] = None, log: Optional[logging.Logger] = None) -> None:
    """GPU memory growth on every GPU, and TF thread pools sized to ``threads`` (Snakemake's ``threads``).

    Both only take effect before TensorFlow initialises its runtime; later calls
    (a second training in one process) log and go on with the existing settings.
    """
    import tensorflow as tf

    log = log or LOG
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as exc:  # runtime already initialised
            log.debug("memory growth on %s not changed: %s", gpu.name, exc)
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(max(1, min(int(threads), 2)))
        except RuntimeError as exc:
            log.debug("thread pools not changed: %s", exc)


def prepare_runtime(config: "ExperimentConfig", log: Optional[logging.Logger] = None):
    """What :func:`train` sets before building the task: the Keras mixed-precision policy of
    ``config.runtime`` (``mixed_float16`` for float16) and the distribution strategy."""
    from official.modeling import performance

    performance.set_mixed_precision_policy(config.runtime.mixed_precision_dtype or "float32")
    return build_strategy(config, log)


def build_strategy(config: "ExperimentConfig", log: Optional[logging.Logger] = None):
    """The distribution strategy of ``config.runtime`` (see :func:`runtime_section`).

    A config planned for more GPUs than TensorFlow sees here (made on another
    machine) stops with the count of both instead of failing inside TensorFlow.
    """
    from official.common import distribute_utils

    runtime = config.runtime
    seen = visible_gpus()
    if runtime.num_gpus > seen:
        raise SpatuleError(f"train: the experiment was planned for {runtime.num_gpus} GPU(s) but TensorFlow sees "
                           f"{seen} here (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
    strategy = distribute_utils.get_distribution_strategy(
        distribution_strategy=runtime.distribution_strategy, num_gpus=runtime.num_gpus,
        all_reduce_alg=runtime.all_reduce_alg, tpu_address=runtime.tpu)
    (log or LOG).info("distribution strategy %s over %d replica(s) %s, %d GPU(s) visible", type(strategy).__name__,
                      strategy.num_replicas_in_sync, list(strategy.extended.worker_devices), seen)
    return strategy


def latest_step(model_dir: str | Path) -> int:
    """Global step of the newest checkpoint in ``model_dir`` (0 when there is none)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(model_dir))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def read_scalars(events_dir: str | Path) -> dict[str, list[tuple[int, float, float]]]:
    """Scalars of the TensorBoard event files in ``events_dir``: tag -> [(step, wall_time, value)]."""
    import tensorflow as tf

    scalars: dict[str, list[tuple[int, float, float]]] = {}
    for path in sorted(glob.glob(os.path.join(str(events_dir), "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("tensor"):
                    number = tf.make_ndarray(value.tensor)
                    if number.size != 1 or not np.issubdtype(number.dtype, np.number):
                        continue
                    number = float(number.reshape(()))
                else:
                    number = float(value.simple_value)
                scalars.setdefault(value.tag, []).append((int(event.step), float(event.wall_time), number))
    return scalars


def _plain(logs: Mapping[str, Any]) -> dict[str, float]:
    """Scalar entries of an Orbit output dict as floats (nested and non-scalar ones dropped)."""
    out = {}
    for key, value in (logs or {}).items():
        array = np.asarray(value)
        if array.size == 1 and np.issubdtype(array.dtype, np.number):
            out[key] = float(array.reshape(()))
    return out


def train(config: "ExperimentConfig", model_dir: str | Path, log: Optional[logging.Logger] = None,
          threads: Optional[int] = None, metrics_json: str | Path | None = None) -> dict[str, Any]:
    """Train (and evaluate) ``config`` into ``model_dir``; resume from its last checkpoint.

    Re-running after an interruption, or with a larger ``trainer.train_steps``,
    continues from the newest ``ckpt-N`` in ``model_dir`` (Orbit restores it
    before training; ``task.init_checkpoint`` is only read when ``model_dir``
    has no checkpoint). Writes ``params.yaml``, checkpoints, TensorBoard events
    (``train/``, ``validation/``) and ``metrics.json`` (or ``metrics_json``)
    into ``model_dir``; the timings go to ``timing.json`` beside it, so that
    ``metrics.json`` is the same from the same config.

    Returns ``{"start_step", "final_step", "loss" (last training loop's total
    loss), "val": {AP, AP50, ..., validation losses}, "AP", "AP50",
    "steps_per_second" (training loops after the first, whose time includes
    graph building; None if there was only one), "seconds", "checkpoint"}``.
    """
    import tf_keras
    from official.core import task_factory, train_lib, train_utils

    log = log or LOG
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    configure_tensorflow(threads, log)
    if config.task.train_data.deterministic:
        import tensorflow as tf

        # same weights from the same config on the same machine (TF picks deterministic kernels)
        tf.config.experimental.enable_op_determinism()
        log.info("TensorFlow op determinism on")
    start_step = latest_step(model_dir)
    config = _resolved_init_checkpoint(config, start_step, log)
    train_utils.serialize_config(config, str(model_dir))
    if config.task.train_data.seed is not None:
        tf_keras.utils.set_random_seed(int(config.task.train_data.seed) + start_step)
    strategy = prepare_runtime(config, log)
    train_outputs: list[dict[str, float]] = []
    eval_outputs: list[dict[str, float]] = []
    # Nothing left to train (a re-run after completion): evaluate the last checkpoint.
    mode = "train_and_eval" if start_step < config.trainer.train_steps else "eval"
    log.info("%s: %s at %d px to step %d in %s (starting at step %d)", mode, config.task.model.backbone.type,
             config.task.model.input_size[0], config.trainer.train_steps, model_dir, start_step)
    began = time.time()
    with strategy.scope():
        task = task_factory.get_task(config.task, logging_dir=str(model_dir))
    train_lib.run_experiment(
        distribution_strategy=strategy, task=task, mode=mode, params=config, model_dir=str(model_dir),
        train_actions=[lambda output: train_outputs.append(_plain(output))],
        eval_actions=[lambda output: eval_outputs.append(_plain(output))])
    seconds = time.time() - began
    metrics = _metrics(model_dir, start_step, train_outputs, eval_outputs, began, seconds)
    path = Path(metrics_json) if metrics_json else model_dir / "metrics.json"
    # what the run learnt (the same bytes from the same config) apart from how long it took
    timing = {k: metrics[k] for k in TIMING_KEYS}
    # where it ran: what the job got is what it used (on another machine this differs, not the weights' recipe)
    timing["runtime"] = {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
                         "devices": [d.rsplit("/", 1)[-1] for d in strategy.extended.worker_devices],
                         "mixed_precision": config.runtime.mixed_precision_dtype,
                         "enable_xla": bool(config.runtime.enable_xla)}
    path.write_text(json.dumps({k: v for k, v in metrics.items() if k not in TIMING_KEYS}, indent=2,
                               sort_keys=True) + "\n")
    (path.parent / "timing.json").write_text(json.dumps(timing, indent=2, sort_keys=True) + "\n")
    log.info("trained to step %d in %.0f s: loss %s, AP50 %s, %s steps/s", metrics["final_step"], seconds,
             metrics["loss"], metrics["AP50"], metrics["steps_per_second"])
    return metrics


TIMING_KEYS = ("steps_per_second", "seconds")
"""Keys of :func:`train`'s result written to ``timing.json`` beside ``metrics.json``, not into it."""


def _metrics(model_dir: Path, start_step: int, train_outputs: list[dict[str, float]],
             eval_outputs: list[dict[str, float]], began: float, seconds: float) -> dict[str, Any]:
    """The summary returned by :func:`train`."""
    import tensorflow as tf

    rates = [(step, wall, value) for step, wall, value in read_scalars(model_dir / "train").get("steps_per_second", [])
             if wall >= began - 1 and step > start_step]
    # The first loop of a run includes tracing the graph; report the rest.
    steady = [value for _, _, value in sorted(rates)[1:]]
    last_train = train_outputs[-1] if train_outputs else {}
    last_eval = eval_outputs[-1] if eval_outputs else {}
    loss = last_train.get("total_loss")
    if loss is None:  # evaluation only: the last training loss logged in an earlier run
        logged = sorted(read_scalars(model_dir / "train").get("total_loss", []))
        loss = logged[-1][2] if logged else None
    return {
        "start_step": start_step,
        "final_step": latest_step(model_dir),
        "first_logged_step": min((step for step, _, _ in rates), default=None),
        "loss": loss,
        "train": last_train,
        "val": last_eval,
        "AP": last_eval.get("AP"),
        "AP50": last_eval.get("AP50"),
        "steps_per_second": float(np.median(steady)) if steady else None,
        "seconds": round(seconds, 1),
        "checkpoint": tf.train.latest_checkpoint(str(model_dir)),
    }


# ----------------------------------------------------------------------------- checkpoints

def find_checkpoint(path: str | Path) -> str:
    """The checkpoint prefix of ``path``: a prefix itself, or the newest checkpoint in a folder (searched
    recursively, with or without a ``checkpoint`` index file)."""
    import tensorflow as tf

    path = str(path)
    if tf.io.gfile.exists(path + ".index"):
        return path
    if tf.io.gfile.isdir(path):
        latest = tf.train.latest_checkpoint(path)
        if latest:
            return latest
        found = sorted(glob.glob(os.path.join(path, "**", "*.index"), recursive=True),
                       key=lambda p: (_step_of(p), p))
        if found:
            return found[-1][: -len(".index")]
    raise SpatuleError(f"{path}: no TensorFlow checkpoint (neither a prefix with .index nor a folder holding one)")


def _step_of(index_path: str) -> int:
    stem = Path(index_path).name[: -len(".index")]
    tail = stem.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def checkpoint_layout(prefix: str) -> str:
    """``"modules"`` when the checkpoint stores ``backbone/...`` at its root, what
    ``task.init_checkpoint`` reads: Model Garden training checkpoints (ours and the
    published ones) do, next to ``optimizer``/``global_step``; else ``"unknown"``."""
    import tensorflow as tf

    roots = {name.split("/", 1)[0] for name, _ in tf.train.list_variables(prefix)}
    return "modules" if "backbone" in roots else "unknown"


def _resolved_init_checkpoint(config: "ExperimentConfig", start_step: int, log: logging.Logger) -> "ExperimentConfig":
    """``config`` with ``task.init_checkpoint`` made a checkpoint prefix, checked to hold a backbone.

    Not needed (and not checked) when training resumes from ``model_dir``:
    then the Model Garden never reads it either.
    """
    init = config.task.init_checkpoint
    if not init or start_step > 0 or "://" in init:  # gs://... is read by TensorFlow itself
        return config
    if not Path(init).exists() and not Path(init + ".index").exists():
        raise SpatuleError(f"train.init_checkpoint: {init} does not exist; fetch it first (rule pretrained, needs "
                           "network) or set train.init_checkpoint: '' to train from scratch")
    prefix = find_checkpoint(init)
    if checkpoint_layout(prefix) != "modules":
        raise SpatuleError(f"train.init_checkpoint: {prefix} has no 'backbone' at its root: not a Model Garden "
                           "checkpoint (TF Object Detection API and Keras .h5 weights are not supported)")
    config = _copy_config(config)
    config.task.init_checkpoint = prefix
    log.info("initialising %s from %s", config.task.init_checkpoint_modules, prefix)
    return config


def _copy_config(config: "ExperimentConfig") -> "ExperimentConfig":
    import copy

    return copy.deepcopy(config)


# ----------------------------------------------------------------------------- pretrained downloads

@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A published checkpoint: tarball ``url``, its ``sha256`` (None: not pinned yet; the
    computed hash is logged so it can be pinned) and the folder it unpacks to."""

    url: str
    sha256: Optional[str]
    folder: str




def sha256sum(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: str | Path, expected: Optional[str]) -> str:
    """Check ``path`` against ``expected`` (hex; None skips the check); returns the actual hash.

    Raises :class:`SpatuleError` naming the file and both hashes on a mismatch.
    """
    actual = sha256sum(path)
    if expected and actual.lower() != expected.strip().lower():
        raise SpatuleError(f"{path}: sha256 {actual} does not match the expected {expected} "
                           "(incomplete or altered download: delete it and fetch again)")
    return actual


def download(url: str, dest: str | Path, sha256: Optional[str] = None, timeout: float = 60) -> Path:
    """Fetch ``url`` to ``dest`` (atomically, through ``dest.part``) and verify its sha256."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise SpatuleError(f"{url}: download failed ({exc}); without network, put the file at {dest} by hand")
    try:
        actual = verify_sha256(part, sha256)
    except SpatuleError:
        part.unlink(missing_ok=True)
        raise
    part.replace(dest)
    LOG.info("downloaded %s to %s (sha256 %s)", url, dest, actual)
    return dest


def unpack_checkpoint(tarball: str | Path, dest_dir: str | Path, sha256: Optional[str] = None) -> str:
    """Verify and unpack a checkpoint tarball into ``dest_dir``; return the checkpoint prefix in it.

    Members that would land outside ``dest_dir`` (absolute paths, ``..``,
    links) are refused.
    """
    tarball, dest_dir = Path(tarball), Path(dest_dir)
    verify_sha256(tarball, sha256)
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = dest_dir.resolve()
    try:
        with tarfile.open(tarball) as archive:
            members = archive.getmembers()
            for member in members:
                target = (root / member.name).resolve()
                if not (target == root or root in target.parents) or member.issym() or member.islnk():
                    raise SpatuleError(f"{tarball}: unsafe member {member.name!r} (outside {dest_dir} or a link)")
            archive.extractall(root, members=members, filter="data")
    except tarfile.TarError as exc:
        raise SpatuleError(f"{tarball}: not a readable tar archive ({exc})") from None
    return find_checkpoint(dest_dir)


def pretrained_checkpoint(entry: Pretrained, resources: str | Path, fetch: bool = True) -> str:
    """The checkpoint prefix of a published checkpoint, fetched and unpacked under ``resources/pretrained``.

    ``entry``: the config's ``pretrained`` section as a :class:`Pretrained`. The tarball
    goes to ``resources/pretrained/<name from the URL>`` (put it there by hand
    where there is no network; ``fetch=False`` refuses to download) and is
    unpacked into ``resources/pretrained/<folder>``. Already unpacked: returned as is.
    """
    folder = Path(resources) / "pretrained" / entry.folder
    try:
        return find_checkpoint(folder)
    except SpatuleError:
        pass
    tarball = Path(resources) / "pretrained" / Path(urllib.parse.urlparse(entry.url).path).name
    if not tarball.is_file():
        if not fetch:
            raise SpatuleError(f"{tarball}: missing; download {entry.url} there")
        download(entry.url, tarball, entry.sha256)
    return unpack_checkpoint(tarball, folder, entry.sha256)


# ----------------------------------------------------------------------------- export and inference

def export(config: "ExperimentConfig", checkpoint_dir: str | Path, export_dir: str | Path,
           input_size: Optional[int] = None, tflite_path: str | Path | None = None,
           score_threshold: Optional[float] = None, log: Optional[logging.Logger] = None) -> dict[str, str]:
    """Export the newest checkpoint of ``checkpoint_dir`` (or a prefix) as a SavedModel (+ TFLite).

    SavedModel (``export_dir``, signature ``serving_default``): input
    ``inputs`` uint8 ``[batch, height, width, 3]`` RGB of any size and batch
    (each image is resized, aspect kept, to ``input_size``, default the
    training input: feed 640 tiles, not whole photos); outputs
    ``detection_boxes`` ``[batch, 100, 4]`` normalised ``(ymin, xmin, ymax,
    xmax)`` of the image fed in, ``detection_scores`` ``[batch, 100]``,
    ``detection_classes`` (1 = tag), ``num_detections`` ``[batch]``, plus
    ``image_info``. Always float32 (mixed-precision training included).

    TFLite (``tflite_path``): float32 input ``[1, input_size, input_size, 3]``
    already resized and normalised (:func:`run_tflite` does it), the TFLite
    detection post-processing op (class-agnostic NMS) inside, boxes in
    pixels of the input square.

    ``score_threshold``: drop detections under it (default: the config's
    ``pre_nms_score_threshold``, 0.05). Returns the paths written.
    """
    from official.modeling import performance
    from official.vision.serving import export_saved_model_lib
    from tf_keras.src.saving.legacy.saved_model.utils import keras_option_scope

    log = log or LOG
    prefix = find_checkpoint(checkpoint_dir)
    size = int(input_size or config.task.model.input_size[0])
    performance.set_mixed_precision_policy("float32")
    params = serving_params(config, score_threshold)
    export_dir = Path(export_dir)
    if export_dir.exists():
        shutil.rmtree(export_dir)
    began = time.time()
    # save_traces=False: only the serving signature is kept, not a trace of every Keras
    # layer (which multiplies the export time and is never used).
    with keras_option_scope(save_traces=False):
        export_saved_model_lib.export_inference_graph(
            input_type="image_tensor", batch_size=None, input_image_size=[size, size], params=params,
            checkpoint_path=prefix, export_dir=str(export_dir))
    log.info("exported %s to SavedModel %s (input %dx%d) in %.0f s", prefix, export_dir, size, size,
             time.time() - began)
    paths = {"saved_model": str(export_dir), "checkpoint": prefix}
    if tflite_path:
        paths["tflite"] = export_tflite(config, checkpoint_dir, tflite_path, input_size, score_threshold, log)
    return paths


def serving_params(config: "ExperimentConfig", score_threshold: Optional[float] = None) -> "ExperimentConfig":
    """``config`` as served: float32, normalised output boxes, NMS that takes any batch size."""
    params = _copy_config(config)
    params.runtime.mixed_precision_dtype = "float32"
    params.task.export_config.output_normalized_coordinates = True
    generator = params.task.model.detection_generator
    generator.nms_version = "v2"  # supports a dynamic batch
    if score_threshold is not None:
        generator.pre_nms_score_threshold = float(score_threshold)
        generator.tflite_post_processing.nms_score_threshold = float(score_threshold)
    return params


def export_tflite(config: "ExperimentConfig", checkpoint_dir: str | Path, tflite_path: str | Path,
                  input_size: Optional[int] = None, score_threshold: Optional[float] = None,
                  log: Optional[logging.Logger] = None) -> str:
    """The newest checkpoint of ``checkpoint_dir`` (or a prefix) as a TFLite model (see :func:`export`)."""
    import tensorflow as tf
    from official.modeling import performance
    from official.vision.serving import detection

    log = log or LOG
    prefix = find_checkpoint(checkpoint_dir)
    size = int(input_size or config.task.model.input_size[0])
    performance.set_mixed_precision_policy("float32")
    began = time.time()
    lite = serving_params(config, score_threshold)
    lite.task.model.detection_generator.nms_version = "tflite"
    # Boxes leave the TFLite NMS op in input-square pixels; run_tflite scales them.
    lite.task.export_config.output_normalized_coordinates = False
    module = detection.DetectionModule(params=lite, batch_size=1, input_image_size=[size, size], input_type="tflite")
    tf.train.Checkpoint(model=module.model).read(prefix).expect_partial().assert_existing_objects_matched()
    function = module.inference_for_tflite.get_concrete_function(
        tf.TensorSpec([1, size, size, 3], tf.float32, name="inputs"))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    flatbuffer = converter.convert()
    Path(tflite_path).parent.mkdir(parents=True, exist_ok=True)
    Path(tflite_path).write_bytes(flatbuffer)
    log.info("converted %s to TFLite %s (%.1f MB) in %.0f s", prefix, tflite_path, len(flatbuffer) / 1e6,
             time.time() - began)
    return str(tflite_path)


Detections = dict[str, np.ndarray]
"""``boxes`` ``[N, K, 4]`` float32 pixels ``(ymin, xmin, ymax, xmax)`` of the images fed in;
``boxes_normalized`` the same in ``[0, 1]``; ``scores`` ``[N, K]``; ``classes`` ``[N, K]``
int (1 = tag); ``num`` ``[N]`` int: only the first ``num[i]`` rows of image ``i`` are detections."""


def _detector(serve: Callable[[Any], Mapping[str, Any]]) -> Callable[[np.ndarray], Detections]:
    """A :data:`Detections` callable over uint8 RGB images from a serving function."""
    import tensorflow as tf

    def detect(images: np.ndarray) -> Detections:
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images [N, H, W, 3], got {images.dtype} {images.shape}")
        out = serve(tf.constant(images))
        normalized = out["detection_boxes"].numpy().astype(np.float32)
        scale = np.array([images.shape[1], images.shape[2]] * 2, np.float32)
        return {"boxes": normalized * scale, "boxes_normalized": normalized,
                "scores": out["detection_scores"].numpy().astype(np.float32),
                "classes": out["detection_classes"].numpy().astype(np.int64),
                "num": out["num_detections"].numpy().astype(np.int64).reshape(-1)}

    return detect


def load_detector(saved_model_dir: str | Path) -> Callable[[np.ndarray], Detections]:
    """A callable over uint8 ``[N, H, W, 3]`` RGB images (or one ``[H, W, 3]``) returning :data:`Detections`."""
    import tensorflow as tf

    model = tf.saved_model.load(str(saved_model_dir))
    serve = model.signatures["serving_default"]
    detect = _detector(serve)
    detect.signature = serve  # type: ignore[attr-defined]
    return detect


def checkpoint_detector(model_dir: str | Path,
                        score_threshold: Optional[float] = None) -> Callable[[np.ndarray], Detections]:
    """:func:`load_detector` for the newest checkpoint of a training folder, without exporting it:
    the Model Garden's own serving module (the graph :func:`export` saves) over the checkpoint."""
    from official.modeling import performance
    from official.vision.serving import detection

    config = read_config(Path(model_dir) / "params.yaml")
    performance.set_mixed_precision_policy("float32")
    size = int(config.task.model.input_size[0])
    module = detection.DetectionModule(params=serving_params(config, score_threshold), batch_size=None,
                                       input_image_size=[size, size], input_type="image_tensor")
    import tensorflow as tf

    tf.train.Checkpoint(model=module.model).read(find_checkpoint(model_dir)).expect_partial() \
        .assert_existing_objects_matched()
    detect = _detector(module.inference_from_image_tensors)
    detect.module = module  # type: ignore[attr-defined]  # the tf.function holds its module only weakly
    return detect


def tflite_preprocess(image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """What the SavedModel does before the network, in NumPy: normalise with the ImageNet mean/std,
    resize keeping the aspect ratio so the longer side is ``size``, pad bottom/right with 0.

    Returns the ``[1, size, size, 3]`` float32 input and the scale (input px per image px).
    """
    import tensorflow as tf
    from official.vision.ops import preprocess_ops

    height, width = image.shape[:2]
    scale = size / max(height, width)
    new = (max(1, round(height * scale)), max(1, round(width * scale)))
    pixels = (image.astype(np.float32) - np.array(preprocess_ops.MEAN_RGB, np.float32)) / np.array(
        preprocess_ops.STDDEV_RGB, np.float32)
    resized = tf.image.resize(pixels, new, method="bilinear").numpy()
    padded = np.zeros((1, size, size, 3), np.float32)
    padded[0, : new[0], : new[1]] = resized
    return padded, scale


def _tflite_interpreter(path: str | Path, threads: Optional[int]):
    """A LiteRT interpreter (``ai_edge_litert``; ``tf.lite.Interpreter`` is deprecated in TF 2.20)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - older environments
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    if not Path(path).is_file():
        raise SpatuleError(f"{path}: no TFLite model (export with tflite_path)")
    return Interpreter(model_path=str(path), num_threads=threads)


def run_tflite(path: str | Path, image: np.ndarray, threads: Optional[int] = None) -> Detections:
    """Run the TFLite detector on one uint8 RGB image ``[H, W, 3]`` (or ``[1, H, W, 3]``).

    Returns :data:`Detections` with a batch of 1, boxes in pixels of ``image``.
    """
    image = np.asarray(image)
    if image.ndim == 4:
        image = image[0]
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected one uint8 image [H, W, 3], got {image.dtype} {image.shape}")
    interpreter = _tflite_interpreter(path, threads)
    runner = interpreter.get_signature_runner()
    (input_name, spec), = runner.get_input_details().items()
    size = int(spec["shape"][1])
    tensor, scale = tflite_preprocess(image, size)
    out = runner(**{input_name: tensor})
    boxes = np.asarray(out["detection_boxes"], np.float32).reshape(1, -1, 4)
    scores = np.asarray(out["detection_scores"], np.float32).reshape(1, -1)
    classes = np.asarray(out["detection_classes"]).reshape(1, -1).astype(np.int64)
    num = np.asarray(out["num_detections"]).reshape(-1).astype(np.int64)
    # Boxes are pixels of the padded input square: back to pixels of ``image``.
    pixels = boxes / scale
    height, width = image.shape[:2]
    pixels = np.clip(pixels, 0, np.array([height, width, height, width], np.float32))
    normalized = pixels / np.array([height, width, height, width], np.float32)
    return {"boxes": pixels, "boxes_normalized": normalized, "scores": scores, "classes": classes, "num": num}
