"""Where a jittered tag crop lands: the affine of flip, scale and rotation, the tag box it moves,
and the border that keeps the clone mask whole (shared by planning and rendering)."""

from __future__ import annotations

import math

import numpy as np

from spatule.geometry import Rect
from spatule.synth.specs import TagSource


def affine(width: int, height: int, scale: float, rotation_deg: float, flip: bool) -> tuple[np.ndarray, int, int]:
    """The 2x3 matrix of flip -> scale -> rotate about the crop centre, and the canvas that holds it all."""
    theta = math.radians(rotation_deg)
    cos, sin = math.cos(theta) * scale, math.sin(theta) * scale
    fx = -1.0 if flip else 1.0
    linear = np.array([[cos * fx, -sin], [sin * fx, cos]])
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=float) - [width / 2, height / 2]
    moved = corners @ linear.T
    out_w = max(1, int(math.ceil(moved[:, 0].max() - moved[:, 0].min() - 1e-9)))
    out_h = max(1, int(math.ceil(moved[:, 1].max() - moved[:, 1].min() - 1e-9)))
    shift = np.array([out_w / 2, out_h / 2]) - linear @ np.array([width / 2, height / 2])
    return np.hstack([linear, shift[:, None]]), out_w, out_h


def moved_box(matrix: np.ndarray, box: Rect, width: int, height: int) -> Rect:
    """Axis-aligned box around the moved tag box corners (outward to whole pixels, kept on the canvas)."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=float) @ matrix.T
    return (max(0, int(math.floor(corners[:, 0].min() + 1e-6))), max(0, int(math.floor(corners[:, 1].min() + 1e-6))),
            min(width, int(math.ceil(corners[:, 0].max() - 1e-6))),
            min(height, int(math.ceil(corners[:, 1].max() - 1e-6))))


def is_identity(scale: float, rotation_deg: float, flip: bool) -> bool:
    """True when the geometric jitter leaves the crop as it is."""
    return scale == 1.0 and rotation_deg == 0.0 and not flip


def pasted_geometry(tag: TagSource, scale: float, rotation_deg: float, flip: bool,
                    pad: int) -> tuple[int, int, Rect, tuple[int, int, int, int]]:
    """Size of the prepared crop, the tag box in it, and the border (l, t, r, b) added so the
    mask (box grown by ``pad``) keeps one zero pixel all round (OpenCV zeroes the outer frame)."""
    if is_identity(scale, rotation_deg, flip):
        width, height, box = tag.width, tag.height, tag.box
    else:
        matrix, width, height = affine(tag.width, tag.height, scale, rotation_deg, flip)
        box = moved_box(matrix, tag.box, width, height)
    need = pad + 1
    border = (max(0, need - box[0]), max(0, need - box[1]), max(0, need - (width - box[2])),
              max(0, need - (height - box[3])))
    box = (box[0] + border[0], box[1] + border[1], box[2] + border[0], box[3] + border[1])
    return width + border[0] + border[2], height + border[1] + border[3], box, border
