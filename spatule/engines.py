"""Which runtime searches the photos: the exported SavedModel or its TFLite conversion
(``detect.engine``), and the model chosen as a tile detector."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from spatule.problems import SpatuleError
from spatule.search import load_model_detector, tile_detector
from spatule.tiling import Detector

_log = logging.getLogger("spatule")

ENGINES = ("auto", "tflite", "saved_model")
"""``detect.engine``: the runtime that searches photos. ``tflite``: the TFLite model on the CPU (XNNPACK;
about ten times faster than the SavedModel there, the same boxes); ``saved_model``: the SavedModel
(batches of tiles, on a GPU when there is one); ``auto``: the SavedModel where TensorFlow sees a GPU,
else the TFLite model when there is one."""


@dataclass(frozen=True)
class SearchModel:
    """The model file a search runs, and the runtime that runs it (``tflite`` or ``saved_model``)."""

    engine: str
    path: Path

    def digest(self) -> str:
        """What the cache knows this model by: the runtime and the file's (or folder's) sha256."""
        from spatule.detect_cache import model_digest

        return f"{self.engine}:{model_digest(self.path)}"


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU here."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def search_model(saved_model: Path, tflite: Path | None, engine: str = "auto",
                 gpu: Callable[[], bool] = gpu_visible, log: logging.Logger = _log) -> SearchModel:
    """Which model the search runs (see :data:`ENGINES`): ``saved_model`` (the exported folder) or
    ``tflite`` (the exported ``model.tflite``, None or missing when there is none)."""
    if engine not in ENGINES:
        raise SpatuleError(f"detect.engine: {engine!r} is not one of {', '.join(ENGINES)}")
    has_tflite = tflite is not None and Path(tflite).is_file()
    if engine == "tflite" and not has_tflite:
        raise SpatuleError(f"detect.engine tflite: no TFLite model at {tflite} (rule tflite makes it)")
    chosen = engine
    if engine == "auto":
        chosen = "saved_model" if not has_tflite or gpu() else "tflite"
    model = SearchModel(chosen, Path(tflite) if chosen == "tflite" else Path(saved_model))  # type: ignore[arg-type]
    log.info("search runs %s (%s)%s", model.path, chosen, "" if engine != "auto" else
             ": a GPU is visible" if has_tflite and chosen == "saved_model" else
             ": no GPU visible" if chosen == "tflite" else ": no TFLite model beside it (slower on a CPU)")
    return model


def load_search_detector(model: SearchModel, threads: int | None = None, log: logging.Logger = _log) -> Detector:
    """The chosen model as a tile detector (threads sized to the job)."""
    from spatule.model import tflite_detector

    if model.engine == "tflite":
        return tile_detector(tflite_detector(model.path, threads))
    return load_model_detector(model.path, threads, log)
