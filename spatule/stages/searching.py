"""Rules ``search_settings`` and ``model_card``: how every photo is searched, written once.

``search_settings`` turns the ``detect`` section, the tile size, the camera's info bar and the largest
labelled tag into ``results/search/settings.json``; the val evaluation, mining hard negatives and the
second training round search with it. ``model_card`` adds the score threshold chosen on the val photos
and writes the card beside the exported model, which ``detect_job``, the test evaluations and
``spatule detect`` search with.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping

from spatule.detection.card import card_at, card_of, write_card
from spatule.detection.settings import settings_from_labels

_log = logging.getLogger("spatule")


def search_settings(detect: Mapping[str, Any], tile_size: int, info_bar_px: int, class_name: str, objects_csv: Path,
                    out_json: Path, log: logging.Logger = _log) -> dict[str, Any]:
    """Write the search settings (:func:`spatule.detection.settings.settings_from_labels`) in the card's form;
    its ``threshold`` says ``config`` when ``detect.score_threshold`` is set, else is empty (chosen on val)."""
    settings = settings_from_labels(detect, tile_size, objects_csv, info_bar_px, log)
    threshold = {"source": "config"} if detect.get("score_threshold") is not None else {}
    write_card(out_json, settings, class_name, threshold)
    return card_of(settings, class_name, threshold)


def model_card(settings_json: Path, val_metrics: Path, out_json: Path, log: logging.Logger = _log) -> dict[str, Any]:
    """The card beside the exported model: the search settings (``settings_json``, rule ``search_settings``)
    at the score threshold of the val photos' evaluation (``val_metrics``, rule ``evaluate_val``), with its
    precision and recall there, so that ``spatule detect`` on another machine searches the same way."""
    from spatule.intervals import rate, shown

    val = json.loads(val_metrics.read_text(encoding="utf-8"))
    at = val["at_threshold"]
    threshold = {**val["threshold"], "val": {"photos": val["images"], "tags": val["tags"],
                                             "precision": rate(at["tp"], at["tp"] + at["fp"]),
                                             "recall": rate(at["tp"], at["tp"] + at["fn"])}}
    card = card_at(settings_json)
    settings = card.settings().with_threshold(float(val["score_threshold"]))
    write_card(out_json, settings, card.class_name, threshold)
    log.info("model card -> %s: score threshold %.4f (%s); on the val photos precision %s, recall %s", out_json,
             settings.score_threshold, threshold["source"], shown(threshold["val"]["precision"]),
             shown(threshold["val"]["recall"]))
    return card_of(settings, card.class_name, threshold)
