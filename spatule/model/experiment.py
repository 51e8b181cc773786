"""The Model Garden experiment of a preset on this machine, read back from ``params.yaml``, and its anchors."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

import numpy as np

from spatule import devices
from spatule.devices import DevicePlan, device_plan, diagnose, tf_build_info
from spatule.geometry import iou_matrix, yx_to_xy
from spatule.presets import DEFAULT_PRESET, NUM_CLASSES, PRETRAINED, Preset, resolve_preset
from spatule.problems import SpatuleError

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

LOG = logging.getLogger("spatule.model")


def experiment_config(preset: str = DEFAULT_PRESET, train_files: str | Sequence[str] = "",
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
    seen = devices.visible_gpus() if gpus is None else int(gpus)
    plan = device_plan(s, seen, diagnose(tf_build_info()) if seen == 0 else "", preset)
    LOG.info("preset %s: %s", preset, plan.summary())
    for note in plan.notes:
        LOG.info("%s", note)
    init_checkpoint = _init_checkpoint(s, preset, pretrained)
    config = exp_factory.get_exp_config(s.experiment)
    config.override({
        "runtime": runtime_section(plan),
        "task": task_section(s, plan, init_checkpoint, train_files, val_files, val_annotation),
        "trainer": trainer_section(s),
    }, is_strict=True)
    if config.task.model.backbone.type == "spinenet_mobile":
        config.task.model.backbone.spinenet_mobile.min_level = s.min_level
        config.task.model.backbone.spinenet_mobile.max_level = s.max_level
    if overrides and overrides.get("params"):
        _override_params(config, overrides["params"], plan)
    try:
        config.validate()
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SpatuleError(f"train: the experiment does not validate ({exc}); check train.params") from None
    return config


def _init_checkpoint(s: Preset, preset: str, pretrained: str | Path | None) -> str:
    """``task.init_checkpoint``: the preset's, with ``pretrained`` standing for the folder of rule ``pretrained``."""
    if (s.init_checkpoint or "") != PRETRAINED:
        return s.init_checkpoint or ""
    if not pretrained:
        raise SpatuleError(f"train.init_checkpoint: {PRETRAINED!r} (preset {preset}) means the checkpoint of "
                           "rule pretrained, and no folder was given for it")
    return str(pretrained)


def task_section(s: Preset, plan: DevicePlan, init_checkpoint: str, train_files: str | Sequence[str],
                 val_files: str | Sequence[str], val_annotation: str) -> dict[str, Any]:
    """The Model Garden ``task`` of a preset: start checkpoint, COCO evaluation, the model and both inputs."""
    jitter_min, jitter_max = s.scale_jitter
    return {
        "init_checkpoint": init_checkpoint,
        "init_checkpoint_modules": s.init_checkpoint_modules,
        "annotation_file": str(val_annotation),
        "use_coco_metrics": True,
        "losses": {"l2_weight_decay": s.l2_weight_decay},
        "model": model_section(s),
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
    }


def model_section(s: Preset) -> dict[str, Any]:
    """The Model Garden ``task.model`` of a preset: two classes, input size, levels, anchors and the
    detection generator (the preset's ``model`` overrides on top)."""
    return {
        "num_classes": NUM_CLASSES,
        "input_size": [s.input_size, s.input_size, 3],
        "min_level": s.min_level, "max_level": s.max_level,
        "anchor": {"anchor_size": s.anchor_size, "num_scales": 3, "aspect_ratios": [0.5, 1.0, 2.0]},
        "detection_generator": {"max_num_detections": 100, "pre_nms_score_threshold": 0.05,
                                "tflite_post_processing": {"max_detections": 100,
                                                           "max_classes_per_detection": 1,
                                                           "nms_score_threshold": 0.05}},
        **_nested_copy(s.model),
    }


def trainer_section(s: Preset) -> dict[str, Any]:
    """The Model Garden ``trainer`` of a preset: steps, loops and intervals, SGD with a linear warm-up
    then cosine decay."""
    loop = min(s.steps_per_loop, s.steps)
    # Orbit checkpoints at the end of a loop: keep the intervals multiples of the loop.
    checkpoint_every = max(loop, s.checkpoint_interval // loop * loop)
    eval_every = max(loop, min(s.eval_interval, s.steps) // loop * loop)
    warmup = min(s.warmup_steps, max(1, s.steps // 2))
    return {
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
    }


def _override_params(config: "ExperimentConfig", params: Mapping[str, Any], plan: DevicePlan) -> None:
    """Apply ``train.params`` (raw nested Model Garden overrides) to ``config``, strictly."""
    try:
        config.override(dict(params), is_strict=True)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:  # an unknown key or a wrong type
        raise SpatuleError(f"train.params: the Model Garden refuses {params!r}: {exc}") from None
    # batches set through train.params must split over the GPUs as well
    for data in (config.task.train_data, config.task.validation_data):
        if data.global_batch_size % plan.replicas:
            raise SpatuleError(f"train.params: global_batch_size {data.global_batch_size} does not split evenly "
                               f"over the {plan.replicas} GPUs TensorFlow sees; use a multiple of {plan.replicas}")


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
    """An ``ExperimentConfig`` from a ``params.yaml`` written by :func:`run_training` (or a model dir)."""
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

def anchor_boxes(config: "ExperimentConfig") -> np.ndarray:
    """All anchors of the model as ``[N, 4]`` ``(x0, y0, x1, y1)`` in model-input pixels.

    Computed with the Model Garden's own anchor generator (the one the parser
    labels training targets with).
    """
    from official.vision.ops import anchor as anchor_ops

    model = config.task.model
    levels = anchor_ops.Anchor(min_level=model.min_level, max_level=model.max_level,
                               num_scales=model.anchor.num_scales, aspect_ratios=list(model.anchor.aspect_ratios),
                               anchor_size=model.anchor.anchor_size,
                               image_size=list(model.input_size[:2])).multilevel_boxes
    return yx_to_xy(np.concatenate([np.asarray(boxes, np.float64).reshape(-1, 4) for boxes in levels.values()]))


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
        box = np.array([x - width / 2, y - height / 2, x + width / 2, y + height / 2])
        best.append(iou_matrix(box, boxes).max())
    return float(np.mean(best))
