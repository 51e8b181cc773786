"""Composing one demo photo: ground, tags on the legs of birds, untagged birds, look-alikes, light.

It is as hard as the real colony's photos in the ways that matter for detection:
tags partly hidden by the other leg, a feather or grass blades (the box is still the
whole band, as a person draws it); tags cut by the photo border (the box is the
visible part, VOC ``truncated``); far, blurred tags nobody can read (VOC
``difficult``, identity ``far-<photo>-<k>``); look-alikes that are not tags (yellow
nest markers with black digits, white plastic litter, feathers); lighting that
changes from photo to photo (exposure, colour, cloud shadows) and grey infrared
night frames.

Box convention everywhere: ``(xmin, ymin, xmax, ymax)`` integer pixels, ``xmax`` and
``ymax`` exclusive (a :data:`spatule.geometry.Rect`); the box is the tight axis-aligned
box of the visible band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

from spatule.demo.bird import Bird, draw_bird, make_bird
from spatule.demo.plan import DemoParams, PlannedPhoto
from spatule.demo.scene import develop, draw_feather, draw_ground, draw_litter, draw_nest_marker, occlude
from spatule.demo.tag import composite, mask_box, reads_down, render_tag
from spatule.geometry import Rect, overlaps


@dataclass(frozen=True)
class DemoTag:
    """A labelled tag of a demo photo: its box, the bird's identity and the VOC flags."""

    box: Rect
    identity: str
    difficult: bool = False
    truncated: bool = False
    occluded: bool = False
    whole: Rect | None = None
    """The whole band's box, beyond the photo border too (``box``: its visible part)."""


@dataclass(frozen=True)
class _Layout:
    """Sizes that the placement steps of one photo share."""

    width: int
    height: int
    scale: float
    usable_bottom: int
    """Rows above the info bar (and a margin): where tags and look-alikes go."""
    gap: float
    """Least distance in pixels between a tag and anything else placed."""
    avoid: tuple[Rect, ...] = ()
    """Boxes that no tag or bird may overlap."""

    @classmethod
    def of(cls, params: DemoParams, avoid: Sequence[Rect] = ()) -> _Layout:
        s = params.scale
        usable_bottom = params.height - params.info_bar_px - max(4, int(6 * s))
        return cls(params.width, params.height, s, usable_bottom, 14.0 * s + 4.0, tuple(avoid))

    def clear(self, *boxes: Sequence[float]) -> bool:
        """Whether ``boxes`` keep clear of :attr:`avoid`."""
        return not any(overlaps(box, a, self.gap) for box in boxes for a in self.avoid)


@dataclass(frozen=True)
class _Band:
    """A rendered band (:func:`render_tag`) and where its canvas goes: top-left at ``(ox, oy)``."""

    bgr: np.ndarray
    mask: np.ndarray
    local: Rect
    """The band's box in its canvas."""
    ox: int
    oy: int
    height: float
    angle: float

    @property
    def whole(self) -> Rect:
        """The band's box in the photo (also beyond its border)."""
        return self.local[0] + self.ox, self.local[1] + self.oy, self.local[2] + self.ox, self.local[3] + self.oy


@dataclass(frozen=True)
class _Placed:
    """A band placed in the photo, on the leg of ``bird``; ``cut``: by the photo border."""

    box: Rect
    code: str
    band: _Band
    far: bool
    cut: bool
    bird: Bird


def render_photo(photo: PlannedPhoto, params: DemoParams, rng: np.random.Generator, *,
                 stay: Mapping[str, Rect] | None = None,
                 avoid: Sequence[Rect] = ()) -> tuple[np.ndarray, list[DemoTag]]:
    """Render one photo; returns the uint8 BGR image and its tags (boxes disjoint).

    ``stay``: code -> the whole box (:attr:`DemoTag.whole`) of that bird's band in the previous frame of its
    visit: the band, drawn anew, goes a few pixels from it (:mod:`spatule.demo.stay`), placed before the others.
    ``avoid``: boxes no tag or bird goes over (a logo printed over the photo). Neither given: the same draws as
    ever (the labelled campaign's photos).
    """
    layout = _Layout.of(params, avoid)
    width, s = layout.width, layout.scale
    image = draw_ground(rng, width, layout.height)
    for _ in range(int(rng.integers(0, 5))):
        draw_feather(image, rng, (rng.uniform(0, width), rng.uniform(0, layout.usable_bottom)), rng.uniform(20, 60) * s)
    placed = _place_tags(photo, rng, layout, params.hard_cases, stay or {})
    birds = [p.bird for p in placed] + _untagged_birds(photo, rng, layout, params.hard_cases, placed)
    if params.hard_cases:
        _place_lookalikes(image, rng, layout, placed)
    for bird in sorted(birds, key=lambda b: b.ground_y):
        draw_bird(image, bird, rng)
    found = _draw_tags(image, rng, placed, params.hard_cases)
    return develop(image, photo, params, rng), sorted(found, key=lambda t: t.box[0])


def _place_tags(photo: PlannedPhoto, rng: np.random.Generator, layout: _Layout, hard: bool,
                stay: Mapping[str, Rect]) -> list[_Placed]:
    """Place the tags of the photo's codes (those that ``stay`` first, near their box), and now and then a far
    one nobody can read."""
    placed: list[_Placed] = []
    far = [f"far-{photo.index + 1}-{k + 1}" for k in range(int(hard and bool(photo.codes) and rng.random() < 0.35))]
    staying = [code for code in photo.codes if code in stay]
    for code in (*staying, *(c for c in photo.codes if c not in stay), *far):
        tag = None
        if code in stay:  # near where it stood in the previous frame, when there is room
            from spatule.demo.stay import place_near  # (which builds on this module)

            tag = place_near(code, rng, layout, placed, stay[code])
        tag = tag or _place_tag(code, rng, layout, hard, placed)
        if tag is not None:
            placed.append(tag)
        elif not code.startswith("far-"):  # no room for a far bird: the photo goes without
            raise RuntimeError(f"demo: could not place tag {code} in {photo.image}")
    return placed


def _place_tag(code: str, rng: np.random.Generator, layout: _Layout, hard: bool,
               placed: list[_Placed]) -> _Placed | None:
    """Find room for the band of ``code`` and its bird among those ``placed``; ``None`` if there is none."""
    far = code.startswith("far-")
    border = ""
    if hard and not far and rng.random() < 0.1:
        border = ("left", "right", "top")[int(rng.integers(0, 3))]
    for attempt in range(400):
        if attempt % 25 == 0:  # a new tag now and then, smaller and smaller if space is short
            band = _new_band(rng, code, layout, attempt, far, border if attempt < 200 else "")
        elif not border or attempt >= 200:
            band = _moved(band, rng, layout, far)
        boxes = _band_boxes(band, layout, bool(border))
        if boxes is None:
            continue
        box, whole = boxes
        centre = ((whole[0] + whole[2]) / 2, (whole[1] + whole[3]) / 2)
        bird = make_bird(rng, centre, band.height * rng.uniform(0.9, 1.1), math.radians(band.angle), band=band.height)
        if _keeps_clear(box, bird, attempt, placed, layout.gap) and layout.clear(box, bird.bbox()):
            return _Placed(box, code, band, far, box != whole, bird)
    return None


def _new_band(rng: np.random.Generator, code: str, layout: _Layout, attempt: int,
              far: bool = False, border: str = "") -> _Band:
    """A newly rendered band and where it goes.

    ``far``: a small, blurred band in the far (upper) half; ``border``: a band cut by the
    ``left``, ``right`` or ``top`` photo border, 45-85% of it inside.
    """
    s, width, usable_bottom = layout.scale, layout.width, layout.usable_bottom
    if far:
        band_h = rng.uniform(16.0, 26.0) * s
        blur = float(rng.uniform(1.4, 2.4) * max(s, 0.6))
    else:
        band_h = max(30.0, rng.uniform(46.0, 92.0) * s * 0.85 ** (attempt // 100))
        blur = float(rng.uniform(0.45, 1.0) * max(s, 0.6))
    band_w = band_h * rng.uniform(0.55, 0.72)
    angle = float(np.clip(rng.normal(0.0, 7.0), -15.0, 15.0))
    bgr, mask = render_tag(code, rng, band_h, band_w, angle, float(rng.uniform(-0.12, 0.12)), blur,
                           downward=reads_down(code))
    local = mask_box(mask)
    mh, mw = mask.shape
    bw, bh = local[2] - local[0], local[3] - local[1]
    shown = rng.uniform(0.45, 0.85)
    if border == "left":
        ox = -local[0] - int(round((1 - shown) * bw))
    elif border == "right":
        ox = width - local[0] - int(round(shown * bw))
    else:
        ox = int(rng.integers(4, max(5, width - mw - 4)))
    if border == "top":
        oy = -local[1] - int(round((1 - shown) * bh))
    elif far:
        oy = int(rng.integers(4, max(5, int(0.45 * usable_bottom) - mh)))
    else:
        oy = int(rng.integers(4, max(5, usable_bottom - mh)))
    return _Band(bgr, mask, local, ox, oy, band_h, angle)


def _moved(band: _Band, rng: np.random.Generator, layout: _Layout, far: bool) -> _Band:
    """``band`` somewhere else across the photo (in the far upper half when ``far``)."""
    ox = int(rng.integers(4, max(5, layout.width - band.mask.shape[1] - 4)))
    top = int(0.45 * layout.usable_bottom) if far else layout.usable_bottom
    oy = int(rng.integers(4, max(5, top - band.mask.shape[0])))
    return replace(band, ox=ox, oy=oy)


def _band_boxes(band: _Band, layout: _Layout, border: bool) -> tuple[Rect, Rect] | None:
    """``(box, whole)``: the visible and the whole band in the photo; ``None`` where it may not go
    (too big, too small a visible part, or over the info bar). ``border``: it may cross the border."""
    mh, mw = band.mask.shape
    if mh + 8 > layout.usable_bottom or (not border and mw + 8 > layout.width):
        return None
    whole = band.whole
    box = (max(0, whole[0]), max(0, whole[1]), min(layout.width, whole[2]), min(layout.usable_bottom, whole[3]))
    if box[2] - box[0] < 8 or box[3] - box[1] < 8 or whole[3] > layout.usable_bottom:
        return None
    return box, whole


def _keeps_clear(box: Rect, bird: Bird, attempt: int, placed: list[_Placed], gap: float) -> bool:
    """Whether a tag at ``box`` on the leg of ``bird`` keeps clear of the tags and birds ``placed``.

    A tag stays clear of the other birds; when space is short, a bird standing farther
    back may be behind it (its body is drawn first, leg and band over it); in photos too
    small for that, only the tags keep apart (tags are drawn last, always visible).
    """
    bb = bird.bbox()
    if any(overlaps(box, p.box, gap) for p in placed):
        return False
    strict, loose = attempt < 200, attempt >= 300
    if not loose and any(overlaps(box, p.bird.bbox()) and (strict or p.bird.ground_y >= bird.ground_y)
                         for p in placed):
        return False
    return loose or not any(overlaps(bb, p.box) and (strict or bird.ground_y >= p.bird.ground_y) for p in placed)


def _untagged_birds(photo: PlannedPhoto, rng: np.random.Generator, layout: _Layout, hard: bool,
                    placed: list[_Placed]) -> list[Bird]:
    """Untagged birds, anywhere (also partly out of frame), never over a tag; now and then a crowd."""
    birds: list[Bird] = []
    width, height, s = layout.width, layout.height, layout.scale
    crowd = hard and rng.random() < 0.2
    for _ in range(int(rng.integers(0, 4)) + (1 if not photo.codes else 0) + (int(rng.integers(3, 7)) if crowd else 0)):
        for _attempt in range(30):
            unit = rng.uniform(46.0, 92.0) * s
            anchor = (rng.uniform(-0.05, 1.05) * width, rng.uniform(0.15, 0.95) * height)
            bird = make_bird(rng, anchor, unit, math.radians(float(rng.normal(0.0, 8.0))))
            if any(overlaps(bird.bbox(), p.box, layout.gap) for p in placed) or not layout.clear(bird.bbox()):
                continue
            birds.append(bird)
            break
    return birds


def _place_lookalikes(image: np.ndarray, rng: np.random.Generator, layout: _Layout, placed: list[_Placed]) -> None:
    """Litter and nest markers on the ground, clear of the tags and of each other (in place)."""
    lookalikes: list[Rect] = []
    for kind in ["litter"] * int(rng.integers(0, 4)) + ["marker"] * int(rng.integers(0, 3)):
        size = rng.uniform(30.0, 70.0) * layout.scale
        for _attempt in range(20):
            centre = (rng.uniform(0.05, 0.95) * layout.width, rng.uniform(0.1, 0.9) * layout.usable_bottom)
            near = (centre[0] - 2 * size, centre[1] - 2 * size, centre[0] + 2 * size, centre[1] + 3 * size)
            if (any(overlaps(near, p.box, layout.gap) for p in placed)
                    or any(overlaps(near, b, 0) for b in lookalikes)):
                continue
            if kind == "litter":
                draw_litter(image, rng, centre, size)
            else:
                draw_nest_marker(image, rng, centre, size * 0.8)
            lookalikes.append(tuple(int(v) for v in near))
            break


def _draw_tags(image: np.ndarray, rng: np.random.Generator, placed: list[_Placed], hard: bool) -> list[DemoTag]:
    """Paint the bands over the birds, hide part of some; returns their labels."""
    found: list[DemoTag] = []
    for p in placed:
        composite(image, p.band.bgr, p.band.mask, p.band.ox, p.band.oy)
        hidden = ""
        if hard and not p.far and not p.cut and rng.random() < 0.3:
            hidden = occlude(image, rng, p.box, p.bird.unit)
        found.append(DemoTag(p.box, p.code, difficult=p.far, truncated=p.cut, occluded=bool(hidden),
                             whole=p.band.whole))
    return found
