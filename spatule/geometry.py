"""Boxes and their geometry: the one box type of the project, x first everywhere.

A box is ``(x0, y0, x1, y1)`` in pixels, ``x1``/``y1`` exclusive (labelImg's
``xmin, ymin, xmax, ymax``). TensorFlow's detection outputs and anchors come y
first; :func:`yx_to_xy` turns them round at the edge of the model package, so no
other module ever sees y first.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` in pixels (floats: model output, VOC values)."""

Rect = tuple[int, int, int, int]
"""A :data:`Box` in whole pixels: crops, windows, pasted labels."""


def area(boxes: np.ndarray) -> np.ndarray:
    """Areas of boxes ``[N, 4]`` (zero for an empty box)."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas of boxes ``a [N, 4]`` and ``b [M, 4]``: ``[N, M]``."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes ``a [N, 4]`` and ``b [M, 4]``: ``[N, M]`` (0 where both are empty)."""
    inter = intersection(a, b)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """The IoU of two boxes (0 when both are empty)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def overlaps(a: Sequence[float], b: Sequence[float], gap: float = 0) -> bool:
    """Whether two boxes come closer than ``gap`` pixels (``gap=0``: they share some area)."""
    return not (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1])


def shown_share(box: Sequence[float], window: Sequence[float]) -> float:
    """The share of ``box``'s area inside ``window``."""
    w = max(0, min(box[2], window[2]) - max(box[0], window[0]))
    h = max(0, min(box[3], window[3]) - max(box[1], window[1]))
    return w * h / max(1, (box[2] - box[0]) * (box[3] - box[1]))


def box_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Largest coordinate difference between two boxes, in pixels."""
    return max(abs(x - y) for x, y in zip(a, b))


def shifted(boxes: np.ndarray, origin: tuple[float, float], scale: float = 1.0) -> np.ndarray:
    """Boxes ``[N, 4]`` scaled by ``scale`` then moved by ``origin`` (tile pixels -> photo pixels)."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4) * scale
    return boxes + np.array([origin[0], origin[1], origin[0], origin[1]], dtype=float)


def yx_to_xy(boxes: np.ndarray) -> np.ndarray:
    """TensorFlow's ``(y0, x0, y1, x1)`` boxes ``[..., 4]`` as ``(x0, y0, x1, y1)`` (its own inverse)."""
    return np.asarray(boxes)[..., [1, 0, 3, 2]]
