"""Rules ``evaluate_synthetic``, ``evaluate_val`` and ``evaluate_real``: the exported model on the synthetic
test tiles and on the held-out labelled photos, searched as the search settings say."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from spatule.detection.batches import detect_full_photo, detect_tiles, read_rgb
from spatule.detection.card import ModelCard, card_at
from spatule.detection.engines import ModelFiles, Searcher, searcher
from spatule.detection.threshold import choose_threshold
from spatule.evaluate import (
    EvalOutputs,
    EvalSettings,
    HeldOut,
    PhotoTables,
    as_image_detections,
    coco_truth,
    held_out_photos,
    record_evaluation,
)
from spatule.metrics import ImageDetections
from spatule.problems import SpatuleError
from spatule.tables import read_csv

_log = logging.getLogger("spatule")


def _card(card: ModelCard | Path) -> ModelCard:
    return card if isinstance(card, ModelCard) else card_at(card)


def evaluate_synthetic(coco_json: Path, model: ModelFiles | Searcher, card: ModelCard | Path, outputs: EvalOutputs,
                       evaluate: EvalSettings = EvalSettings(), log: logging.Logger = _log) -> dict[str, Any]:
    """Evaluate on the synthetic test tiles of ``coco_json`` (tile files relative to its folder), fed as they
    are in batches of the card's size, at the card's score threshold (``card``: rule ``model_card``'s).

    ``model``: the exported model files (the runtime, :mod:`spatule.detection.engines`, recorded in the
    metrics), loaded only when there are tiles.
    """
    from spatule.labels.photos import read_photo

    card, search = _card(card), searcher(model, log)
    threshold = card.fixed_threshold()
    if threshold is None:
        raise SpatuleError(f"{coco_json}: the synthetic test tiles are measured at the model card's score threshold, "
                           "and the card given has none (rule model_card writes it)")
    root = coco_json.parent
    truth = coco_truth(json.loads(coco_json.read_text(encoding="utf-8")))
    names, batch_size = sorted(truth), card.settings().batch_size
    detections: dict[str, ImageDetections] = {}
    if names:
        run = search.load()
        for start in range(0, len(names), 64):  # bounded memory: 64 tiles decoded at a time
            chunk = names[start:start + 64]
            found = detect_tiles([read_rgb(root / n) for n in chunk], run, batch_size, evaluate.min_score)
            detections.update({n: as_image_detections(f) for n, f in zip(chunk, found)})
    note = "" if names else f"no synthetic test tile in {coco_json} (synth.tiles.test is 0?): nothing to evaluate"
    return record_evaluation("synthetic", truth, detections, threshold, evaluate.min_score, outputs,
                             lambda n: read_photo(root / n), {"source": str(coco_json), "engine": search.engine},
                             note, log, evaluate.bootstrap)


def held_out_note(held: HeldOut, split: str) -> str:
    """What the figures cannot say when no labelled photo of ``split`` is held out whole ('' when one is)."""
    if held.labelled:
        return ""
    note = (f"no real held-out labelled photo: no labelled photo has all its tags in the {split} split "
            f"({len(held.excluded)} photo(s) left out, see 'excluded'), so AP, precision and recall on real "
            "photos cannot be measured")
    return note + (f"; {held.backgrounds} {split} background photo(s) were searched for false positives only"
                   if held.backgrounds else f" and there is no {split} background photo either")


def evaluate_real(photos: PhotoTables, model: ModelFiles | Searcher, card: ModelCard | Path, outputs: EvalOutputs,
                  split: str = "test", evaluate: EvalSettings = EvalSettings(),
                  log: logging.Logger = _log) -> dict[str, Any]:
    """Evaluate on the real photos of ``split`` at full size, tiled as ``detect`` does, with the card's search
    settings.

    The figures are measured at the card's score threshold (the test split's: rule ``model_card``'s, chosen
    on val); a card without one (rule ``search_settings``'s file, ``detect.score_threshold`` unset) has it
    chosen on these photos for ``evaluate.target_precision`` (:func:`~spatule.detection.threshold.choose_threshold`),
    what the val split's evaluation does. Writes a plain note instead of failing when there is no such photo.
    """
    from spatule.labels.objects import read_objects_csv
    from spatule.labels.photos import read_photo
    from spatule.problems import doubtful_xml, read_problems

    card, search, tables = _card(card), searcher(model, log), photos.tables
    settings = card.settings()
    held = held_out_photos(read_objects_csv(tables["objects"]), read_csv(tables["photos"]),
                           read_csv(tables["backgrounds"]), doubtful_xml(read_problems(tables["problems"])), split)
    for image, reason in held.excluded:
        log.info("%s: not evaluated (%s)", image, reason)
    by_name = {p.image: p for p in held.photos}
    truth = {p.image: p.truth for p in held.photos}
    detections: dict[str, ImageDetections] = {}
    run = search.load() if held.photos else None
    for p in held.photos:
        rgb = read_rgb(photos.labels_dir / p.image, p.orientation, p.orientation_applied)
        found = detect_full_photo(rgb, run, settings.with_threshold(evaluate.min_score))
        detections[p.image] = as_image_detections(found)
        log.info("%s: %d tag(s), %d detection(s) down to %.2f", p.image, len(p.truth.boxes), len(found),
                 evaluate.min_score)
    threshold = card.fixed_threshold() or choose_threshold(truth, detections, evaluate.target_precision)
    extra = {"split": split, "engine": search.engine, "labelled_photos": held.labelled,
             "background_photos": held.backgrounds,
             "excluded": [{"image": i, "reason": r} for i, r in held.excluded],
             "detect": {"tile_size": settings.tile_size, "overlap": settings.overlap, "merge": settings.merge,
                        "merge_threshold": settings.merge_threshold, "whole_photo": settings.whole_photo,
                        "info_bar_px": settings.info_bar_px}}

    def read_bgr(name: str) -> Any:
        return read_photo(photos.labels_dir / name, by_name[name].orientation, by_name[name].orientation_applied)

    return record_evaluation("val" if split == "val" else "real", truth, detections, threshold, evaluate.min_score,
                             outputs, read_bgr, extra, held_out_note(held, split), log, evaluate.bootstrap)
