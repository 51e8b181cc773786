"""Figures: contact sheets of photos or tiles with their boxes, and the report's plots.

Sheets are BGR arrays (OpenCV); plots are matplotlib figures drawn with the Agg
backend (no display needed on a cluster node). Every function takes plain values so
tests can feed small fake inputs; callers decide where the files go.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.metrics import ImageDetections, ImageTruth

TRUTH_BGR = (60, 200, 60)
DIFFICULT_BGR = (0, 220, 240)
DETECTION_BGR = (40, 40, 230)

TRAIN_LOSSES = ("total_loss", "cls_loss", "box_loss")
VAL_METRICS = ("AP", "AP50", "AP75", "ARmax100")

Scalars = Mapping[str, Sequence[tuple[int, float, float]]]
"""TensorBoard scalars: tag -> [(step, wall_time, value)] (:func:`spatule.events.read_scalars`)."""


# --- images ------------------------------------------------------------------------------------

def write_image(path: Path, pixels: np.ndarray, quality: int = 90) -> None:
    """Write a BGR image (JPEG quality ``quality``, PNG lossless by suffix)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"could not write {path}")


MIN_SHEET_WIDTH_PX = 640
"""A sheet is at least this wide, so its title line fits."""

CAPTION_PX = 20
"""Height of the caption bar above each cell of a contact sheet."""


def comparison_cell(image: np.ndarray, truth: ImageTruth, detections: ImageDetections, caption: str,
                    cell: int = 320, height: int | None = None) -> np.ndarray:
    """One image scaled to ``cell`` px wide (and at most ``height`` high, default ``cell``) under a
    caption bar: true boxes green (difficult yellow), detections red with their score."""
    import cv2

    height = height or cell
    scale = min(cell / image.shape[1], height / image.shape[0])
    small = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    canvas = np.full((CAPTION_PX + height, cell, 3), 255, np.uint8)
    canvas[CAPTION_PX:CAPTION_PX + small.shape[0], :small.shape[1]] = small
    view = canvas[CAPTION_PX:]

    def rect(box: Sequence[float], colour: tuple[int, int, int], grow: int = 0) -> tuple[int, int]:
        x0, y0 = int(box[0] * scale) - grow, int(box[1] * scale) - grow
        x1, y1 = int(math.ceil(box[2] * scale)) - 1 + grow, int(math.ceil(box[3] * scale)) - 1 + grow
        cv2.rectangle(view, (x0, y0), (max(x0 + 1, x1), max(y0 + 1, y1)), colour, 2)
        return x0, y0

    for box, hard in zip(truth.boxes, truth.difficult):
        rect(box, DIFFICULT_BGR if hard else TRUTH_BGR, grow=2)
    for box, score in zip(detections.boxes, detections.scores):
        x0, y0 = rect(box, DETECTION_BGR)
        cv2.putText(view, f"{score:.2f}", (min(max(0, x0), cell - 30), max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, DETECTION_BGR, 1, cv2.LINE_AA)
    cv2.rectangle(canvas, (0, 0), (cell - 1, CAPTION_PX - 1), (40, 40, 40), -1)
    text = caption if len(caption) <= 46 else "..." + caption[-43:]
    cv2.putText(canvas, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


def comparison_sheet(items: Sequence[tuple[np.ndarray, ImageTruth, ImageDetections, str]], columns: int = 4,
                     cell: int = 320, title: str = "") -> np.ndarray:
    """A grid of :func:`comparison_cell` images under a title line (a sheet saying so when empty);
    rows are as high as the tallest image scaled to ``cell`` px wide (at most ``cell``)."""
    import cv2

    columns = max(1, min(columns, len(items) or 1))
    rows = max(1, math.ceil(len(items) / columns))
    height = max([min(cell, round(cell * im.shape[0] / im.shape[1])) for im, *_ in items] or [cell // 4])
    head, row = 28, CAPTION_PX + height
    sheet = np.full((head + rows * row, max(columns * cell, MIN_SHEET_WIDTH_PX), 3), 255, np.uint8)
    cv2.putText(sheet, title[:110] or "no image", (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for n, (image, truth, found, caption) in enumerate(items):
        r, c = divmod(n, columns)
        sheet[head + r * row:head + (r + 1) * row, c * cell:(c + 1) * cell] = comparison_cell(
            image, truth, found, caption, cell, height)
        if c:
            sheet[head + r * row:head + (r + 1) * row, c * cell] = 255  # a thin gap between cells
    return sheet


# --- plots --------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


THRESHOLD_SOURCES = {"val": "chosen on val", "config": "detect.score_threshold", "default": "default, not chosen"}
"""How the report and its figures name where a score threshold came from (``threshold.source``)."""


def pr_figure(curves: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Precision against recall over score thresholds, one line per evaluation set, the threshold
    chosen on val marked; points where nothing is detected left out. ``curves``: set name -> its
    ``metrics.json`` (``pr_curve``, ``score_threshold``, ``coco``, ``note``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    drawn = 0
    for name, m in curves.items():
        points = m.get("pr_curve") or []
        if not m.get("available") or not points:
            continue
        points = [p for p in points if p["precision"] is not None and p["recall"] is not None]
        recall = [p["recall"] for p in points]
        precision = [p["precision"] for p in points]
        ap = (m.get("coco") or {}).get("AP50", -1)
        line, = ax.plot(recall, precision, marker=".", label=f"{name} (AP50 {ap:.2f})")
        at = m.get("at_threshold") or {}
        if at and at.get("precision") is not None and at.get("recall") is not None:
            ax.plot([at["recall"]], [at["precision"]], "o", ms=9, mfc="none", color=line.get_color(),
                    label=f"{name} at score {m.get('score_threshold', 0):.3f} "
                          f"({THRESHOLD_SOURCES.get((m.get('threshold') or {}).get('source', ''), 'as set')})")
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no evaluation set with tags to draw", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall (IoU >= 0.5)")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall over score thresholds 0.05-0.95")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower left", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def training_figure(train: Scalars, validation: Scalars, path: Path) -> list[str]:
    """Training losses and validation AP/losses against the step; returns the tags drawn."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    drawn = []
    for tag in TRAIN_LOSSES:
        points = sorted(train.get(tag, []))
        if points:
            left.plot([p[0] for p in points], [p[2] for p in points], label=f"train {tag}")
            drawn.append(f"train/{tag}")
    for tag in ("total_loss", "validation_loss"):
        points = sorted(validation.get(tag, []))
        if points:
            left.plot([p[0] for p in points], [p[2] for p in points], "o--", label=f"validation {tag}")
            drawn.append(f"validation/{tag}")
            break
    for tag in VAL_METRICS:
        points = sorted(validation.get(tag, []))
        if points:
            right.plot([p[0] for p in points], [p[2] for p in points], "o-", label=tag)
            drawn.append(f"validation/{tag}")
    right.set_ylim(-0.02, 1.02)
    for ax, title in ((left, "losses"), (right, "validation (synthetic val tiles)")):
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no TensorBoard scalars found", ha="center", va="center", transform=ax.transAxes)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return drawn
