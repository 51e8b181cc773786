"""Rules ``evaluate_synthetic`` and ``evaluate_real``: the exported model on the synthetic test tiles and on
the held-out labelled photos."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable, Mapping

from spatule.evaluate import (
    EvalOutputs,
    ThresholdChoice,
    as_image_detections,
    choose_threshold,
    coco_truth,
    held_out_photos,
    is_factory,
    record_evaluation,
)
from spatule.metrics import ImageDetections
from spatule.detection.settings import DetectSettings
from spatule.detection.batches import detect_full_photo, detect_tiles, read_rgb
from spatule.tables import read_csv
from spatule.detection.tiling import Detector

_log = logging.getLogger("spatule")


def evaluate_synthetic(coco_json: Path, detector: Callable[[], Detector] | Detector, batch: int,
                       threshold: ThresholdChoice, min_score: float, outputs: EvalOutputs, engine: str = "",
                       bootstrap: int = 0, log: logging.Logger = _log) -> dict[str, Any]:
    """Evaluate on the synthetic test tiles of ``coco_json`` (tile files relative to its folder), at the
    model card's ``threshold``.

    ``detector``: a :data:`Detector`, or a function returning one (called only when there are tiles);
    ``engine``: the runtime it is (:mod:`spatule.detection.engines`), recorded in the metrics; ``bootstrap``:
    resamples of the tiles for AP's interval.
    """
    from spatule.labels.photos import read_photo

    root = coco_json.parent
    truth = coco_truth(json.loads(coco_json.read_text(encoding="utf-8")))
    names = sorted(truth)
    detections: dict[str, ImageDetections] = {}
    if names:
        run = detector() if is_factory(detector) else detector
        for start in range(0, len(names), 64):  # bounded memory: 64 tiles decoded at a time
            chunk = names[start:start + 64]
            found = detect_tiles([read_rgb(root / n) for n in chunk], run, batch, min_score)
            detections.update({n: as_image_detections(f) for n, f in zip(chunk, found)})
    note = "" if names else f"no synthetic test tile in {coco_json} (synth.tiles.test is 0?): nothing to evaluate"
    return record_evaluation("synthetic", truth, detections, threshold, min_score, outputs,
                             lambda n: read_photo(root / n), {"source": str(coco_json), "engine": engine}, note, log,
                             bootstrap)


def evaluate_real(labels_dir: Path, tables: Mapping[str, Path], detector: Callable[[], Detector] | Detector,
                  settings: DetectSettings, threshold: ThresholdChoice | None, min_score: float,
                  outputs: EvalOutputs, split: str = "test", engine: str = "", target_precision: float = 0.95,
                  bootstrap: int = 0, log: logging.Logger = _log) -> dict[str, Any]:
    """Evaluate on the real photos of ``split`` at full size, tiled as ``detect`` does (``engine``: the
    runtime, recorded in the metrics).

    ``threshold``: the score at which precision, recall, pixel IoU and count-exact are measured (the test
    split's: the model card's); ``None``: chosen on these photos for ``target_precision``
    (:func:`~spatule.evaluate.choose_threshold`), what the val split's evaluation does. ``tables``:
    ``objects``, ``photos``, ``backgrounds``, ``problems`` (the CSVs of the first stages). Writes a plain
    note instead of failing when there is no such photo.
    """
    from spatule.labels.photos import read_photo
    from spatule.labels.objects import read_objects_csv
    from spatule.problems import doubtful_xml, read_problems

    held = held_out_photos(read_objects_csv(tables["objects"]), read_csv(tables["photos"]),
                           read_csv(tables["backgrounds"]), doubtful_xml(read_problems(tables["problems"])), split)
    for image, reason in held.excluded:
        log.info("%s: not evaluated (%s)", image, reason)
    by_name = {p.image: p for p in held.photos}
    truth = {p.image: p.truth for p in held.photos}
    detections: dict[str, ImageDetections] = {}
    if held.photos:
        run = detector() if is_factory(detector) else detector
        for p in held.photos:
            rgb = read_rgb(labels_dir / p.image, p.orientation, p.orientation_applied)
            found = detect_full_photo(rgb, run, settings.with_threshold(min_score))
            detections[p.image] = as_image_detections(found)
            log.info("%s: %d tag(s), %d detection(s) down to %.2f", p.image, len(p.truth.boxes), len(found),
                     min_score)
    if threshold is None:
        threshold = choose_threshold(truth, detections, target_precision)
    note = ""
    if held.labelled == 0:
        note = (f"no real held-out labelled photo: no labelled photo has all its tags in the {split} split "
                f"({len(held.excluded)} photo(s) left out, see 'excluded'), so AP, precision and recall on real "
                "photos cannot be measured")
        note += (f"; {held.backgrounds} {split} background photo(s) were searched for false positives only"
                 if held.backgrounds else f" and there is no {split} background photo either")
    extra = {"split": split, "engine": engine, "labelled_photos": held.labelled,
             "background_photos": held.backgrounds,
             "excluded": [{"image": i, "reason": r} for i, r in held.excluded],
             "detect": {"tile": settings.tile, "overlap": settings.overlap, "merge": settings.merge,
                        "merge_threshold": settings.merge_threshold, "whole_photo": settings.whole_photo,
                        "skip_bottom": settings.skip_bottom}}
    def read_bgr(name: str) -> Any:
        return read_photo(labels_dir / name, by_name[name].orientation, by_name[name].orientation_applied)

    return record_evaluation("val" if split == "val" else "real", truth, detections, threshold, min_score, outputs,
                             read_bgr, extra, note, log, bootstrap)
