"""The leg tag: a white band carrying a code rendered as seen around a leg (the codes themselves, their
alphabet and length, are :mod:`spatule.code_space`'s).

A tag is a white plastic band taller than wide and wider than the leg, carrying a 4-character code
written vertically (bottom-to-top) in black bold sans-serif, printed twice side by side round the band
with a thin divider line between the copies, so one copy faces the camera with the other partly round
the side, or the divider faces it with a copy on either side.

This is the demo's own drawing of a band (its own font, light and geometry): the reader's training
crops are drawn by :mod:`spatule.reading.band`, never by this module, so the demo's reading figures
measure how the reader does on tags it was not drawn to match.
"""

from __future__ import annotations

import math
import zlib
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw

from spatule.demo.canvas import font
from spatule.geometry import Rect

_SUPERSAMPLE = 4


def _text_column(code: str, length: float, max_width: float) -> np.ndarray:
    """The code rendered horizontally then turned 90 degrees (reads bottom-to-top).

    Returns ink coverage in [0, 1], about ``length`` tall and at most ``max_width`` wide.
    """
    size = max(6, int(round(100 * length / font(100).getlength(code))))
    for _ in range(40):
        face = font(size)
        left, top, right, bottom = face.getbbox(code)
        if bottom - top <= max_width or size <= 6:
            break
        size = max(6, int(size * 0.93))
    canvas = Image.new("L", (int(math.ceil(right - left)) + 4, int(math.ceil(bottom - top)) + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), code, fill=255, font=face)
    column = canvas.rotate(90, expand=True)
    ink = np.asarray(column, dtype=np.float32) / 255.0
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


TextColumn = Callable[[str, float, float], np.ndarray]
"""Draws a code as a vertical column of ink (reading bottom-to-top) about ``length`` tall and at most
``max_width`` wide: :func:`_text_column`, the demo's font."""


def reads_down(code: str) -> bool:
    """Whether a bird wears its band with the code reading top-to-bottom (half of them, always the same
    way for one bird: by its code)."""
    return zlib.crc32(code.encode("utf-8")) % 2 == 1


def render_tag(code: str, rng: np.random.Generator, band_height: float, band_width: float,
               angle_deg: float = 0.0, shear: float = 0.0, blur_sigma: float = 0.7,
               column: TextColumn | None = None, downward: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Render a white band carrying ``code`` as seen around a leg.

    The code is printed vertically (reading bottom-to-top) twice side by side around the
    band with a divider between (:func:`_band_ink`); the band is shaded as a cylinder,
    slightly dirty, with a faint seam. It is then turned by ``angle_deg`` (the leg
    direction: positive moves the bottom to the right), slanted by a vertical
    ``shear`` and blurred by ``blur_sigma`` pixels.

    Returns ``(bgr, mask)``: a uint8 BGR image and a float32 coverage mask in [0, 1]
    of the same size, the band centred; composite as ``img*(1-mask) + bgr*mask``.
    The band is drawn :data:`_SUPERSAMPLE` times larger, then shrunk. ``column`` draws the code
    (default: the demo's font); ``downward``: the band is worn the other way up, the code reading
    top-to-bottom.
    """
    hs = max(8, int(round(band_height * _SUPERSAMPLE)))
    ws = max(6, int(round(band_width * _SUPERSAMPLE)))
    ink = _band_ink(code, rng, hs, ws, column or _text_column)
    albedo = _band_albedo(ink[::-1, ::-1].copy() if downward else ink, rng)
    premult, coverage = _wrap_band(albedo, rng, ws)
    premult, coverage = _turn_band(premult, coverage, angle_deg, shear, blur_sigma)
    return _shrink_band(premult, coverage, blur_sigma)


def _band_ink(code: str, rng: np.random.Generator, hs: int, ws: int, column_of: TextColumn) -> np.ndarray:
    """Ink of the unrolled band (``hs`` tall, its circumference wide): the code column twice side by side
    with a divider line between, the pair turned a random way round the leg, and a faint seam opposite."""
    circumference = int(round(math.pi * ws))
    column = column_of(code, hs * rng.uniform(0.74, 0.88), 0.5 * ws * rng.uniform(0.75, 0.95))
    ch, cw = column.shape
    gap = max(_SUPERSAMPLE, int(round(cw * rng.uniform(0.12, 0.3))))  # between the copies, the divider in it
    ink = np.zeros((hs, circumference), dtype=np.float32)
    top = int(round((hs - ch) / 2 + rng.uniform(-0.04, 0.04) * hs))
    top = min(max(top, 0), max(0, hs - ch))  # a name taller than a small band: cut, not a crash
    pair = 2 * cw + gap
    centre = circumference / 2 + rng.uniform(-0.55, 0.55) * (cw + gap)  # a copy or the divider in front
    left = int(round(centre - pair / 2)) % circumference
    for start in (left, left + cw + gap):
        cols = np.arange(start, start + cw) % circumference
        ink[top: top + ch, cols] = np.maximum(ink[top: top + ch, cols], column[: hs - top])
    divider = (left + cw + gap // 2 + np.arange(-(_SUPERSAMPLE // 2), _SUPERSAMPLE // 2 + 1)) % circumference
    ink[:, divider] = np.maximum(ink[:, divider], rng.uniform(0.45, 0.8))
    seam_u = int(round(centre + circumference / 2)) % circumference
    seam_w = max(1, _SUPERSAMPLE // 2)
    ink[:, seam_u: seam_u + seam_w] = np.maximum(ink[:, seam_u: seam_u + seam_w], rng.uniform(0.2, 0.4))
    return ink


def _band_albedo(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Albedo of the unrolled band: ink, dirt (low-frequency) and darker rims at the top and bottom edges.

    The first columns are repeated at the end, so the wrap-around can read past the seam.
    """
    hs, circumference = ink.shape
    dirt_grid = rng.uniform(1.0 - rng.uniform(0.05, 0.2), 1.0, size=(4, 8)).astype(np.float32)
    dirt = cv2.resize(dirt_grid, (circumference, hs), interpolation=cv2.INTER_CUBIC)
    rows = np.arange(hs, dtype=np.float32)
    edge = np.minimum(rows, hs - 1 - rows) / max(1.0, 0.05 * hs)
    rim = (0.78 + 0.22 * np.clip(edge, 0.0, 1.0))[:, None]
    albedo = dirt * rim * (1.0 - ink * rng.uniform(0.82, 0.93))
    return np.concatenate([albedo, albedo[:, :4]], axis=1)


def _wrap_band(albedo: np.ndarray, rng: np.random.Generator, ws: int) -> tuple[np.ndarray, np.ndarray]:
    """The band seen from the front, ``ws`` wide: premultiplied BGR (float32) and coverage."""
    hs = albedo.shape[0]
    circumference = int(round(math.pi * ws))
    radius = ws / 2.0
    coverage_tex = np.ones_like(albedo)
    # Project the cylinder: x_out = R sin(theta), arc u = R theta; the front bulges down.
    bulge = rng.uniform(0.0, 0.07) * hs
    out_h = hs + int(math.ceil(bulge)) + 2
    xs = (np.arange(ws, dtype=np.float32) + 0.5 - radius) / radius
    theta = np.arcsin(np.clip(xs, -0.999, 0.999))
    front_offset = rng.uniform(-0.15, 0.15) * ws
    u = np.mod(circumference / 2 + radius * theta - front_offset, circumference).astype(np.float32)
    ys = np.arange(out_h, dtype=np.float32)[:, None]
    map_x = np.broadcast_to(u[None, :], (out_h, ws)).astype(np.float32)
    map_y = (ys - 1.0 - bulge * np.cos(theta)[None, :]).astype(np.float32)
    albedo_img = cv2.remap(albedo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    coverage = cv2.remap(coverage_tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return _light_band(albedo_img, theta, rng), coverage


def _light_band(albedo_img: np.ndarray, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shade the front view as a white cylinder lit from the side (``theta``: each column's angle)."""
    light = rng.uniform(-0.6, 0.6)
    ambient = rng.uniform(0.45, 0.6)
    shade = ambient + (1.0 - ambient) * np.maximum(0.0, np.cos(theta - light))
    shade += rng.uniform(0.0, 0.12) * np.exp(-(((theta - light / 2) / 0.18) ** 2))
    white = rng.uniform(195.0, 248.0)
    tint = rng.uniform(0.0, 1.0)
    colour = white * np.array([1.0 - 0.12 * tint, 1.0 - 0.04 * tint, 1.0], dtype=np.float32)
    return albedo_img[:, :, None] * shade[None, :, None].astype(np.float32) * colour[None, None, :]


def _turn_band(premult: np.ndarray, coverage: np.ndarray, angle_deg: float, shear: float,
               blur_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Turn and slant around the band centre, into a canvas that holds it whole (blur halo included)."""
    s = _SUPERSAMPLE
    out_h, ws = coverage.shape
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    lin = rot @ np.array([[1.0, 0.0], [shear, 1.0]])
    centre = np.array([ws / 2.0, out_h / 2.0])
    corners = (np.array([[0, 0], [ws, 0], [0, out_h], [ws, out_h]], dtype=np.float64) - centre) @ lin.T
    pad = (3.0 * blur_sigma + 2.0) * s
    half_w = np.abs(corners[:, 0]).max() + pad
    half_h = np.abs(corners[:, 1]).max() + pad
    canvas_w = int(math.ceil(2 * half_w / s)) * s
    canvas_h = int(math.ceil(2 * half_h / s)) * s
    matrix = np.hstack([lin, (np.array([canvas_w / 2.0, canvas_h / 2.0]) - lin @ centre)[:, None]])
    premult = cv2.warpAffine(premult, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    coverage = cv2.warpAffine(coverage, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return premult, coverage


def _shrink_band(premult: np.ndarray, coverage: np.ndarray, blur_sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Back to photo pixels, blurred: the ``(bgr, mask)`` of :func:`render_tag`."""
    h, w = coverage.shape
    small = (w // _SUPERSAMPLE, h // _SUPERSAMPLE)
    premult = cv2.resize(premult, small, interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(coverage, small, interpolation=cv2.INTER_AREA)
    if blur_sigma > 0:
        premult = cv2.GaussianBlur(premult, (0, 0), blur_sigma)
        coverage = cv2.GaussianBlur(coverage, (0, 0), blur_sigma)
    coverage = np.clip(coverage, 0.0, 1.0)
    bgr = premult / np.maximum(coverage, 1e-3)[:, :, None]
    bgr = np.clip(bgr + 0.5, 0, 255).astype(np.uint8)
    return bgr, coverage.astype(np.float32)


def mask_box(mask: np.ndarray, threshold: float = 0.5) -> Rect:
    """Tight box ``(x0, y0, x1, y1)`` (exclusive ends) of ``mask > threshold``."""
    inside = mask > threshold
    cols = np.flatnonzero(inside.any(axis=0))
    rows = np.flatnonzero(inside.any(axis=1))
    if cols.size == 0:
        raise ValueError("empty mask")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def composite(image: np.ndarray, bgr: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    """Blend ``bgr`` with coverage ``mask`` into ``image`` (in place), top-left at ``(x, y)``;
    what falls outside the image is dropped."""
    h, w = mask.shape
    height, width = image.shape[:2]
    ax0, ay0, ax1, ay1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    roi = image[ay0:ay1, ax0:ax1].astype(np.float32)
    m = mask[ay0 - y:ay1 - y, ax0 - x:ax1 - x, None]
    src = bgr[ay0 - y:ay1 - y, ax0 - x:ax1 - x].astype(np.float32)
    image[ay0:ay1, ax0:ax1] = np.clip(roi * (1.0 - m) + src * m + 0.5, 0, 255).astype(np.uint8)
