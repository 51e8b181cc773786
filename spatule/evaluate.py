"""Evaluation of the exported detector on held-out data.

Three sets, all made of birds (tag identities) never seen in training:

* ``val``: the real photos of the val split, searched as ``real`` is; the score threshold is
  chosen there (:func:`spatule.detection.threshold.choose_threshold`) and written in the model card;
* ``synthetic``: the test split's synthetic tiles (``results/tiles/test.json``), fed
  to the model as they are (they are model-size tiles);
* ``real``: the labelled photos whose tags all belong to the test split (a photo
  with tags of two splits is ``mixed`` in ``photos.csv`` and not used), plus the
  test split's background photos, run at full size through the tiled detector
  exactly as ``detect`` runs on new photos. A photo one of whose objects was
  skipped while indexing (a box outside the photo, a class near-miss, ...) is left
  out too: that object may be a real tag, which a correct detection would turn
  into a false positive.

Metrics (:mod:`spatule.metrics`): COCO AP/AP50/AP75/AR@100, precision and recall at
the threshold chosen on val (IoU >= 0.5), with 95% intervals, the original project's mean per-image pixel
IoU and count-exact rate; difficult boxes are ignored. Detections are kept down to
``evaluate.min_score`` so that AP sees the whole precision-recall curve.

On full photos the merge across tile seams goes through the boxes best first, and a box is only
ever dropped for a better one: what ``detect`` writes at a threshold is exactly what the merge at
``evaluate.min_score`` keeps above it. So each photo is searched once, down to ``min_score``, and
precision, recall, pixel IoU, count-exact and every point of the PR curve measure what ``detect``
would write at that threshold.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from spatule.config import default
from spatule.geometry import Box
from spatule.metrics import (
    ImageDetections,
    ImageTruth,
    bootstrap_ap,
    coco_metrics,
    filter_scores,
    match_image,
    original_metrics,
    pr_curve,
    precision_recall,
)
from spatule.tables import write_csv
from spatule.detection.threshold import ThresholdChoice
from spatule.detection.tiling import Detection

_log = logging.getLogger("spatule")

EVAL_DETECTION_COLUMNS = ["image", "x0", "y0", "x1", "y1", "score"]
PR_COLUMNS = ["threshold", "precision", "recall", "tp", "fp", "fn"]


@dataclass(frozen=True)
class HeldOutPhoto:
    """A real photo of the evaluation: where it is, in which pixel frame, and its truth."""

    image: str
    truth: ImageTruth
    orientation: int = 1
    orientation_applied: bool = False
    background: bool = False


@dataclass(frozen=True)
class HeldOut:
    """The real held-out photos and the photos of the split that were left out, with why."""

    photos: tuple[HeldOutPhoto, ...]
    excluded: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def labelled(self) -> int:
        return sum(1 for p in self.photos if not p.background)

    @property
    def backgrounds(self) -> int:
        return sum(1 for p in self.photos if p.background)


def held_out_photos(objects: Sequence[Any], photo_rows: Sequence[Mapping[str, str]],
                    background_rows: Sequence[Mapping[str, str]], doubtful: Iterable[str] = (),
                    split: str = "test") -> HeldOut:
    """The real photos to evaluate on: labelled photos whose tags are all in ``split``, plus the
    split's background photos; ``objects`` are :class:`spatule.labels.objects.LabelledObject` rows."""
    doubtful = set(doubtful)
    first: dict[str, Any] = {}
    boxes: dict[str, list[tuple[Box, bool]]] = {}
    for row in objects:
        first.setdefault(row.image, row)
        if row.kind == "tag":
            boxes.setdefault(row.image, []).append((tuple(float(v) for v in row.box), bool(row.difficult)))
    photos: list[HeldOutPhoto] = []
    excluded: list[tuple[str, str]] = []
    for r in photo_rows:
        image = r["image"]
        if r["split"] == "mixed":
            excluded.append((image, "holds tags of two splits (mixed): its birds are not all held out"))
            continue
        if r["split"] != split:
            continue
        row = first.get(image)
        if row is None:
            excluded.append((image, "not in objects.csv"))
            continue
        if row.xml in doubtful:
            excluded.append((image, f"an object of {row.xml} was skipped while indexing and may be an unlabelled tag"))
            continue
        tags = boxes.get(image, [])
        photos.append(HeldOutPhoto(image, ImageTruth(row.width, row.height, tuple(b for b, _ in tags),
                                                     tuple(h for _, h in tags)),
                                   row.orientation, row.orientation_applied))
    for r in background_rows:
        if r["split"] != split:
            continue
        row = first.get(r["image"])
        if row is None:
            excluded.append((r["image"], "not in objects.csv"))
            continue
        if row.xml and row.xml in doubtful:
            excluded.append((r["image"], f"an object of {row.xml} was skipped while indexing and may be a tag"))
            continue
        photos.append(HeldOutPhoto(r["image"], ImageTruth(row.width, row.height), row.orientation,
                                   row.orientation_applied, background=True))
    return HeldOut(tuple(sorted(photos, key=lambda p: p.image)), tuple(sorted(excluded)))


def coco_truth(dataset: Mapping[str, Any]) -> dict[str, ImageTruth]:
    """Ground truth per tile ``file_name`` of a COCO dataset written by the ``coco`` rule
    (``ignore`` or ``iscrowd`` marks a difficult box)."""
    boxes: dict[int, list[tuple[Box, bool]]] = {}
    for a in dataset.get("annotations", []):
        x, y, w, h = (float(v) for v in a["bbox"])
        boxes.setdefault(a["image_id"], []).append(((x, y, x + w, y + h), bool(a.get("ignore") or a.get("iscrowd"))))
    return {im["file_name"]: ImageTruth(int(im["width"]), int(im["height"]),
                                        tuple(b for b, _ in boxes.get(im["id"], [])),
                                        tuple(h for _, h in boxes.get(im["id"], [])))
            for im in dataset.get("images", [])}


def as_image_detections(found: Sequence[Detection]) -> ImageDetections:
    """Detections of one image in the metrics' form."""
    return ImageDetections(tuple(d.box for d in found), tuple(d.score for d in found))


def image_errors(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                 threshold: float) -> list[dict[str, Any]]:
    """Per image at ``threshold``: tags, true positives, false positives, misses; worst first
    (most misses + false positives), then by name."""
    rows = []
    for name, t in truth.items():
        tp, fp, fn = match_image(t, filter_scores(detections.get(name, ImageDetections()), threshold))
        rows.append({"image": name, "tags": sum(1 for h in t.difficult if not h), "tp": tp, "fp": fp, "fn": fn})
    return sorted(rows, key=lambda r: (-(r["fp"] + r["fn"]), -r["fn"], r["image"]))


PR_THRESHOLDS = tuple(float(t) for t in np.round(np.linspace(0.05, 0.95, 19), 2))
"""Score thresholds of the precision-recall curve."""


def evaluation_metrics(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                       threshold: float, bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    """Every figure of one evaluation set (see the module docstring); ``bootstrap`` resamples of the
    photos give AP's 95% interval (``coco.AP_ci``, ``coco.AP50_ci``)."""
    coco = coco_metrics(truth, detections)
    intervals = bootstrap_ap(truth, detections, bootstrap, seed)
    return {
        "images": len(truth),
        "tags": sum(1 for t in truth.values() for h in t.difficult if not h),
        "difficult": sum(1 for t in truth.values() for h in t.difficult if h),
        "tag_free_images": sum(1 for t in truth.values() if not t.boxes),
        "detections_at_threshold": sum(len(filter_scores(d, threshold).boxes) for d in detections.values()),
        "coco": {**coco, "AP_ci": intervals["AP_ci"], "AP50_ci": intervals["AP50_ci"],
                 "bootstrap_samples": intervals["samples_used"]},
        "at_threshold": precision_recall(truth, detections, threshold),
        "original": original_metrics(truth, detections, threshold),
        "pr_curve": pr_curve(truth, detections, PR_THRESHOLDS),
        "per_image": image_errors(truth, detections, threshold),
    }


def write_eval_detections(path: Path, detections: Mapping[str, ImageDetections]) -> None:
    """``detections.csv`` of an evaluation: every kept detection (down to the minimum score)."""
    rows = [[name, *(round(float(v), 1) for v in box), round(float(score), 4)]
            for name in sorted(detections) for box, score in zip(detections[name].boxes, detections[name].scores)]
    write_csv(path, EVAL_DETECTION_COLUMNS, rows)


def write_pr_curve(path: Path, curve: Sequence[Mapping[str, Any]]) -> None:
    """The precision-recall curve as a table, one row per score threshold (precision empty where nothing
    is detected, recall empty where there is no tag)."""
    def shown(value: Any) -> Any:
        return "" if value is None else round(float(value), 6)

    write_csv(path, PR_COLUMNS, [[round(float(p["threshold"]), 4), shown(p["precision"]), shown(p["recall"]),
                                  p["tp"], p["fp"], p["fn"]] for p in curve])


def write_metrics(path: Path, metrics: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _sheet(path: Path, truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
           threshold: float, per_image: Sequence[Mapping[str, Any]], read_bgr: Callable[[str], np.ndarray],
           title: str, cells: int = 12) -> None:
    from spatule.figures import comparison_sheet, write_image

    chosen = [r["image"] for r in per_image[:cells]]
    items = [(read_bgr(name), truth[name], filter_scores(detections.get(name, ImageDetections()), threshold),
              f"{name} tp{r['tp']} fp{r['fp']} fn{r['fn']}")
             for name, r in zip(chosen, per_image)]
    write_image(path, comparison_sheet(items, title=title))


@dataclass(frozen=True)
class EvalOutputs:
    """Where an evaluation writes: metrics, detections, PR curve table and contact sheet."""

    metrics: Path
    detections: Path
    pr_curve: Path
    sheet: Path


def record_evaluation(name: str, truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                      threshold: ThresholdChoice, min_score: float, outputs: EvalOutputs,
                      read_bgr: Callable[[str], np.ndarray], extra: Mapping[str, Any], note: str, log: logging.Logger,
                      bootstrap: int = 0) -> dict[str, Any]:
    """Write one set's figures at ``threshold`` (``metrics.json``, detections, PR table, sheet) and log them."""
    from spatule.intervals import rate, shown

    cut = threshold.score_threshold
    metrics = {"set": name, "available": bool(truth) and any(t.boxes for t in truth.values()), "note": note,
               "score_threshold": cut, "threshold": threshold.as_dict(), "min_score": min_score,
               **evaluation_metrics(truth, detections, cut, bootstrap), **extra}
    write_metrics(outputs.metrics, metrics)
    write_eval_detections(outputs.detections, detections)
    write_pr_curve(outputs.pr_curve, metrics["pr_curve"])
    _sheet(outputs.sheet, truth, detections, cut, metrics["per_image"], read_bgr,
           f"{name}: truth green (difficult yellow), detections >= {cut:g} red" if truth else note)
    at, coco = metrics["at_threshold"], metrics["coco"]
    log.info("%s: %d image(s), %d tag(s): AP %.3f %s AP50 %.3f AR %.3f; at %.4f (%s) precision %s, recall %s; "
             "pixel IoU %s, count exact %s", name, metrics["images"], metrics["tags"], coco["AP"],
             coco["AP_ci"] or "", coco["AP50"], coco["AR100"], cut, threshold.source,
             shown(rate(at["tp"], at["tp"] + at["fp"])), shown(rate(at["tp"], at["tp"] + at["fn"])),
             metrics["original"]["pixel_iou"], metrics["original"]["count_exact"])
    for message in (note, threshold.note):
        if message:
            log.warning("%s", message)
    return metrics


@dataclass(frozen=True)
class PhotoTables:
    """The labelled photos and the first stages' tables about them: ``objects``, ``photos``,
    ``backgrounds``, ``problems`` (rules ``index_labels`` and ``split``)."""

    labels_dir: Any  # a folder, or spatule.labels.dirs.LabelDirs: ``labels_dir / image`` is the photo
    tables: Mapping[str, Path]

    @classmethod
    def of_inputs(cls, inputs: Any, labels_dir: Any = None) -> "PhotoTables":
        """From a rule's ``snakemake.input`` (the four tables, and ``labels`` unless ``labels_dir``: ``labels.dir``,
        one folder or several)."""
        from spatule.labels.dirs import LabelDirs

        folders = Path(inputs.labels) if labels_dir is None else LabelDirs.of(labels_dir)
        return cls(folders, {k: Path(inputs[k]) for k in ("objects", "photos", "backgrounds", "problems")})


@dataclass(frozen=True)
class EvalSettings:
    """The ``evaluate`` config section: detections kept down to ``min_score``, the precision the val
    threshold aims at, resamples for AP's interval."""

    min_score: float = default("evaluate", "min_score")
    target_precision: float = default("evaluate", "target_precision")
    bootstrap: int = 0
    """0 here (no interval, quick); the workflow passes ``evaluate.bootstrap``."""

    @classmethod
    def of(cls, evaluate: Mapping[str, Any]) -> "EvalSettings":
        return cls(float(evaluate["min_score"]), float(evaluate["target_precision"]), int(evaluate["bootstrap"]))
