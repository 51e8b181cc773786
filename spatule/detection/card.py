"""The model card: what someone who receives an exported model needs to search photos as the
workflow did (tile size, overlap, the camera's info bar and ``camera.mask``, score threshold, tag class), written
beside the model by rule ``model_card`` and read by ``spatule detect``, rule ``detect_job`` and the
held-out evaluations. Its score threshold was chosen on the real val photos (``threshold.source``
``val``), or is ``detect.score_threshold`` as set (``config``); the card says which, with the val
photos' precision and recall at it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from spatule.problems import SpatuleError
from spatule.detection.settings import DetectSettings

if TYPE_CHECKING:
    from spatule.detection.threshold import ThresholdChoice

CARD_NAME = "spatule.json"
"""The card's file name, in the exported model's folder (``results/exported/``)."""

TFLITE_NAME = "model.tflite"
"""The TFLite model's file name, in the same folder (rule ``tflite``)."""


OLD_NAMES = {"skip_bottom": "info_bar_px", "tile": "tile_size", "batch": "batch_size"}
"""Search settings as cards written before 2026-12-07 name them."""


def search_dict(settings: DetectSettings) -> dict[str, Any]:
    """The search settings as a card writes them: every field, ``mask`` only when it lists a rectangle (a card
    without it reads as no mask, and without one the files are as before ``camera.mask`` existed)."""
    values = dataclasses.asdict(settings)
    if not values.get("mask"):
        values.pop("mask", None)
    return values


@dataclass(frozen=True)
class ModelCard:
    """The search settings and the class name a model was made with."""

    search: Mapping[str, Any]
    class_name: str = "tag"
    threshold: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def settings(self, overrides: Mapping[str, Any] | None = None) -> DetectSettings:
        """The search settings, ``overrides`` (field name -> value) on top (a card written before the fields took
        their config keys' names says ``skip_bottom``, ``tile``, ``batch``: read as ``info_bar_px``, ...; one
        without ``mask``: no mask)."""
        known = {f.name for f in dataclasses.fields(DetectSettings)}
        search = dict(self.search)
        for old, new in OLD_NAMES.items():
            if old in search:
                search.setdefault(new, search.pop(old))
        return DetectSettings(**{k: v for k, v in {**search, **dict(overrides or {})}.items() if k in known})

    @classmethod
    def of(cls, settings: DetectSettings, threshold: "ThresholdChoice | None" = None,
           class_name: str = "tag") -> "ModelCard":
        """The card of ``settings`` at ``threshold`` (None: still to be chosen on val)."""
        if threshold is None:
            return cls(search_dict(settings), class_name, {})
        return cls(search_dict(settings.with_threshold(threshold.score_threshold)), class_name,
                   threshold.as_dict())

    def fixed_threshold(self) -> "ThresholdChoice | None":
        """The score threshold the card carries and where it came from; None when it is still to be chosen
        (the search settings file without ``detect.score_threshold``: the val evaluation chooses it)."""
        from spatule.detection.threshold import ThresholdChoice

        if not self.threshold:
            return None
        chosen = self.threshold
        return ThresholdChoice(float(self.search["score_threshold"]), str(chosen.get("source", "config")),
                               chosen.get("target_precision"), str(chosen.get("note", "")))


def card_of(settings: DetectSettings, class_name: str, threshold: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card of a model searched with ``settings``, as written to :data:`CARD_NAME`; ``threshold``: how
    ``settings.score_threshold`` was chosen (:meth:`spatule.detection.threshold.ThresholdChoice.as_dict`, with the
    val photos' figures at it)."""
    return {"search": search_dict(settings), "class_name": class_name, "threshold": dict(threshold or {})}


def write_card(path: Path, settings: DetectSettings, class_name: str,
               threshold: Mapping[str, Any] | None = None) -> None:
    """Write the card (sorted JSON)."""
    path.write_text(json.dumps(card_of(settings, class_name, threshold), indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")


def saved_model_of(model: Path) -> Path:
    """The SavedModel folder: ``model`` itself, or its ``saved_model`` folder (``results/exported``)."""
    for candidate in (model / "saved_model", model):
        if (candidate / "saved_model.pb").is_file():
            return candidate
    raise SpatuleError(f"{model}: no saved_model.pb here nor in {model / 'saved_model'}; give the workflow's "
                       "results/exported folder")


def tflite_of(model: Path) -> Path | None:
    """The TFLite model exported beside the SavedModel (``results/exported/model.tflite``), if any."""
    for candidate in (model / TFLITE_NAME, model.parent / TFLITE_NAME):
        if candidate.is_file():
            return candidate
    return None


def read_card(model: Path) -> ModelCard:
    """The card beside the model; without one, the workflow's defaults (the caller says what differs)."""
    for folder in (model, model.parent):
        if (folder / CARD_NAME).is_file():
            return card_at(folder / CARD_NAME)
    return ModelCard({})


def card_at(path: Path) -> ModelCard:
    """The card in the file ``path`` (rule ``search_settings``'s ``results/search/settings.json``, whose
    ``threshold`` is empty unless ``detect.score_threshold`` is set, or rule ``model_card``'s)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ModelCard(dict(data["search"]), str(data.get("class_name", "tag")), dict(data.get("threshold") or {}))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpatuleError(f"{path}: not a spatule model card or search settings file ({exc})") from None


def card_threshold(path: Path) -> "ThresholdChoice":
    """The score threshold of the card at ``path`` (rule ``model_card``'s output) and where it came from."""
    chosen = card_at(path).fixed_threshold()
    if chosen is None:
        raise SpatuleError(f"{path}: no score threshold chosen in it (rule model_card writes the card with the one "
                           "chosen on the val photos)")
    return chosen
