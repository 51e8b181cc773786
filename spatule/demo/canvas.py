"""Drawing primitives shared by the tag, the birds and the scene.

Shapes are drawn with OpenCV in fixed point (2 fractional bits, ``shift=2``) so that
sub-pixel positions stay smooth; a shape is drawn as a uint8 coverage mask first,
then blended in its colour with :func:`paint`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from PIL import ImageFont

FONT_PATH = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"
"""The TrueType font of the codes and the info bar (shipped by matplotlib)."""

Point = tuple[float, float]
"""``(x, y)`` in photo pixels, sub-pixel."""


@lru_cache(maxsize=256)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The bold font at ``size`` pixels."""
    return ImageFont.truetype(str(FONT_PATH), size)


def ellipse_pts(center: Point, axes: Point, angle: float,
                shift: int = 2) -> tuple[tuple[int, int], tuple[int, int], float]:
    """``cv2.ellipse`` centre, axes and angle in fixed point (``shift`` fractional bits)."""
    f = 1 << shift
    return ((int(round(center[0] * f)), int(round(center[1] * f))),
            (max(1, int(round(axes[0] * f))), max(1, int(round(axes[1] * f)))), angle)


def as_point(p: np.ndarray) -> Point:
    """A numpy 2-vector as a :data:`Point`."""
    return float(p[0]), float(p[1])


def fixed(p: Point, origin: Point, shift: int = 2) -> tuple[int, int]:
    """``p`` relative to ``origin``, in fixed point (``shift`` fractional bits)."""
    f = 1 << shift
    return int(round((p[0] - origin[0]) * f)), int(round((p[1] - origin[1]) * f))


def paint(roi: np.ndarray, alpha: np.ndarray, colour: object, strength: float = 1.0) -> None:
    """Blend into ``roi`` (uint8 BGR, in place) where the uint8 ``alpha`` is non-zero.

    ``colour`` is a BGR triple or a function ``(y0, y1, x0, x1) -> float32 (h, w, 3)``
    giving the colour over that rectangle; only the tight box of ``alpha`` is touched.
    """
    x, y, w, h = cv2.boundingRect(alpha)
    if w == 0 or h == 0:
        return
    a = alpha[y: y + h, x: x + w].astype(np.float32)[:, :, None] * np.float32(strength / 255.0)
    region = roi[y: y + h, x: x + w].astype(np.float32)
    col = colour(y, y + h, x, x + w) if callable(colour) else np.asarray(colour, dtype=np.float32)
    region += a * (col - region)
    region += 0.5
    np.clip(region, 0, 255, out=region)
    roi[y: y + h, x: x + w] = region.astype(np.uint8)
