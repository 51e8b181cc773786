"""Detection metrics: COCO AP/AR (pycocotools), precision and recall at a score threshold,
and the original project's per-image pixel IoU and count-exact rate.

Ground truth per image: boxes and a ``difficult`` flag per box. A difficult box
(VOC ``difficult``: a tag too far or blurred for a person to read) is neither a
positive nor a negative, in every figure, the way COCO treats crowd boxes: for COCO
AP it is passed as ``iscrowd``; for precision, recall, pixel IoU and count-exact a
detection is first matched to a countable tag, and one left over that lies on a
difficult box (its intersection covers at least the IoU threshold of the
detection's own area, COCO's crowd rule) is ignored: neither a hit nor a false
box. Pixels of difficult boxes count for neither side of the pixel IoU. So a
detector that finds every tag, difficult ones included or not, scores 1.0 on
every metric.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.geometry import Box, area, intersection, iou_matrix
from spatule.intervals import rate


@dataclass(frozen=True)
class ImageTruth:
    """Ground truth of one image: ``[x0, y0, x1, y1]`` pixel boxes and their difficult flags."""

    width: int
    height: int
    boxes: tuple[Box, ...] = ()
    difficult: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.difficult and self.boxes:
            object.__setattr__(self, "difficult", tuple(False for _ in self.boxes))


@dataclass(frozen=True)
class ImageDetections:
    """Detections of one image: boxes ``[x0, y0, x1, y1]`` and scores."""

    boxes: tuple[Box, ...] = ()
    scores: tuple[float, ...] = field(default_factory=tuple)


def coco_metrics(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections]) -> dict[str, float]:
    """COCO AP, AP50, AP75 and AR@100 over all images (pycocotools). -1 when there is no truth."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = sorted(truth)
    ids = {name: i for i, name in enumerate(names, start=1)}
    gt = COCO()
    annotations = []
    for name in names:
        t = truth[name]
        for box, hard in zip(t.boxes, t.difficult):
            w, h = box[2] - box[0], box[3] - box[1]
            annotations.append({"id": len(annotations) + 1, "image_id": ids[name], "category_id": 1,
                                "bbox": [box[0], box[1], w, h], "area": w * h, "iscrowd": int(hard)})
    gt.dataset = {"images": [{"id": ids[n], "width": truth[n].width, "height": truth[n].height} for n in names],
                  "annotations": annotations, "categories": [{"id": 1, "name": "tag"}]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    results = [{"image_id": ids[name], "category_id": 1, "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": s}
               for name in names for b, s in zip(detections.get(name, ImageDetections()).boxes,
                                                 detections.get(name, ImageDetections()).scores)]
    if not any(not a["iscrowd"] for a in annotations):
        return {"AP": -1.0, "AP50": -1.0, "AP75": -1.0, "AR100": -1.0}
    if not results:
        return {"AP": 0.0, "AP50": 0.0, "AP75": 0.0, "AR100": 0.0}
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(results)
        evaluator = COCOeval(gt, dt, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return {"AP": float(stats[0]), "AP50": float(stats[1]), "AP75": float(stats[2]), "AR100": float(stats[8])}


def match_detections(truth: ImageTruth, detections: ImageDetections,
                     iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Greedy matching, highest score first, as COCO does it.

    Returns ``(outcome, taken)``: per detection ``1`` (a countable tag found), ``0``
    (a false box) or ``-1`` (ignored: on a difficult tag); per true box, whether a
    detection found it. A detection takes the best unmatched countable tag with
    IoU >= ``iou_threshold``; failing that, it is ignored when a difficult box covers
    at least ``iou_threshold`` of its own area (several may lie on one difficult tag).
    """
    gt = np.asarray(truth.boxes, dtype=float).reshape(-1, 4)
    hard = np.asarray(truth.difficult, dtype=bool).reshape(-1)
    det = np.asarray(detections.boxes, dtype=float).reshape(-1, 4)
    order = np.argsort(-np.asarray(detections.scores, dtype=float), kind="stable")
    ious = iou_matrix(det, gt) if len(det) and len(gt) else np.zeros((len(det), len(gt)))
    covered = (intersection(det, gt) / np.maximum(area(det)[:, None], 1e-12) if len(det) and len(gt)
               else np.zeros((len(det), len(gt))))
    taken = np.zeros(len(gt), dtype=bool)
    outcome = np.zeros(len(det), dtype=int)
    for d in order:
        candidates = np.flatnonzero((ious[d] >= iou_threshold) & ~taken & ~hard)
        if candidates.size:
            best = candidates[np.argmax(ious[d, candidates])]
            taken[best] = True
            outcome[d] = 1
        elif np.any(hard & (covered[d] >= iou_threshold)):
            outcome[d] = -1
    return outcome, taken


def match_image(truth: ImageTruth, detections: ImageDetections, iou_threshold: float = 0.5) -> tuple[int, int, int]:
    """(true positives, false positives, misses) of one image; difficult tags count for neither
    (see :func:`match_detections`)."""
    outcome, taken = match_detections(truth, detections, iou_threshold)
    hard = np.asarray(truth.difficult, dtype=bool).reshape(-1)
    return int(np.sum(outcome == 1)), int(np.sum(outcome == 0)), int(np.sum(~taken & ~hard))


def counted(truth: ImageTruth, detections: ImageDetections, iou_threshold: float = 0.5) -> ImageDetections:
    """The detections that count (found tags and false boxes), without those ignored on difficult tags."""
    outcome, _ = match_detections(truth, detections, iou_threshold)
    keep = [i for i, o in enumerate(outcome) if o >= 0]
    return ImageDetections(tuple(detections.boxes[i] for i in keep), tuple(detections.scores[i] for i in keep))


def filter_scores(detections: ImageDetections, threshold: float) -> ImageDetections:
    """Only the detections scoring at least ``threshold``."""
    keep = [i for i, s in enumerate(detections.scores) if s >= threshold]
    return ImageDetections(tuple(detections.boxes[i] for i in keep), tuple(detections.scores[i] for i in keep))


def precision_recall(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                     threshold: float, iou_threshold: float = 0.5) -> dict[str, Any]:
    """Precision, recall and their counts at a score threshold, over all images, each rate with its 95%
    Wilson interval (``precision_ci``, ``recall_ci``). Precision is ``None`` when nothing was detected
    (no box, no precision) and recall ``None`` when there is no countable tag."""
    tp = fp = fn = 0
    for name, t in truth.items():
        a, b, c = match_image(t, filter_scores(detections.get(name, ImageDetections()), threshold), iou_threshold)
        tp, fp, fn = tp + a, fp + b, fn + c
    precision, recall = rate(tp, tp + fp), rate(tp, tp + fn)
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else None, "recall": tp / (tp + fn) if tp + fn else None,
            "precision_ci": [precision["low"], precision["high"]], "recall_ci": [recall["low"], recall["high"]]}


def pr_curve(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
             thresholds: Sequence[float] = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))) -> list[dict[str, float]]:
    """Precision and recall at each score threshold."""
    return [precision_recall(truth, detections, float(t)) for t in thresholds]


def pixel_iou(truth: ImageTruth, detections: ImageDetections, iou_threshold: float = 0.5) -> float | None:
    """IoU of the pixels covered by any countable true box and by any counted detection; ``None`` when
    both are empty (a tag-free photo with no box: nothing to overlap, so it does not count); detections
    ignored on difficult tags and the pixels of difficult boxes count for neither side."""
    def cover(boxes: Sequence[Sequence[float]]) -> np.ndarray:
        mask = np.zeros((truth.height, truth.width), dtype=bool)
        for x0, y0, x1, y1 in boxes:
            mask[max(0, int(round(y0))):max(0, int(round(y1))), max(0, int(round(x0))):max(0, int(round(x1)))] = True
        return mask

    hard = [b for b, h in zip(truth.boxes, truth.difficult) if h]
    easy = [b for b, h in zip(truth.boxes, truth.difficult) if not h]
    outside = ~cover(hard)
    a = cover(easy) & outside
    b = cover(counted(truth, detections, iou_threshold).boxes) & outside
    union = np.count_nonzero(a | b)
    return None if union == 0 else float(np.count_nonzero(a & b) / union)


def count_exact(truth: ImageTruth, detections: ImageDetections, iou_threshold: float = 0.5) -> bool:
    """Whether the photo's count is exact: every countable tag found and no false box (a miss and a false
    box do not make up for each other); difficult tags, and detections on them, count for neither."""
    _, fp, fn = match_image(truth, detections, iou_threshold)
    return fp == 0 and fn == 0


def original_metrics(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                     threshold: float) -> dict[str, Any]:
    """The original project's figures at a score threshold: mean per-image pixel IoU over the photos
    with a tag or a box (``pixel_iou_images`` of them; a tag-free photo with no box has none), and the
    share of photos whose count is exact (:func:`count_exact`) with its 95% interval."""
    ious, exact = [], []
    for name, t in truth.items():
        d = filter_scores(detections.get(name, ImageDetections()), threshold)
        value = pixel_iou(t, d)
        if value is not None:
            ious.append(value)
        exact.append(count_exact(t, d))
    share = rate(sum(exact), len(exact))
    return {"pixel_iou": float(np.mean(ious)) if ious else None, "pixel_iou_images": len(ious),
            "count_exact": float(np.mean(exact)) if exact else None, "count_exact_ci": [share["low"], share["high"]],
            "images": len(exact)}


def bootstrap_ap(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections], samples: int,
                 seed: int = 0) -> dict[str, Any]:
    """A 95% interval of COCO AP and AP50 by the bootstrap over photos: ``samples`` draws of as many
    photos as there are, with replacement (seeded, so a rerun gives the same interval), each scored by
    :func:`coco_metrics`; the 2.5th and 97.5th percentiles. Draws without a countable tag are left out
    (``samples_used``). ``None`` intervals when ``samples`` is 0 or no photo holds a tag."""
    names = sorted(truth)
    empty = {"AP_ci": None, "AP50_ci": None, "samples": int(samples), "samples_used": 0}
    if samples <= 0 or not any(not h for t in truth.values() for h in t.difficult):
        return empty
    rng = np.random.default_rng(seed)
    ap, ap50 = [], []
    for _ in range(int(samples)):
        drawn = rng.integers(0, len(names), size=len(names))
        t = {f"{i}/{names[k]}": truth[names[k]] for i, k in enumerate(drawn)}
        d = {f"{i}/{names[k]}": detections.get(names[k], ImageDetections()) for i, k in enumerate(drawn)}
        scores = coco_metrics(t, d)
        if scores["AP"] >= 0:
            ap.append(scores["AP"])
            ap50.append(scores["AP50"])
    if not ap:
        return empty

    def interval(values: list[float]) -> list[float]:
        return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)]

    return {"AP_ci": interval(ap), "AP50_ci": interval(ap50), "samples": int(samples), "samples_used": len(ap)}
