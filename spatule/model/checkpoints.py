"""Checkpoints: find the newest in a folder, check what a checkpoint holds, resolve ``init_checkpoint``."""

from __future__ import annotations

import glob
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING


from spatule.problems import SpatuleError

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig



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


def resolved_init_checkpoint(config: "ExperimentConfig", start_step: int, log: logging.Logger) -> "ExperimentConfig":
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
    config = copy_config(config)
    config.task.init_checkpoint = prefix
    log.info("initialising %s from %s", config.task.init_checkpoint_modules, prefix)
    return config


def copy_config(config: "ExperimentConfig") -> "ExperimentConfig":
    import copy

    return copy.deepcopy(config)
