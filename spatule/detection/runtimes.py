"""A model as a tile detector: the exported SavedModel (uint8 **RGB** tiles, x-first pixel boxes, the
tag class kept) or the newest checkpoint of a training folder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from spatule.presets import TAG_CLASS
from spatule.detection.tiling import (
    Detector,
)


_log = logging.getLogger("spatule")


def tile_detector(model: Callable[[np.ndarray], Mapping[str, np.ndarray]], tag_class: int = TAG_CLASS) -> Detector:
    """A :data:`spatule.detection.tiling.Detector` from :func:`spatule.model.load_detector`'s callable.

    Keeps the first ``num[i]`` detections of class ``tag_class`` of each tile (``(x0, y0, x1, y1)`` tile
    pixels).
    """
    def detect(tiles: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        out = model(tiles)
        boxes, scores = [], []
        for i in range(len(tiles)):
            n = int(out["num"][i])
            keep = np.asarray(out["classes"][i][:n]) == tag_class
            boxes.append(np.asarray(out["boxes"][i][:n], dtype=float)[keep].reshape(-1, 4))
            scores.append(np.asarray(out["scores"][i][:n], dtype=float)[keep])
        return boxes, scores

    return detect


def load_model_detector(saved_model: Path, threads: int | None = None,
                        log: logging.Logger = _log) -> Detector:
    """The exported SavedModel as a tile detector (TensorFlow threads sized to the job)."""
    from spatule.model import configure_tensorflow, load_detector

    configure_tensorflow(threads, log)
    return tile_detector(load_detector(saved_model))


def checkpoint_tile_detector(model_dir: Path, threads: int | None = None, log: logging.Logger = _log) -> Detector:
    """The newest checkpoint of a training folder as a tile detector, without exporting it (what
    mining hard negatives searches with; TensorFlow threads sized to the job)."""
    from spatule.model import checkpoint_detector, configure_tensorflow

    configure_tensorflow(threads, log)
    return tile_detector(checkpoint_detector(model_dir))
