"""Detection metrics: COCO AP/AR (pycocotools), precision and recall at a score threshold,
and the original project's per-image pixel IoU and count-exact rate.

Ground truth per image: boxes and a ``difficult`` flag per box. As in VOC, a
difficult box is neither a miss when undetected nor a false positive when
detected (for COCO AP it is passed as ``iscrowd``, which COCOeval ignores).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from spatule.detect import iou_matrix


@dataclass(frozen=True)
class ImageTruth:
    """Ground truth of one image: ``[x0, y0, x1, y1]`` pixel boxes and their difficult flags."""

    width: int
    height: int
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    difficult: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.difficult and self.boxes:
            object.__setattr__(self, "difficult", tuple(False for _ in self.boxes))


@dataclass(frozen=True)
class ImageDetections:
    """Detections of one image: boxes ``[x0, y0, x1, y1]`` and scores."""

    boxes: tuple[tuple[float, float, float, float], ...] = ()
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


def match_image(truth: ImageTruth, detections: ImageDetections, iou_threshold: float = 0.5) -> tuple[int, int, int]:
    """Greedy matching, highest score first: (true positives, false positives, misses)."""
    gt = np.asarray(truth.boxes, dtype=float).reshape(-1, 4)
    hard = np.asarray(truth.difficult, dtype=bool).reshape(-1)
    det = np.asarray(detections.boxes, dtype=float).reshape(-1, 4)
    order = np.argsort(-np.asarray(detections.scores, dtype=float), kind="stable")
    ious = iou_matrix(det, gt) if len(det) and len(gt) else np.zeros((len(det), len(gt)))
    taken = np.zeros(len(gt), dtype=bool)
    tp = fp = 0
    for d in order:
        candidates = np.flatnonzero((ious[d] >= iou_threshold) & ~taken)
        if candidates.size:
            best = candidates[np.argmax(ious[d, candidates])]
            taken[best] = True
            tp += int(not hard[best])
        else:
            fp += 1
    misses = int(np.sum(~taken & ~hard))
    return tp, fp, misses


def filter_scores(detections: ImageDetections, threshold: float) -> ImageDetections:
    """Only the detections scoring at least ``threshold``."""
    keep = [i for i, s in enumerate(detections.scores) if s >= threshold]
    return ImageDetections(tuple(detections.boxes[i] for i in keep), tuple(detections.scores[i] for i in keep))


def precision_recall(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                     threshold: float, iou_threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall and counts at a score threshold, over all images."""
    tp = fp = fn = 0
    for name, t in truth.items():
        a, b, c = match_image(t, filter_scores(detections.get(name, ImageDetections()), threshold), iou_threshold)
        tp, fp, fn = tp + a, fp + b, fn + c
    return {"threshold": threshold, "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def pr_curve(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
             thresholds: Sequence[float] = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))) -> list[dict[str, float]]:
    """Precision and recall at each score threshold."""
    return [precision_recall(truth, detections, float(t)) for t in thresholds]


def pixel_iou(truth: ImageTruth, detections: ImageDetections) -> float:
    """IoU of the pixels covered by any true box and by any detected box (1.0 when both are empty)."""
    def cover(boxes: Sequence[Sequence[float]]) -> np.ndarray:
        mask = np.zeros((truth.height, truth.width), dtype=bool)
        for x0, y0, x1, y1 in boxes:
            mask[max(0, int(round(y0))):max(0, int(round(y1))), max(0, int(round(x0))):max(0, int(round(x1)))] = True
        return mask

    a, b = cover(truth.boxes), cover(detections.boxes)
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else float(np.count_nonzero(a & b) / union)


def original_metrics(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                     threshold: float) -> dict[str, float]:
    """The original project's figures at a score threshold: mean per-image pixel IoU and the
    share of images whose detected tag count equals the true count (difficult tags not counted)."""
    ious, exact = [], []
    for name, t in truth.items():
        d = filter_scores(detections.get(name, ImageDetections()), threshold)
        ious.append(pixel_iou(t, d))
        exact.append(len(d.boxes) == sum(1 for h in t.difficult if not h))
    return {"pixel_iou": float(np.mean(ious)) if ious else -1.0,
            "count_exact": float(np.mean(exact)) if exact else -1.0, "images": len(ious)}
