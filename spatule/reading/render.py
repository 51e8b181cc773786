"""Training crops for the code reader, rendered: a band of the reader's band model
(:mod:`spatule.reading.band`) on a leg over textured ground, tilted, cut out as ``detect`` cuts a
detected tag (the box, a little off as a detector's box is, plus the context margin), through a
camera's exposure, blur, noise and JPEG; and :func:`rectify`, which turns any crop (rendered or
real) into the reader's input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from spatule.config import default
from spatule.labels.tags import margin_for
from spatule.reading.band import at_most, draw_band, sample_look
from spatule.reading.glyphs import GlyphSet

READ_SIZE = (96, 64)
"""``(width, height)`` of the rectified crop the reader sees: the code runs along the width, the two
copies of a band lie one above the other."""

RENDER_MAX_PX = 120.0
"""Bands drawn taller are drawn this tall (as seen from farther away): the reader's input is 96 pixels
along the band, and drawing them full size took twice as long."""

BOX_JITTER = 0.08
"""How far (a share of the box's side) each side of a training crop's box moves, as a detector's box
is a little off the band."""


@dataclass(frozen=True)
class ReadingCrop:
    """A detection crop: BGR pixels, the code it shows, whether it reads bottom-to-top, the tag's box in
    the crop (``(x0, y0, x1, y1)``, as ``detect`` has the detected box) and, when rendered, where the centre
    of each glyph falls across the reader's input (0 its left side, 1 its right; empty when unknown)."""

    pixels: np.ndarray
    code: str
    upward: bool
    box: tuple[int, int, int, int]
    centres: tuple[float, ...] = ()


def ground(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Ground round a leg (straw, grass, mud, water, white plumage): a colour, soft shading, grain and
    blades of grass or straw, lighter or darker than the ground."""
    tint = np.array([rng.uniform(-20, 8), rng.uniform(-8, 12), rng.uniform(-4, 20)])  # BGR: brown, olive, grey
    level = rng.uniform(40, 190)
    coarse = cv2.resize(rng.normal(0, rng.uniform(6, 30), size=(4, 4)).astype(np.float32), (width, height),
                        interpolation=cv2.INTER_CUBIC)[:, :, None]
    fine = rng.standard_normal((height, width, 1), dtype=np.float32) * np.float32(rng.uniform(2, 14))
    image = np.clip(level + tint + coarse + fine, 0, 255).astype(np.uint8)
    blades = int(rng.integers(0, 3) * rng.uniform(0, 0.02) * (height + width))
    for _ in range(blades):
        angle = rng.uniform(0, math.pi)
        length = rng.uniform(0.2, 1.0) * (height + width)
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
        shade = float(np.clip(level + rng.choice([-1, 1]) * rng.uniform(20, 70), 0, 255))
        cv2.line(image, (int(cx - dx), int(cy - dy)), (int(cx + dx), int(cy + dy)), (shade, shade * 1.02, shade * 0.95),
                 max(1, int(rng.uniform(0.5, 0.025 * max(height, width) + 1))), cv2.LINE_AA)
    return image


def leg(image: np.ndarray, rng: np.random.Generator, centre: tuple[float, float], angle_deg: float,
        width: float) -> None:
    """A dark leg through the band's centre, along the band's axis (in place)."""
    a = math.radians(angle_deg)
    dx, dy = math.sin(a), math.cos(a)  # down the leg
    reach = 2 * max(image.shape)
    shade = float(rng.uniform(15, 90))
    p0 = (int(centre[0] - dx * reach), int(centre[1] - dy * reach))
    p1 = (int(centre[0] + dx * reach), int(centre[1] + dy * reach))
    cv2.line(image, p0, p1, (shade, shade, shade * 1.05), max(1, int(round(width))), cv2.LINE_AA)


def turned(premult: np.ndarray, cover: np.ndarray, angle_deg: float, shear: float, pad: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The upright band turned by ``angle_deg`` (counter-clockwise as seen) and slanted along the leg by
    ``shear``, in a canvas that holds it with ``pad`` pixels round it; and the 2x3 matrix that moved it."""
    h, w = cover.shape
    a = math.radians(angle_deg)
    lin = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]]) @ np.array([[1.0, 0.0], [shear, 1.0]])
    centre = np.array([w / 2.0, h / 2.0])
    corners = (np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) - centre) @ lin.T
    half = np.abs(corners).max(axis=0) + pad
    size = (int(math.ceil(2 * half[0])), int(math.ceil(2 * half[1])))
    matrix = np.hstack([lin, (half - lin @ centre)[:, None]])
    return (cv2.warpAffine(premult, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0),
            cv2.warpAffine(cover, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0), matrix)


def box_of(cover: np.ndarray, threshold: float = 0.5) -> tuple[int, int, int, int]:
    """The tight box ``(x0, y0, x1, y1)`` (exclusive ends) of ``cover > threshold``."""
    rows, cols = np.flatnonzero((cover > threshold).any(axis=1)), np.flatnonzero((cover > threshold).any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def jittered(box: tuple[int, int, int, int], rng: np.random.Generator, share: float, width: int, height: int
             ) -> tuple[int, int, int, int]:
    """``box`` with each side moved by up to ``share`` of the box's side, kept inside ``width`` x ``height``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx0, dx1, dy0, dy1 = rng.uniform(-share, share, size=4)
    nx0, nx1 = int(round(x0 + dx0 * w)), int(round(x1 + dx1 * w))
    ny0, ny1 = int(round(y0 + dy0 * h)), int(round(y1 + dy1 * h))
    nx0, ny0 = min(max(0, nx0), width - 2), min(max(0, ny0), height - 2)
    return nx0, ny0, min(width, max(nx0 + 2, nx1)), min(height, max(ny0 + 2, ny1))


def camera(image: np.ndarray, rng: np.random.Generator, light: bool = False) -> np.ndarray:
    """What a camera trap does to a tag's pixels: soft focus (sometimes a little motion), dull contrast,
    exposure, sensor noise, the camera's own sharpening (light and dark rims along every edge, as the
    real sample's tags show) and JPEG; ``light``: less of each, for pixels that a camera already took."""
    out = image.astype(np.float32)
    sigma = float(rng.uniform(0.0, 0.8) if light else rng.uniform(0.3, 1.2))
    if sigma > 0.05:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if rng.random() < (0.1 if light else 0.2):
        k = int(rng.integers(3, 7))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        out = cv2.filter2D(out, -1, kernel / max(1e-6, kernel.sum()))
    mean = out.mean(axis=(0, 1), keepdims=True)
    out = mean + (out - mean) * np.float32(rng.uniform(0.7 if light else 0.45, 1.1))
    out = out * np.float32(rng.uniform(0.7, 1.2)) + np.float32(rng.uniform(-25, 25))
    grain = np.float32(rng.uniform(0 if light else 1, 6 if light else 8))
    out += rng.standard_normal(out.shape[:2], dtype=np.float32)[:, :, None] * grain
    out += rng.standard_normal(out.shape, dtype=np.float32) * np.float32(rng.uniform(0, 4))  # colour noise
    if not light and rng.random() < 0.75:  # unsharp masking
        out += (out - cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.8, 2.0)))) * np.float32(rng.uniform(0.3, 1.8))
    ok, data = cv2.imencode(".jpg", np.clip(out, 0, 255).astype(np.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 96))])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def turned_round(crop: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``crop`` and its ``box`` turned by 180 degrees (a code reading bottom-to-top then reads top-to-bottom)."""
    h, w = crop.shape[:2]
    x0, y0, x1, y1 = box
    return cv2.rotate(crop, cv2.ROTATE_180), (w - x1, h - y1, w - x0, h - y0)


def across_input(points: np.ndarray, box: tuple[int, int, int, int], upward: bool, width: int, height: int
                 ) -> tuple[float, ...]:
    """Where points ``[n, 2]`` (x, y) of a ``width`` x ``height`` crop fall across the reader's input made by
    :func:`rectify` from ``box``, as a share of its width (0: left; the code's first glyph is nearest 0)."""
    _, y0, _, y1 = reader_view(box, width, height)
    down = (points[:, 1] - y0) / max(1, y1 - y0)
    return tuple(float(v) for v in (1.0 - down if upward else down))


def render_reading_crop(code: str, glyphs: GlyphSet, rng: np.random.Generator, band_px: float | None = None,
                        margin_px: int = default("tags", "margin_px"),
                        margin_fraction: float = default("tags", "margin_fraction"), box_jitter: float = BOX_JITTER
                        ) -> ReadingCrop:
    """One training crop showing ``code`` on a band ``band_px`` tall (drawn when ``None``), cut as ``detect``
    cuts a tag (margin: ``tags.margin_*``, their schema defaults unless given) round a box ``box_jitter`` off
    the band's."""
    look = at_most(sample_look(rng, band_px), RENDER_MAX_PX)
    premult, cover, centres = draw_band(code, glyphs, look, rng)
    angle = float(np.clip(rng.normal(0.0, 15.0), -35.0, 35.0))  # tags lean with the leg
    margin = margin_for((0, 0, *cover.shape[::-1]), margin_px, margin_fraction) + 4
    premult, cover, matrix = turned(premult, cover, angle, float(rng.uniform(-0.25, 0.25)), 2 * margin)
    centres = centres @ matrix[:, :2].T + matrix[:, 2]
    h, w = cover.shape
    image = ground(rng, h, w)
    leg(image, rng, (w / 2, h / 2), angle, look.width * rng.uniform(0.35, 0.75))
    composite = np.clip(image.astype(np.float32) * (1.0 - cover[:, :, None]) + premult, 0, 255).astype(np.uint8)
    box = jittered(box_of(cover), rng, box_jitter, w, h)
    margin = margin_for(box, margin_px, margin_fraction)
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(w, box[2] + margin), min(h, box[3] + margin)
    crop, inner = camera(composite[y0:y1, x0:x1], rng), (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0)
    centres = centres - np.array([x0, y0])
    upward = bool(rng.random() < 0.5)
    if not upward:
        crop, inner = turned_round(crop, inner)
        centres = np.array([x1 - x0, y1 - y0]) - centres
    return ReadingCrop(crop, code, upward, inner, across_input(centres, inner, upward, crop.shape[1], crop.shape[0]))


READ_MARGIN = 0.1
"""The reader looks a little past the tag's box, this share of its side on each side (as far as the crop
goes): a box drawn or found tight on the band must not cut its glyphs."""


def reader_view(box: tuple[int, int, int, int], width: int, height: int, margin: float = READ_MARGIN
                ) -> tuple[int, int, int, int]:
    """The part of a ``width`` x ``height`` crop the reader looks at: ``box`` grown by ``margin`` of its side."""
    x0, y0, x1, y1 = box
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    return (max(0, int(round(x0 - dx))), max(0, int(round(y0 - dy))), min(width, max(int(round(x1 + dx)), x0 + 1)),
            min(height, max(int(round(y1 + dy)), y0 + 1)))


def rectify(crop: np.ndarray, upward: bool, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The tag's box of the crop (the whole crop without ``box``), grown by :data:`READ_MARGIN`, turned so
    that a code reading bottom-to-top (``upward``) or top-to-bottom runs left to right, grey, its contrast
    stretched (the 2nd to the 98th percentile to 0-1), at :data:`READ_SIZE`, as float32 in [0, 1]."""
    if box is not None:
        x0, y0, x1, y1 = reader_view(box, crop.shape[1], crop.shape[0])
        crop = crop[y0:y1, x0:x1]
    turned_crop = cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE if upward else cv2.ROTATE_90_COUNTERCLOCKWISE)
    grey = cv2.cvtColor(turned_crop, cv2.COLOR_BGR2GRAY) if turned_crop.ndim == 3 else turned_crop
    small = cv2.resize(grey, READ_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    low, high = np.percentile(small, (2.0, 98.0))
    return np.clip((small - low) / max(16.0, high - low), 0.0, 1.0).astype(np.float32)
