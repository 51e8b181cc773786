"""Which runtime searches the photos: the exported SavedModel or its TFLite conversion
(``detect.engine``), and the model chosen as a tile detector."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from spatule.problems import SpatuleError
from spatule.detection.runtimes import load_model_detector, tile_detector
from spatule.detection.tiling import Detector

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
        """What the cache knows this model by: the SavedModel folder's sha256 (as before there was a
        choice: caches made then stay valid), ``tflite:`` and the TFLite file's sha256."""
        from spatule.detection.cache import model_digest

        return model_digest(self.path) if self.engine == "saved_model" else f"{self.engine}:{model_digest(self.path)}"

    def decoders(self, threads: int) -> int:
        """Threads that decode photos ahead of the model. The TFLite model on the CPU uses every thread it
        is given: one decoder per four threads (on 2 cores, one or two decoders are within the noise: 7.0
        and 7.4 photos/s, ``bench/detect_speed.py --decoders``). A GPU waits for photos: as many decoders
        as threads."""
        return max(1, int(threads) // 4) if self.engine == "tflite" else max(1, int(threads))


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
        where = tflite if tflite is not None else Path(saved_model).parent / "model.tflite"
        raise SpatuleError(f"engine tflite: {where} does not exist (the workflow's rule tflite writes "
                           "results/exported/model.tflite)")
    gpu_seen = engine == "auto" and gpu()
    chosen = engine if engine != "auto" else "tflite" if has_tflite and not gpu_seen else "saved_model"
    model = SearchModel(chosen, Path(tflite) if chosen == "tflite" else Path(saved_model))  # type: ignore[arg-type]
    why = "" if engine != "auto" else ": a GPU is visible" if gpu_seen else ": no GPU visible" if has_tflite else \
        ": no GPU visible, but no TFLite model beside it (slower)"
    log.info("search runs %s (%s)%s", model.path, chosen, why)
    return model


@dataclass(frozen=True)
class ModelFiles:
    """The exported model a rule is given (``saved_model``, and ``tflite`` unless ``detect.engine`` is the
    SavedModel: ``rules/common.smk::search_models``), the runtime asked for and the job's threads; which
    runtime searches is decided where the job runs (:func:`searcher`)."""

    saved_model: Path
    tflite: Path | None = None
    engine: str = "auto"
    threads: int = 1

    @classmethod
    def of_inputs(cls, inputs: Any, engine: str, threads: int) -> "ModelFiles":
        """From a rule's ``snakemake.input``."""
        tflite = getattr(inputs, "tflite", None)
        return cls(Path(inputs.saved_model), Path(tflite) if tflite else None, str(engine), int(threads))


@dataclass(frozen=True)
class TrainedModel:
    """The newest checkpoint of a training folder, searched without exporting it (mining hard negatives)."""

    model_dir: Path
    threads: int = 1


@dataclass(frozen=True)
class Searcher:
    """A model ready to search: ``load`` makes the tile detector (called only when a photo needs it);
    ``engine`` is the runtime, recorded in the metrics, ``model_id`` what the cache knows the model by
    (:meth:`SearchModel.digest`), ``decoders`` the threads that decode photos ahead of it."""

    load: Callable[[], Detector]
    engine: str = ""
    model_id: str = ""
    decoders: int = 1


def searcher(model: ModelFiles | TrainedModel | Searcher, log: logging.Logger = _log) -> Searcher:
    """The :class:`Searcher` of exported model files (the runtime chosen here, :func:`search_model`), of a
    training folder's newest checkpoint, or ``model`` itself (what tests give)."""
    if isinstance(model, Searcher):
        return model
    if isinstance(model, TrainedModel):
        from spatule.detection.runtimes import checkpoint_tile_detector

        return Searcher(lambda: checkpoint_tile_detector(model.model_dir, model.threads, log), "checkpoint")
    chosen = search_model(model.saved_model, model.tflite, model.engine, log=log)
    return Searcher(lambda: load_search_detector(chosen, model.threads, log), chosen.engine, chosen.digest(),
                    chosen.decoders(model.threads))


def load_search_detector(model: SearchModel, threads: int | None = None, log: logging.Logger = _log) -> Detector:
    """The chosen model as a tile detector (threads sized to the job)."""
    from spatule.model import tflite_detector

    if model.engine == "tflite":
        return tile_detector(tflite_detector(model.path, threads))
    return load_model_detector(model.path, threads, log)
