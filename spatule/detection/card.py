"""The model card: what someone who receives an exported model needs to search photos as the
workflow did (tile size, overlap, the camera's info bar, score threshold, tag class), written
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
    from spatule.evaluate import ThresholdChoice

CARD_NAME = "spatule.json"
"""The card's file name, in the exported model's folder (``results/exported/``)."""

TFLITE_NAME = "model.tflite"
"""The TFLite model's file name, in the same folder (rule ``tflite``)."""


@dataclass(frozen=True)
class ModelCard:
    """The search settings and the class name a model was made with."""

    search: Mapping[str, Any]
    class_name: str = "tag"
    threshold: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def settings(self, overrides: Mapping[str, Any] | None = None) -> DetectSettings:
        """The search settings, ``overrides`` (field name -> value) on top."""
        known = {f.name for f in dataclasses.fields(DetectSettings)}
        return DetectSettings(**{k: v for k, v in {**self.search, **dict(overrides or {})}.items() if k in known})


def card_of(settings: DetectSettings, class_name: str, threshold: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card of a model searched with ``settings``, as written to :data:`CARD_NAME`; ``threshold``: how
    ``settings.score_threshold`` was chosen (:meth:`spatule.evaluate.ThresholdChoice.as_dict`, with the
    val photos' figures at it)."""
    return {"search": dataclasses.asdict(settings), "class_name": class_name, "threshold": dict(threshold or {})}


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
        path = folder / CARD_NAME
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return ModelCard(dict(data["search"]), str(data.get("class_name", "tag")),
                                 dict(data.get("threshold") or {}))
            except (ValueError, KeyError, TypeError) as exc:
                raise SpatuleError(f"{path}: not a spatule model card ({exc})") from None
    return ModelCard({})


def card_threshold(path: Path) -> "ThresholdChoice":
    """The score threshold of the card at ``path`` (rule ``model_card``'s output) and where it came from."""
    from spatule.evaluate import ThresholdChoice

    try:
        card = json.loads(path.read_text(encoding="utf-8"))
        chosen = card.get("threshold") or {}
        return ThresholdChoice(float(card["search"]["score_threshold"]), str(chosen.get("source", "config")),
                               chosen.get("target_precision"), str(chosen.get("note", "")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SpatuleError(f"{path}: not a spatule model card with a score threshold ({exc})") from None
