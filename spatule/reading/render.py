"""Training crops for the code reader, rendered: a code on a shaded band around a leg, cut out as
``detect`` cuts a detected tag (the band's box plus the context margin), and the crop rectified so
that the code runs left to right.

The band is the demo's (:func:`spatule.demo.render_tag`: the code printed along the leg 3 to 6 times
around the band, so one or two copies face the camera, cut by the curvature; cylinder shading,
dirt, a seam), drawn here with any :class:`~spatule.reading.glyphs.GlyphSet`. Around it: a leg,
textured ground, sometimes a grass blade or a feather across the band; then the code's direction
(bottom-to-top or top-to-bottom), sensor noise and JPEG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from spatule.demo.tag import TextColumn, composite, mask_box, render_tag
from spatule.reading.glyphs import GLYPH_HEIGHT, GlyphSet
from spatule.tags import margin_for

READ_SIZE = (96, 32)
"""``(width, height)`` of the rectified crop the reader sees."""

BAND_PX = (25.0, 110.0)
"""Band heights drawn (photo pixels): the size range of real tags, from barely legible up."""


@dataclass(frozen=True)
class ReadingCrop:
    """A rendered detection crop: BGR pixels, the code it shows, whether it reads bottom-to-top, and the
    band's box in the crop (``(x0, y0, x1, y1)``, as ``detect`` has the detected box)."""

    pixels: np.ndarray
    code: str
    upward: bool
    box: tuple[int, int, int, int]


def glyph_column(glyphs: GlyphSet, squeeze: bool = True) -> TextColumn:
    """A :data:`spatule.demo.tag.TextColumn` drawing codes with ``glyphs``: the glyphs side by side,
    ``length`` long and at most ``max_width`` across, turned to read bottom-to-top. Too wide a code is
    squeezed across the band (``squeeze``, as real codes run most of the band) or shrunk whole (as the
    demo draws its codes)."""
    gap = np.zeros((GLYPH_HEIGHT, max(1, GLYPH_HEIGHT // 8)), np.float32)

    def column(code: str, length: float, max_width: float) -> np.ndarray:
        parts: list[np.ndarray] = []
        for char in code:
            parts += [glyphs.glyph(char), gap]
        row = np.concatenate(parts[:-1], axis=1)
        # the code runs the length asked for, as real codes run most of the band; across the band it is
        # squeezed to fit where it must (the cylinder foreshortens it anyway)
        across = row.shape[0] * length / row.shape[1]
        along = length if squeeze else length * min(1.0, max_width / across)
        size = (max(1, round(along)), max(1, round(min(across, max_width))))
        return np.ascontiguousarray(np.rot90(cv2.resize(row, size, interpolation=cv2.INTER_AREA)))

    return column


def _ground(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Textured ground (mud, grass, straw): a random colour, coarse and fine noise."""
    tint = np.array([rng.uniform(-25, 5), rng.uniform(-10, 15), rng.uniform(0, 20)])  # BGR: brown, olive, grey
    colour = rng.uniform(45, 165) + tint
    coarse = cv2.resize(rng.normal(0, 18, size=(4, 4)).astype(np.float32), (width, height),
                        interpolation=cv2.INTER_CUBIC)[:, :, None]
    fine = rng.normal(0, rng.uniform(4, 16), size=(height, width, 1)).astype(np.float32)  # light, not colour
    return np.clip(colour + coarse + fine, 0, 255).astype(np.uint8)


def _leg(image: np.ndarray, rng: np.random.Generator, centre: tuple[float, float], angle_deg: float,
         width: float) -> None:
    """A dark leg through the band's centre, along the band's axis (in place)."""
    a = math.radians(angle_deg)
    dx, dy = math.sin(a), math.cos(a)  # down the leg
    reach = 2 * max(image.shape)
    p0 = (int(centre[0] - dx * reach), int(centre[1] - dy * reach))
    p1 = (int(centre[0] + dx * reach), int(centre[1] + dy * reach))
    shade = float(rng.uniform(15, 60))
    cv2.line(image, p0, p1, (shade, shade, shade), max(1, int(round(width))), cv2.LINE_AA)


def _occlude(image: np.ndarray, rng: np.random.Generator) -> None:
    """A grass blade (a dark line) or a feather (a light ellipse) across part of the crop (in place)."""
    h, w = image.shape[:2]
    if rng.random() < 0.5:
        p0 = (int(rng.uniform(0, w)), 0)
        p1 = (int(rng.uniform(0, w)), h)
        shade = float(rng.uniform(20, 90))
        cv2.line(image, p0, p1, (shade, shade * 1.1, shade * 0.9), max(1, int(w * rng.uniform(0.03, 0.1))),
                 cv2.LINE_AA)
    else:
        centre = (int(rng.uniform(0, w)), int(rng.choice([rng.uniform(0, h * 0.25), rng.uniform(h * 0.75, h)])))
        axes = (max(1, int(w * rng.uniform(0.2, 0.5))), max(1, int(h * rng.uniform(0.08, 0.2))))
        shade = float(rng.uniform(190, 245))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360, (shade, shade, shade), -1, cv2.LINE_AA)


def _camera(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure, sensor noise and JPEG, as a camera trap leaves a photo."""
    gain, offset = rng.uniform(0.6, 1.25), rng.uniform(-25, 25)
    noisy = image.astype(np.float32) * gain + offset + rng.normal(0, rng.uniform(1, 8), size=image.shape)
    ok, data = cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 96))])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def render_reading_crop(code: str, glyphs: GlyphSet, rng: np.random.Generator, band_px: float | None = None,
                        margin_px: int = 8, margin_fraction: float = 0.25) -> ReadingCrop:
    """One training crop showing ``code``, as ``detect`` would cut it (margin: ``tags.margin_*``)."""
    band_h = band_px or float(math.exp(rng.uniform(math.log(BAND_PX[0]), math.log(BAND_PX[1]))))
    band_w = band_h * rng.uniform(0.5, 0.75)
    angle = float(np.clip(rng.normal(0.0, 14.0), -35.0, 35.0))  # tags lean with the leg, and lie tilted
    blur = float(rng.uniform(0.3, 1.0) * max(1.0, band_h / 60.0))
    bgr, mask = render_tag(code, rng, band_h, band_w, angle, float(rng.uniform(-0.12, 0.12)), blur,
                           column=glyph_column(glyphs, squeeze=bool(rng.random() < 0.5)))
    x0, y0, x1, y1 = mask_box(mask)
    margin = margin_for((x0, y0, x1, y1), margin_px, margin_fraction)
    h, w = mask.shape
    image = _ground(rng, h + 2 * margin, w + 2 * margin)
    _leg(image, rng, (margin + w / 2, margin + h / 2), angle, band_w * rng.uniform(0.35, 0.6))
    composite(image, bgr, mask, margin, margin)
    crop = image[y0:y1 + 2 * margin, x0:x1 + 2 * margin].copy()  # the band's box plus the margin
    if rng.random() < 0.3:
        _occlude(crop, rng)
    upward = bool(rng.random() < 0.5)
    ch, cw = crop.shape[:2]
    box = (margin, margin, cw - margin, ch - margin)
    if not upward:
        crop = cv2.rotate(crop, cv2.ROTATE_180)  # the box is centred: it stays where it is
    return ReadingCrop(_camera(crop, rng), code, upward, box)


def rectify(crop: np.ndarray, upward: bool, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The tag's box of the crop (the whole crop without ``box``) turned so that a code reading bottom-to-top
    (``upward``) or top-to-bottom runs left to right, grey, at :data:`READ_SIZE`, as float32 in [0, 1]."""
    if box is not None:
        x0, y0, x1, y1 = box
        crop = crop[max(0, y0): max(y0 + 1, y1), max(0, x0): max(x0 + 1, x1)]
    turned = cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE if upward else cv2.ROTATE_90_COUNTERCLOCKWISE)
    grey = cv2.cvtColor(turned, cv2.COLOR_BGR2GRAY) if turned.ndim == 3 else turned
    return cv2.resize(grey, READ_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
