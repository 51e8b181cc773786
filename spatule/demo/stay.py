"""A bird that stays: its band drawn again where it stood in the previous frame of its visit.

A camera trap takes a few frames of a bird that stands at its nest. In each, the band is a new
rendering (its own angle, slant, blur; light, noise and occluders come with the photo), about the
same size (height within 8%, width within 10%) as before, its centre a few pixels off (at most 6% of
its height along each axis), the bird drawn round it anew. Used by :func:`spatule.demo.photo.render_photo`
for the codes it is told stay.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from spatule.demo.bird import make_bird
from spatule.demo.photo import _Band, _band_boxes, _keeps_clear, _Layout, _Placed
from spatule.demo.tag import mask_box, reads_down, render_tag
from spatule.geometry import Rect

ATTEMPTS = 100
"""Tries to find room near the previous place before the bird is placed anywhere (as a new one)."""

SHIFT = 0.06
"""Largest move of the band's centre along x and along y, as a share of its height."""


def place_near(code: str, rng: np.random.Generator, layout: _Layout, placed: list[_Placed],
               before: Rect) -> _Placed | None:
    """The band of ``code`` and its bird near ``before`` (the whole band's box in the previous frame), clear of
    those ``placed`` and of ``layout.avoid``; ``None`` when there is no room."""
    width, height = before[2] - before[0], before[3] - before[1]
    centre = ((before[0] + before[2]) / 2, (before[1] + before[3]) / 2)
    band: _Band | None = None
    for attempt in range(ATTEMPTS):
        if band is None or attempt % 10 == 0:
            band = _band_like(code, rng, width, height, layout.scale)
            if band is None:
                continue
        dx, dy = rng.uniform(-SHIFT, SHIFT, size=2) * height
        ox = int(round(centre[0] + dx - (band.local[0] + band.local[2]) / 2))
        oy = int(round(centre[1] + dy - (band.local[1] + band.local[3]) / 2))
        band = replace(band, ox=ox, oy=oy)
        boxes = _band_boxes(band, layout, True)
        if boxes is None:
            continue
        box, whole = boxes
        middle = ((whole[0] + whole[2]) / 2, (whole[1] + whole[3]) / 2)
        bird = make_bird(rng, middle, band.height * rng.uniform(0.9, 1.1), math.radians(band.angle), band=band.height)
        if _keeps_clear(box, bird, 4 * attempt, placed, layout.gap) and layout.clear(box, bird.bbox()):
            return _Placed(box, code, band, False, box != whole, bird)
    return None


def _band_like(code: str, rng: np.random.Generator, width: int, height: int, scale: float) -> _Band | None:
    """A new rendering of the band of ``code`` whose box is about ``width`` x ``height`` (placed at 0, 0);
    ``None`` when this one's angle and girth make it too wide or narrow."""
    angle = float(np.clip(rng.normal(0.0, 7.0), -15.0, 15.0))
    girth = rng.uniform(0.55, 0.72)
    shear, blur = float(rng.uniform(-0.12, 0.12)), float(rng.uniform(0.45, 1.0) * max(scale, 0.6))
    turn = math.radians(abs(angle))
    band_h = height / (math.cos(turn) + girth * math.sin(turn))
    for _ in range(3):  # the box's height follows the band's: scale it until they agree
        bgr, mask = render_tag(code, rng, band_h, band_h * girth, angle, shear, blur, downward=reads_down(code))
        local = mask_box(mask)
        tall = local[3] - local[1]
        if abs(tall - height) <= 0.04 * height:
            break
        band_h *= height / max(tall, 1)
    if abs(tall - height) > 0.08 * height or abs(local[2] - local[0] - width) > 0.1 * width:
        return None
    return _Band(bgr, mask, local, 0, 0, band_h, angle)
