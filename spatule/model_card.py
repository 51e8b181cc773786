"""The model card: what someone who receives an exported model needs to search photos as the
workflow did (tile size, overlap, the camera's info bar, score threshold, tag class), written
beside the model by rule ``model_card`` and read by ``spatule detect``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from spatule.problems import SpatuleError
from spatule.search import DetectSettings

CARD_NAME = "spatule.json"
"""The card's file name, in the exported model's folder (``results/exported/``)."""

TFLITE_NAME = "model.tflite"
"""The TFLite model's file name, in the same folder (rule ``tflite``)."""


@dataclass(frozen=True)
class ModelCard:
    """The search settings and the class name a model was made with."""

    search: Mapping[str, Any]
    class_name: str = "tag"

    def settings(self, overrides: Mapping[str, Any] | None = None) -> DetectSettings:
        """The search settings, ``overrides`` (field name -> value) on top."""
        known = {f.name for f in dataclasses.fields(DetectSettings)}
        return DetectSettings(**{k: v for k, v in {**self.search, **dict(overrides or {})}.items() if k in known})


def card_of(settings: DetectSettings, class_name: str) -> dict[str, Any]:
    """The card of a model searched with ``settings``, as written to :data:`CARD_NAME`."""
    return {"search": dataclasses.asdict(settings), "class_name": class_name}


def write_card(path: Path, settings: DetectSettings, class_name: str) -> None:
    """Write the card (sorted JSON)."""
    path.write_text(json.dumps(card_of(settings, class_name), indent=2, sort_keys=True) + "\n", encoding="utf-8")


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
                return ModelCard(dict(data["search"]), str(data.get("class_name", "tag")))
            except (ValueError, KeyError, TypeError) as exc:
                raise SpatuleError(f"{path}: not a spatule model card ({exc})") from None
    return ModelCard({})
