"""Training presets: what differs between the smoke, demo and gpu experiments, and the user's overrides.

Standard library only: the Snakefile's config checks and the DAG (does the preset
start from the pretrained checkpoint? does it need a GPU?) read the presets
without TensorFlow. :mod:`spatule.model` turns a :class:`Preset` into a Model
Garden experiment; :mod:`spatule.devices` decides where it runs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from spatule.problems import SpatuleError

TILE_SIZE = 640
"""Side of the synthetic tiles the detector is trained on (pixels)."""

TAG_SIDE_PX = (30, 190)
"""Range of tag box sides on a 640 tile (pixels); anchors are chosen to cover it."""

NUM_CLASSES = 2
"""Model Garden ``num_classes``: the tag (label 1) + the background (0)."""

TAG_CLASS = 1
"""Class id of a tag in the TFRecords, the COCO JSON and the detector outputs."""

PRESETS = ("smoke", "demo", "gpu")
"""Preset names accepted by :func:`experiment_config`."""

MIXED_PRECISION = ("float32", "float16", "bfloat16")


@dataclasses.dataclass(frozen=True)
class Preset:
    """What differs between presets; every field can be overridden from ``train.*``.

    ``steps``: training steps (the global step to reach; re-running with more
    continues from the last checkpoint). ``batch_size`` is global (summed over
    GPUs). ``learning_rate``: peak of a linear warm-up + cosine decay over
    ``steps`` (SGD, momentum 0.9), for this ``batch_size``: overriding only
    ``batch_size`` scales it linearly (:func:`resolve_preset`). ``scale_jitter``:
    random scale range of training tiles. There is no GPU count: training uses
    every GPU TensorFlow sees in the job (:mod:`spatule.devices`); ``needs_gpu``
    presets stop rather than train on a CPU. ``init_checkpoint``: a checkpoint
    prefix or folder, ``""`` (from scratch) or ``"pretrained"`` (the folder rule
    ``pretrained`` unpacks, named by the config's ``pretrained.name``).
    ``mixed_precision`` and ``enable_xla`` apply on GPUs only; on a CPU the
    model runs in float32.
    """

    experiment: str
    input_size: int
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    anchor_size: float
    min_level: int
    max_level: int
    mixed_precision: str
    init_checkpoint: str
    init_checkpoint_modules: str
    hflip: bool
    scale_jitter: tuple[float, float]
    steps_per_loop: int
    checkpoint_interval: int
    eval_interval: int
    eval_steps: int
    val_batch_size: int
    l2_weight_decay: float
    seed: int
    model: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    deterministic: bool = False
    """TensorFlow op determinism and an ordered input pipeline: the same config gives the same
    weights on the same machine (measured cost on 2 CPU cores: see docs/results.md)."""
    needs_gpu: bool = False
    """Stop with an install hint when TensorFlow sees no GPU, instead of training on the CPU."""
    enable_xla: bool = False
    """XLA-compile the training step on GPUs (the Model Garden's ``runtime.enable_xla``)."""


_MOBILE_SPINENET = {
    # Mobile SpineNet-49 (Model Garden 'retinanet_mobile_coco'): separable convs,
    # 48-filter head; its input must be a multiple of 128. No stochastic depth and
    # plain BN: a few hundred steps from scratch on one device.
    "backbone": {"type": "spinenet_mobile",
                 "spinenet_mobile": {"model_id": "49", "stochastic_depth_drop_rate": 0.0,
                                     "min_level": 3, "max_level": 7}},
    "norm_activation": {"use_sync_bn": False, "activation": "swish"},
}

_MOBILENET_V2_TINY = {
    "backbone": {"type": "mobilenet", "mobilenet": {"model_id": "MobileNetV2", "filter_size_scale": 0.35}},
    "decoder": {"type": "fpn", "fpn": {"num_filters": 32, "use_separable_conv": True}},
    "head": {"num_convs": 1, "num_filters": 32, "use_separable_conv": True},
    "norm_activation": {"use_sync_bn": False, "activation": "relu6"},
}

PRESET_DEFAULTS: dict[str, Preset] = {
    # Tests and workflow checks: MobileNetV2 (width 0.35) + a 32-filter separable FPN and a
    # one-conv head at 128 px, levels 3-5. It builds and traces in ~30 s on 2 CPU cores,
    # 2.5x faster than Mobile SpineNet, and exercises the same code (data, anchors,
    # COCO eval, checkpoints, export, TFLite). At 128 a 30-190 px tag is 6-38 px;
    # anchor_size 1.5 gives 12-19 px at level 3. It does not have to learn.
    "smoke": Preset(
        experiment="retinanet_mobile_coco", input_size=128, steps=4, batch_size=2, learning_rate=0.01,
        warmup_steps=1, anchor_size=1.5, min_level=3, max_level=5, mixed_precision="float32",
        init_checkpoint="", init_checkpoint_modules="backbone",
        hflip=True, scale_jitter=(1.0, 1.0), steps_per_loop=2, checkpoint_interval=2, eval_interval=4,
        eval_steps=1, val_batch_size=2, l2_weight_decay=3e-5, seed=0, model=_MOBILENET_V2_TINY, deterministic=True),
    # CPU demo: Mobile SpineNet-49 at 256, batch 8, from scratch, float32. At 256 tags are
    # 12-76 px; the default anchor_size 3 would make the smallest anchor 24 px, so a 12 px
    # tag overlaps it by IoU 0.25 and is never a positive (measured: the model learnt
    # nothing). anchor_size 1.5: level 3 anchors 12-19 px, level 4 24-38, level 5 48-76,
    # which covers 12-80 px with IoU >= 0.5. No levels 6-7 (96-300 px, tile-sized at the
    # tile's scale): no tag ever trains them as positives, and on ground unlike any training
    # tile (night frames, the info bar) they answered with tile-sized boxes at high scores.
    "demo": Preset(
        experiment="retinanet_mobile_coco", input_size=256, steps=700, batch_size=8, learning_rate=0.08,
        warmup_steps=60, anchor_size=1.5, min_level=3, max_level=5, mixed_precision="float32",
        init_checkpoint="", init_checkpoint_modules="backbone",
        hflip=True, scale_jitter=(0.8, 1.25), steps_per_loop=50, checkpoint_interval=100, eval_interval=700,
        eval_steps=-1, val_batch_size=8, l2_weight_decay=3e-5, seed=0, model=_MOBILE_SPINENET, deterministic=True),
    # Lab GPU server: RetinaNet ResNet-50 FPN at the full tile (640), float16 mixed precision
    # with dynamic loss scaling (tensor cores on any CUDA GPU since Volta; 'bfloat16' for
    # A100/H100 is an override), on every GPU the job sees (one: that GPU; several:
    # MirroredStrategy). Backbone and FPN decoder start from the Model Garden's COCO RetinaNet
    # checkpoint (rule `pretrained`; only the 91-class head is new). Learning rate 0.02 at
    # batch 16 is the Model Garden's own 0.32 at 256, scaled linearly. At 640 tags are
    # 30-190 px: anchor_size 3 gives 24-38 px at level 3 up to 192-305 px at level 6, so every
    # tag size has an anchor with IoU >= 0.5; the default 4 (32-51 px) would miss the smallest.
    "gpu": Preset(
        experiment="retinanet_resnetfpn_coco", input_size=640, steps=6000, batch_size=16, learning_rate=0.02,
        warmup_steps=300, anchor_size=3.0, min_level=3, max_level=7, mixed_precision="float16",
        init_checkpoint="pretrained", init_checkpoint_modules="backbone,decoder", needs_gpu=True,
        hflip=True, scale_jitter=(0.8, 1.25), steps_per_loop=100, checkpoint_interval=500,
        eval_interval=1000, eval_steps=-1, val_batch_size=8, l2_weight_decay=1e-4, seed=0,
        model={"norm_activation": {"use_sync_bn": True}}, enable_xla=False),
}
"""The presets. Horizontal flip is on everywhere: it mirrors the code printed on a tag,
but the detector only has to find the band (a mirrored band is still a white band on a
dark leg), the flip doubles the variety of tag/ground layouts, and the crops for reading
codes are cut from the unflipped photo."""

OVERRIDE_KEYS = frozenset(f.name for f in dataclasses.fields(Preset)) - {"experiment", "model"} | {"params"}
"""Keys accepted in ``overrides`` (``train.*`` of the workflow config); ``params`` is a
nested dict applied last with ``ExperimentConfig.override`` (any Model Garden key)."""

WORKFLOW_KEYS = frozenset({"preset", "threads", "gpus", "runtime_min", "mem_mb"})
"""``train.*`` keys that steer the Snakemake job, not the experiment: ``gpus`` is what the job
asks the scheduler for (``resources: gpu``); what training uses is what TensorFlow then sees."""

PRETRAINED = "pretrained"
"""The ``init_checkpoint`` value that means: the checkpoint rule ``pretrained`` unpacks."""

PRETRAINED_ROOT = "resources/pretrained"
"""Where rule ``pretrained`` unpacks published checkpoints (one folder per ``pretrained.name``)."""

DEFAULT_PRESET = "demo"
"""The preset of a ``train`` section that names none (the config schema requires one)."""


def train_overrides(train: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment overrides in the ``train`` config section (unset = the preset's)."""
    return {k: v for k, v in train.items() if k not in WORKFLOW_KEYS and v is not None}


def preset_name(train: Mapping[str, Any]) -> str:
    """The preset named by the ``train`` config section."""
    return str(train.get("preset", DEFAULT_PRESET))


def preset_of(train: Mapping[str, Any]) -> Preset:
    """The preset the ``train`` config section resolves to (its overrides applied)."""
    return resolve_preset(preset_name(train), train_overrides(train))


def uses_pretrained(train: Mapping[str, Any]) -> bool:
    """Whether the ``train`` section starts from the checkpoint of rule ``pretrained``."""
    return preset_of(train).init_checkpoint == PRETRAINED


def resolve_preset(preset: str = DEFAULT_PRESET, overrides: Optional[Mapping[str, Any]] = None) -> Preset:
    """The preset's settings with ``overrides`` applied (None values mean "not set").

    A ``batch_size`` given without a ``learning_rate`` keeps the preset's rate per
    image: the learning rate is scaled by ``batch_size / preset batch_size``.

    Raises :class:`SpatuleError` naming an unknown preset or key, or a bad value.
    """
    if preset not in PRESET_DEFAULTS:
        raise SpatuleError(f"train.preset: unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    chosen = {k: v for k, v in dict(overrides or {}).items() if v is not None and k not in WORKFLOW_KEYS}
    unknown = sorted(set(chosen) - OVERRIDE_KEYS)
    if unknown:
        raise SpatuleError(f"train: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(OVERRIDE_KEYS))}")
    chosen.pop("params", None)
    if "scale_jitter" in chosen:
        chosen["scale_jitter"] = tuple(float(v) for v in chosen["scale_jitter"])
    base = PRESET_DEFAULTS[preset]
    if "batch_size" in chosen and "learning_rate" not in chosen and isinstance(chosen["batch_size"], int) \
            and chosen["batch_size"] > 0:
        # linear scaling (Goyal et al. 2017, as the Model Garden's configs do): the same rate per image
        chosen["learning_rate"] = base.learning_rate * chosen["batch_size"] / base.batch_size
    settings = dataclasses.replace(base, **chosen)
    _check_settings(settings)
    return settings


def _check_settings(s: Preset) -> None:
    """Clear errors for values the Model Garden would reject late or obscurely."""
    problems = []
    for name in ("input_size", "steps", "batch_size", "steps_per_loop", "checkpoint_interval", "eval_interval",
                 "val_batch_size"):
        if not isinstance(getattr(s, name), int) or getattr(s, name) < 1:
            problems.append(f"{name} must be a positive integer (got {getattr(s, name)!r})")
    if s.model.get("backbone", {}).get("type") == "spinenet_mobile" and isinstance(s.input_size, int) \
            and s.input_size % 128:
        problems.append(f"input_size must be a multiple of 128 for Mobile SpineNet (got {s.input_size}; "
                        "try 256 or 384)")
    if isinstance(s.input_size, int) and s.input_size % 2 ** s.max_level:
        problems.append(f"input_size {s.input_size} must be a multiple of 2**max_level = {2 ** s.max_level}")
    if s.min_level > s.max_level:
        problems.append(f"min_level {s.min_level} must not exceed max_level {s.max_level}")
    if s.mixed_precision not in MIXED_PRECISION:
        problems.append(f"mixed_precision must be one of {', '.join(MIXED_PRECISION)} (got {s.mixed_precision!r})")
    if s.learning_rate <= 0 or s.anchor_size <= 0:
        problems.append("learning_rate and anchor_size must be positive")
    if not (0 < s.scale_jitter[0] <= s.scale_jitter[1]) or len(s.scale_jitter) != 2:
        problems.append(f"scale_jitter must be [min, max] with 0 < min <= max (got {list(s.scale_jitter)})")
    if s.eval_steps == 0 or s.eval_steps < -1:
        problems.append(f"eval_steps must be -1 (whole validation set) or positive (got {s.eval_steps})")
    if problems:
        raise SpatuleError("train: " + "; ".join(problems))
