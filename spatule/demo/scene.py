"""Everything of a photo but the tags and birds: the ground, look-alikes, occluders, light and the info bar.

The ground is dry grass full of thin bright and dark lines; the look-alikes are not
tags but could pass for one (white feathers, white plastic litter, yellow nest markers
with black digits); the light changes from photo to photo (exposure, colour, cloud
shadows) and some frames are grey infrared night frames; a camera info bar is burned
into the bottom rows, and on the new day's photos the camera maker's logo just above it.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from spatule.demo.canvas import Point, ellipse_pts, fixed, font, paint
from spatule.demo.plan import REFERENCE_SIZE, DemoParams, PlannedPhoto
from spatule.geometry import Rect

# --------------------------------------------------------------------------- the ground


def _lines(rng: np.random.Generator, count: int, width: int, height: int, length: tuple[float, float],
           bend: float, points: int = 3) -> list[np.ndarray]:
    """Random gently curved polylines (grass blades, twigs) as int32 point arrays (shift 2)."""
    start = rng.uniform([-40, -40], [width + 40, height + 40], size=(count, 2))
    angle = rng.uniform(0, math.pi, size=count)
    size = np.exp(rng.uniform(math.log(length[0]), math.log(length[1]), size=count))
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
    curve = rng.normal(0.0, bend, size=count)
    t = np.linspace(0.0, 1.0, points)
    pts = (start[:, None, :] + direction[:, None, :] * (size[:, None, None] * t[None, :, None])
           + normal[:, None, :] * (curve[:, None, None] * size[:, None, None] * (t * (1 - t))[None, :, None]))
    return list(np.round(pts * 4).astype(np.int32))


def draw_ground(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Dry grass and twigs: grey-brown, patchy, full of thin bright and dark lines. uint8 BGR."""
    s = max(0.4, min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1]))
    # Colour varies along brightness and a grey-to-khaki axis only (never purple or green).
    khaki = np.array([-12.0, 5.0, 13.0])
    base = 110.0 + rng.normal(0.0, 6.0) + rng.uniform(0.3, 1.2) * khaki

    def field(rows: int, cols: int, interpolation: int) -> np.ndarray:
        small = rng.standard_normal((max(2, rows), max(2, cols))).astype(np.float32)
        return cv2.resize(small, (width, height), interpolation=interpolation)

    luma = cv2.addWeighted(field(4, 5, cv2.INTER_CUBIC), 10.0,
                           field(height // 24, width // 24, cv2.INTER_CUBIC), 9.0, 0)
    luma = cv2.addWeighted(luma, 1.0, field(height // 2, width // 2, cv2.INTER_LINEAR), 7.0, 0)
    warmth = field(3, 4, cv2.INTER_CUBIC) * np.float32(0.35)
    channels = [luma + warmth * np.float32(k) + np.float32(b) for k, b in zip(khaki, base, strict=True)]
    img = cv2.merge([np.clip(c, 0, 255).astype(np.uint8) for c in channels])
    area = width * height / 1e6
    # Fine litter: many short blades, dark ones under bright ones.
    palettes: list[tuple[tuple[float, float, float], int]] = [
        ((46, 54, 58), 1), ((60, 70, 76), 1), ((76, 90, 98), 2), ((118, 142, 152), 2),
        ((138, 166, 178), 1), ((160, 190, 202), 1), ((182, 206, 216), 1), ((200, 216, 222), 1)]
    blades = int(2600 * area)
    for colour, thick in palettes:
        jitter = rng.normal(0.0, 7.0, size=3)
        bgr = tuple(float(np.clip(v + j, 0, 255)) for v, j in zip(colour, jitter, strict=True))
        lines = _lines(rng, blades // len(palettes), width, height, (14 * s, 110 * s), 0.25)
        cv2.polylines(img, lines, False, bgr, max(1, int(round(thick * s))), cv2.LINE_AA, shift=2)
    # Twigs: fewer, longer, thicker, dark grey-brown.
    twigs = _lines(rng, int(40 * area) + 3, width, height, (80 * s, 320 * s), 0.15, points=5)
    for twig in twigs:
        shade = float(rng.uniform(40, 85))
        colour = (shade * 0.85, shade * 0.97, shade * 1.05)
        cv2.polylines(img, [twig], False, colour, max(1, int(rng.integers(2, 5) * s)), cv2.LINE_AA, shift=2)
    # Guano splashes and pale pebbles: small whitish blobs.
    for _ in range(int(rng.integers(4, 12) * area) + 1):
        centre = (int(rng.uniform(0, width) * 4), int(rng.uniform(0, height) * 4))
        axes = (max(1, int(rng.uniform(2, 9) * s * 4)), max(1, int(rng.uniform(2, 6) * s * 4)))
        tone = float(rng.uniform(175, 230))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, (tone, tone, tone + 5), -1, cv2.LINE_AA, 2)
    # Depth of field: the far ground (top) is softer.
    far = int(0.45 * height)
    top = img[:far]
    soft = cv2.GaussianBlur(top, (0, 0), 2.2 * s)
    weights = _depth_weights(far, width)
    img[:far] = cv2.blendLinear(soft, top, weights, 1.0 - weights)
    return img


@lru_cache(maxsize=4)
def _depth_weights(rows: int, cols: int) -> np.ndarray:
    """Weight of the blurred ground per pixel of the far rows: 1 at the top, falling to 0."""
    ramp = np.clip(1.0 - np.arange(rows, dtype=np.float32) / rows, 0.0, 1.0)
    weights = np.ascontiguousarray(np.broadcast_to(ramp[:, None], (rows, cols)))
    weights.setflags(write=False)
    return weights


# --------------------------------------------------------------------------- look-alikes and occluders


def draw_feather(image: np.ndarray, rng: np.random.Generator, center: Point, length: float) -> None:
    """A white feather lying on the ground (a distractor), in place."""
    pad = int(length) + 4
    x0, y0 = max(0, int(center[0]) - pad), max(0, int(center[1]) - pad)
    x1, y1 = min(image.shape[1], int(center[0]) + pad), min(image.shape[0], int(center[1]) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    local = (center[0] - x0, center[1] - y0)
    cv2.ellipse(mask, *ellipse_pts(local, (length / 2, length / 7), float(rng.uniform(0, 180))), 0, 360, 255, -1,
                cv2.LINE_AA, 2)
    tone = float(rng.uniform(200, 240))
    paint(image[y0:y1, x0:x1], cv2.GaussianBlur(mask, (0, 0), 1.0), (tone, tone, tone))


def draw_litter(image: np.ndarray, rng: np.random.Generator, center: Point, size: float) -> None:
    """A piece of white plastic litter on the ground (a look-alike: white, band-sized, no code), in place."""
    w, h = size * rng.uniform(0.4, 1.0), size * rng.uniform(0.25, 0.7)
    angle = rng.uniform(0, 180)
    corners = cv2.boxPoints(((center[0], center[1]), (w, h), angle))
    corners += rng.normal(0, 0.12 * min(w, h), corners.shape)  # crumpled
    mask = np.zeros(image.shape[:2], np.uint8)
    x0, y0 = np.floor(corners.min(0)).astype(int) - 4
    x1, y1 = np.ceil(corners.max(0)).astype(int) + 4
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 <= x0 or y1 <= y0:
        return
    local = mask[y0:y1, x0:x1]
    cv2.fillPoly(local, [np.round((corners - [x0, y0]) * 4).astype(np.int32)], 255, cv2.LINE_AA, 2)
    tone = float(rng.uniform(205, 245))
    paint(image[y0:y1, x0:x1], cv2.GaussianBlur(local, (0, 0), 0.8), (tone, tone, tone * rng.uniform(0.97, 1.02)))


def draw_nest_marker(image: np.ndarray, rng: np.random.Generator, center: Point, size: float) -> Rect:
    """A yellow nest marker: a plate on a dark stake with a black nest number written across
    (a look-alike of a tag); in place. Returns its box."""
    w = size * rng.uniform(0.8, 1.2)
    h = w * rng.uniform(0.55, 0.8)
    cx, cy = center
    stake = np.zeros(image.shape[:2], np.uint8)
    x0, y0 = int(cx - w), int(cy - h)
    x1, y1 = int(cx + w), int(cy + 2.5 * h)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return (0, 0, 0, 0)
    roi = image[y0:y1, x0:x1]
    local = (cx - x0, cy - y0)
    cv2.line(stake[y0:y1, x0:x1], fixed((local[0], local[1]), (0, 0)), fixed((local[0], local[1] + 2.3 * h), (0, 0)),
             255, max(2, int(0.12 * w)), cv2.LINE_AA, 2)
    paint(roi, cv2.GaussianBlur(stake[y0:y1, x0:x1], (0, 0), 0.7), (40, 50, 60))
    plate = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(plate).rectangle([local[0] - w / 2, local[1] - h / 2, local[0] + w / 2, local[1] + h / 2], fill=255)
    yellow = (float(rng.uniform(20, 60)), float(rng.uniform(180, 215)), float(rng.uniform(215, 245)))
    paint(roi, cv2.GaussianBlur(np.asarray(plate), (0, 0), 0.7), yellow)
    digits = Image.new("L", (x1 - x0, y1 - y0), 0)
    number = str(int(rng.integers(1, 100)))
    ImageDraw.Draw(digits).text(local, number, fill=255, font=font(max(6, int(h * 0.7))), anchor="mm")
    paint(roi, cv2.GaussianBlur(np.asarray(digits), (0, 0), 0.6), (25, 25, 25))
    return (int(cx - w / 2), int(cy - h / 2), int(math.ceil(cx + w / 2)), int(cy + 2.5 * h))


def occlude(image: np.ndarray, rng: np.random.Generator, box: Rect, unit: float) -> str:
    """Hide part of a tag as the colony does: the bird's other leg in front of it, a feather, or
    grass blades over its lower part; at most about a third of the band. In place; returns the kind."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    kind = ("leg", "feather", "grass")[int(rng.integers(0, 3))]
    layer = np.zeros(image.shape[:2], np.uint8)
    if kind == "leg":
        top = (x0 + rng.uniform(-0.6, 1.6) * w, y0 - 0.8 * h)
        bottom = (x0 + rng.uniform(0.1, 0.9) * w, y1 + 0.8 * h)
        cv2.line(layer, fixed(top, (0, 0)), fixed(bottom, (0, 0)), 255, max(2, int(round(0.22 * unit))), cv2.LINE_AA, 2)
        colour: object = (float(rng.uniform(30, 50)),) * 3
    elif kind == "feather":
        corner = (x0 + (0 if rng.random() < 0.5 else w), y0 + rng.uniform(0.2, 0.9) * h)
        axes = (0.55 * w * rng.uniform(0.8, 1.2), 0.18 * h)
        cv2.ellipse(layer, *ellipse_pts(corner, axes, float(rng.uniform(-50, 50))), 0, 360, 255, -1, cv2.LINE_AA, 2)
        tone = float(rng.uniform(215, 245))
        colour = (tone, tone, tone)
    else:
        for _ in range(int(rng.integers(3, 7))):
            base = (x0 + rng.uniform(-0.3, 1.3) * w, y1 + rng.uniform(0, 0.3) * h)
            tip = (base[0] + rng.uniform(-0.4, 0.4) * w, y1 - rng.uniform(0.2, 0.45) * h)
            cv2.line(layer, fixed(base, (0, 0)), fixed(tip, (0, 0)), 255, max(1, int(round(0.05 * unit))),
                     cv2.LINE_AA, 2)
        shade = float(rng.uniform(110, 180))
        colour = (shade * 0.8, shade * 0.95, shade)
    inside = layer[y0:y1, x0:x1] > 127
    if inside.mean() > 0.35:  # never more than about a third of the band
        return ""
    paint(image, cv2.GaussianBlur(layer, (0, 0), 0.6), colour)
    return kind


# --------------------------------------------------------------------------- light and camera


def relight(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Daylight as it changes over a day: exposure, warm or cool light, and often a soft cloud
    shadow over part of the colony. Returns float32 BGR."""
    height, width = image.shape[:2]
    warmth = rng.uniform(-0.06, 0.06)  # along blue-to-orange only, never purple or green
    gain = np.array([1.0 - warmth, 1.0, 1.0 + warmth], np.float32)
    light = np.full((height, width), np.float32(rng.uniform(0.75, 1.12)), np.float32)
    if rng.random() < 0.5:  # a cloud shadow: a soft-edged half-plane
        angle = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        edge = (xx - rng.uniform(0, width)) * math.cos(angle) + (yy - rng.uniform(0, height)) * math.sin(angle)
        soft = 1.0 / (1.0 + np.exp(-edge / (0.08 * max(width, height))))
        light *= (1.0 - np.float32(rng.uniform(0.2, 0.4)) * soft).astype(np.float32)
    return image.astype(np.float32) * light[:, :, None] * gain[None, None, :]


def night_frame(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An infrared night frame: grey, flat, bright whites, grainy. uint8 BGR (three equal channels)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = (grey - 128.0) * np.float32(rng.uniform(1.05, 1.3)) + np.float32(rng.uniform(120, 145))
    grain = rng.normal(0.0, rng.uniform(3.0, 6.0), grey.shape).astype(np.float32)
    grey = np.clip(cv2.GaussianBlur(grey, (0, 0), 0.7) + grain + 0.5, 0, 255).astype(np.uint8)
    return cv2.merge([grey, grey, grey])


@lru_cache(maxsize=4)
def vignette(width: int, height: int) -> np.ndarray:
    """The lens's light fall-off: a float32 BGR gain, 1 at the centre, 0.86 in the corners."""
    yy = (np.arange(height, dtype=np.float32) - height / 2) / (height / 2)
    xx = (np.arange(width, dtype=np.float32) - width / 2) / (width / 2)
    r2 = (xx[None, :] ** 2 * 0.6 + yy[:, None] ** 2 * 0.4)
    v = np.repeat((1.0 - 0.14 * r2).astype(np.float32)[:, :, None], 3, axis=2)
    v.setflags(write=False)
    return v


def develop(image: np.ndarray, photo: PlannedPhoto, params: DemoParams, rng: np.random.Generator) -> np.ndarray:
    """Light, vignetting and sensor noise (or an infrared night frame), then the burned-in bar."""
    width, height = params.width, params.height
    night = rng.random() < params.night_fraction
    raw = np.frombuffer(rng.bytes(width * height), dtype=np.uint8).reshape(height, width)
    noise = ((raw & 15) + (raw >> 4)).astype(np.float32)  # triangular, mean 15, sd 6.5
    noise = (noise - np.float32(15.0)) * np.float32(rng.uniform(1.5, 3.0) / 6.5)
    lit = relight(image, rng) if params.hard_cases else image.astype(np.float32) * np.float32(rng.uniform(0.9, 1.06))
    lit = cv2.multiply(lit, vignette(width, height), dtype=cv2.CV_32F)
    image = cv2.add(lit, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)
    if night:
        image = night_frame(image, rng)
    if params.info_bar_px > 0:
        when = photo.taken
        temperature = 12 + (photo.index * 7) % 13
        image[height - params.info_bar_px:] = info_bar(width, params.info_bar_px, when, temperature, photo.camera)
    return image


def info_bar(width: int, height: int, when: datetime, temperature_c: int, camera: str) -> np.ndarray:
    """The camera's burned-in bar: black, with temperature, date, time and camera name in white.

    Returns a ``height`` x ``width`` uint8 BGR image.
    """
    bar = Image.new("L", (width, height), 0)
    if height >= 6:
        draw = ImageDraw.Draw(bar)
        face = font(max(6, int(height * 0.55)))
        mid = height / 2
        fahrenheit = int(round(temperature_c * 9 / 5 + 32))
        margin = max(4, width // 80)
        draw.text((margin, mid), f"{temperature_c}\u00b0C  {fahrenheit}\u00b0F", fill=255, font=face, anchor="lm")
        draw.text((width / 2, mid), when.strftime("%d/%m/%Y  %H:%M:%S"), fill=255, font=face, anchor="mm")
        draw.text((width - margin, mid), camera, fill=255, font=face, anchor="rm")
    grey = np.asarray(bar, dtype=np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def draw_logo(image: np.ndarray, box: Rect, text: str) -> None:
    """The camera maker's logo that the camera prints over every photo, in place: a light grey rounded oval
    filling ``box`` with ``text`` across it in dark capitals (white with black characters, like a tag).
    Opaque: the same pixels in every photo, but for the anti-aliased rim."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    big = 4  # drawn 4 times larger, then shrunk: a smooth rim
    plate = Image.new("L", (w * big, h * big), 0)
    ImageDraw.Draw(plate).rounded_rectangle([0, 0, w * big - 1, h * big - 1], radius=h * big // 2, fill=255)
    ink = Image.new("L", (w, h), 0)
    size = max(6, int(h * 0.56))
    while size > 6 and font(size).getlength(text) > 0.8 * w:
        size -= 1
    ImageDraw.Draw(ink).text((w / 2, h / 2), text, fill=255, font=font(size), anchor="mm")
    roi = image[y0:y1, x0:x1]
    paint(roi, cv2.resize(np.asarray(plate), (w, h), interpolation=cv2.INTER_AREA), (226, 229, 230))
    paint(roi, np.asarray(ink), (28, 28, 30))
