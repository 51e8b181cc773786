"""A standing spoonbill: its geometry, and drawing it (shadow, dark legs, white fluffy body, bill).

The birds are white and partly out of focus; the leg that carries a tag is straight
and bare over the band, which is drawn over the bird afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from spatule.geometry import Box
from spatule.demo.bird_pose import head_pose, other_leg, tagged_leg
from spatule.demo.canvas import Point, as_point, ellipse_pts, fixed, paint


@dataclass(frozen=True)
class Bird:
    """Geometry of one standing spoonbill, in photo pixels.

    ``legs`` holds (hip, knee, foot) per visible leg, the first one being the leg
    that may carry the tag. ``facing`` is +1 (head to the right) or -1.
    """

    body_center: Point
    body_axes: Point
    body_angle: float
    legs: tuple[tuple[Point, Point, Point], ...]
    unit: float
    """Size scale: the height of a tag on this bird's leg."""
    leg_width: float
    facing: int
    head: Point
    head_radius: float
    neck: tuple[Point, ...]
    bill_tip: Point | None
    blur: float

    def bbox(self) -> Box:
        """A box holding everything :func:`draw_bird` may change (shadow, blur halo included)."""
        a, b = self.body_axes
        t = math.radians(self.body_angle)
        hw = math.sqrt((a * math.cos(t)) ** 2 + (b * math.sin(t)) ** 2) * 1.15
        hh = math.sqrt((a * math.sin(t)) ** 2 + (b * math.cos(t)) ** 2) * 1.15
        cx, cy = self.body_center
        xs = [cx - hw - 0.5 * a, cx + hw + 0.5 * a]  # tail and fluff
        ys = [cy - hh - 0.4 * b, cy + hh]
        reach = self.head_radius * 1.2
        for x, y in (*self.neck, self.head):
            xs += [x - reach, x + reach]
            ys += [y - reach, y + reach]
        if self.bill_tip is not None:
            xs += [self.bill_tip[0] - 0.3 * b, self.bill_tip[0] + 0.3 * b]
            ys += [self.bill_tip[1] - 0.3 * b, self.bill_tip[1] + 0.3 * b]
        toe = 1.1 * self.unit
        for leg in self.legs:
            for x, y in leg:
                xs += [x - self.leg_width - toe, x + self.leg_width + toe]
                ys += [y - self.leg_width, y + self.leg_width + 0.5 * toe]
        pad = 3.0 * self.blur + 4.0
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad

    @property
    def ground_y(self) -> float:
        """Image row of the lowest foot: larger is closer to the camera."""
        return max(leg[2][1] for leg in self.legs)


def make_bird(rng: np.random.Generator, anchor: Point, unit: float, angle: float, band: float | None = None) -> Bird:
    """A standing bird whose first leg passes through ``anchor`` in direction ``angle``.

    ``unit`` is the size scale (the height of a tag on that leg); ``angle`` in radians,
    0 is straight down, positive puts the foot to the right. ``band`` (the tag height)
    keeps the leg straight and bare over the tag and the body clear above it.
    """
    half = 0.5 * (band if band is not None else unit)
    hip, knee, foot = tagged_leg(rng, np.array(anchor, dtype=np.float64), angle, half, unit)
    a_axis = unit * rng.uniform(1.9, 2.7)
    b_axis = a_axis * rng.uniform(0.42, 0.58)
    facing = 1 if rng.random() < 0.5 else -1
    body = (float(hip[0] + rng.uniform(-0.3, 0.3) * a_axis), float(hip[1] - b_axis * rng.uniform(0.8, 0.92)))
    body_angle = float(rng.uniform(-12, 12))
    legs = [(hip, knee, foot)]
    if rng.random() < 0.75:  # the other leg (spoonbills often rest on one)
        legs.append(other_leg(rng, (hip, knee, foot), facing, a_axis, b_axis))
    head, head_radius, neck, bill = head_pose(rng, body, facing, a_axis, b_axis)
    legs_t = tuple((as_point(h), as_point(k), as_point(f)) for h, k, f in legs)
    return Bird(body, (a_axis, b_axis), body_angle, legs_t, unit, unit * rng.uniform(0.2, 0.27), facing,
                head, head_radius, neck, bill, float(rng.uniform(1.2, 4.5) * unit / 60.0 + 0.6))


def draw_bird(image: np.ndarray, bird: Bird, rng: np.random.Generator) -> None:
    """Paint ``bird`` into ``image`` (uint8 BGR, in place): shadow, dark legs, white fluffy body."""
    height, width = image.shape[:2]
    bx0, by0, bx1, by1 = bird.bbox()
    x0, y0 = max(0, int(bx0)), max(0, int(by0))
    x1, y1 = min(width, int(math.ceil(bx1))), min(height, int(math.ceil(by1)))
    if x1 <= x0 or y1 <= y0:
        return
    origin = (float(x0), float(y0))
    roi = image[y0:y1, x0:x1]
    _draw_shadow(roi, bird, origin, rng)
    _draw_legs(roi, bird, origin, rng)
    _draw_plumage(roi, bird, origin, rng)
    if bird.bill_tip is not None:
        _draw_bill(roi, bird, origin, rng)


def _draw_shadow(roi: np.ndarray, bird: Bird, origin: Point, rng: np.random.Generator) -> None:
    """Soft shadow on the ground around the feet (separable Gaussian, its own small box)."""
    h, w = roi.shape[:2]
    a_axis = bird.body_axes[0]
    feet = np.array([leg[2] for leg in bird.legs])
    sx, sy = float(feet[:, 0].mean()) - origin[0], float(feet[:, 1].max()) - origin[1]
    sx0, sx1 = max(0, int(sx - 1.8 * a_axis)), min(w, int(sx + 1.8 * a_axis))
    sy0, sy1 = max(0, int(sy - 0.4 * a_axis)), min(h, int(sy + 0.4 * a_axis))
    if sx1 > sx0 and sy1 > sy0:
        ex = np.exp(-2.5 * ((np.arange(sx0, sx1, dtype=np.float32) - sx) / (1.1 * a_axis)) ** 2)
        ey = np.exp(-2.5 * ((np.arange(sy0, sy1, dtype=np.float32) - sy) / (0.22 * a_axis)) ** 2)
        factor = 1.0 - np.float32(rng.uniform(0.25, 0.45)) * np.outer(ey, ex)
        region = roi[sy0:sy1, sx0:sx1].astype(np.float32) * factor[:, :, None]
        roi[sy0:sy1, sx0:sx1] = (region + 0.5).astype(np.uint8)


def _draw_legs(roi: np.ndarray, bird: Bird, origin: Point, rng: np.random.Generator) -> None:
    """Legs: dark, a faint highlight along them, thin toes."""
    h, w = roi.shape[:2]
    unit, f = bird.unit, bird.facing
    legs = np.zeros((h, w), dtype=np.uint8)
    shine = np.zeros((h, w), dtype=np.uint8)
    lw = max(2, int(round(bird.leg_width)))
    toe_w = max(1, int(round(0.4 * bird.leg_width)))
    for hip, knee, foot in bird.legs:
        pts = np.array([fixed(hip, origin), fixed(knee, origin), fixed(foot, origin)], dtype=np.int32)
        cv2.polylines(legs, [pts], False, 255, lw, cv2.LINE_AA, 2)
        cv2.circle(legs, fixed(knee, origin), int(0.6 * lw * 4), 255, -1, cv2.LINE_AA, 2)
        for toe in (-0.9, 0.0, 0.9):
            end = (foot[0] + f * math.cos(toe) * 0.85 * unit, foot[1] + math.sin(toe) * 0.16 * unit)
            cv2.line(legs, fixed(foot, origin), fixed(end, origin), 255, toe_w, cv2.LINE_AA, 2)
        hind = (foot[0] - f * 0.3 * unit, foot[1] - 0.03 * unit)
        cv2.line(legs, fixed(foot, origin), fixed(hind, origin), 255, toe_w, cv2.LINE_AA, 2)
        off = bird.leg_width * 0.22
        shine_pts = np.array([fixed((p[0] - off, p[1]), origin) for p in (hip, knee, foot)], dtype=np.int32)
        cv2.polylines(shine, [shine_pts], False, 255, max(1, lw // 4), cv2.LINE_AA, 2)
    leg_tone = rng.uniform(28, 52)
    leg_colour = (leg_tone, leg_tone * 1.02, leg_tone * 1.06)
    paint(roi, cv2.GaussianBlur(legs, (0, 0), 0.7), leg_colour)
    paint(roi, cv2.GaussianBlur(cv2.min(shine, legs), (0, 0), 0.7), tuple(v + 55 for v in leg_colour), 0.35)


def _draw_plumage(roi: np.ndarray, bird: Bird, origin: Point, rng: np.random.Generator) -> None:
    """Body: rounded breast, tapering tail, fluff along the back, folded-wing lines, out of focus."""
    h, w = roi.shape[:2]
    centre = (bird.body_center[0] - origin[0], bird.body_center[1] - origin[1])
    layers = np.zeros((h, w, 3), dtype=np.uint8)  # 0: body mask, 1: feather lines, 2: breast tint
    body = _body_mask(bird, (h, w), centre, origin, rng)
    layers[:, :, 0] = body
    layers[:, :, 1] = cv2.min(_wing_mask(bird, (h, w), centre, rng), body)
    if rng.random() < 0.35:
        layers[:, :, 2] = cv2.min(_breast_mask(bird, (h, w), centre), body)
    soft = cv2.GaussianBlur(layers, (0, 0), bird.blur)
    paint(roi, np.ascontiguousarray(soft[:, :, 0]), _plumage_colour(bird, soft, centre[1], rng))


def _body_mask(bird: Bird, shape: tuple[int, int], centre: Point, origin: Point,
               rng: np.random.Generator) -> np.ndarray:
    """The white of the bird: body, breast, tail, fluff along the back, neck and head."""
    body = np.zeros(shape, dtype=np.uint8)
    a_axis, b_axis = bird.body_axes
    f, ang = bird.facing, bird.body_angle
    cx, cy = centre
    cv2.ellipse(body, *ellipse_pts((cx, cy), (a_axis, b_axis), ang), 0, 360, 255, -1, cv2.LINE_AA, 2)
    cv2.ellipse(body, *ellipse_pts((cx + f * 0.5 * a_axis, cy + 0.02 * b_axis), (0.5 * a_axis, 0.95 * b_axis), ang),
                0, 360, 255, -1, cv2.LINE_AA, 2)
    tail = (cx - f * 0.85 * a_axis, cy - 0.08 * b_axis)
    cv2.ellipse(body, *ellipse_pts(tail, (0.5 * a_axis, 0.26 * b_axis), ang + f * 12), 0, 360, 255, -1,
                cv2.LINE_AA, 2)
    for _ in range(int(rng.integers(3, 7))):
        t = rng.uniform(1.15 * math.pi, 1.9 * math.pi)
        p = (cx + 0.92 * a_axis * math.cos(t), cy + 0.92 * b_axis * math.sin(t))
        r = rng.uniform(0.08, 0.18) * b_axis
        cv2.ellipse(body, *ellipse_pts(p, (r * 1.6, r), float(rng.uniform(-20, 20))), 0, 360, 255, -1,
                    cv2.LINE_AA, 2)
    for i, p in enumerate(bird.neck):
        r = (0.3 - 0.12 * i / max(1, len(bird.neck) - 1)) * b_axis
        cv2.circle(body, fixed(p, origin), int(r * 4), 255, -1, cv2.LINE_AA, 2)
    cv2.circle(body, fixed(bird.head, origin), int(bird.head_radius * 4), 255, -1, cv2.LINE_AA, 2)
    return body


def _wing_mask(bird: Bird, shape: tuple[int, int], centre: Point, rng: np.random.Generator) -> np.ndarray:
    """Feather lines of the folded wing: its lower edge, and the long primaries towards the tail."""
    feathers = np.zeros(shape, dtype=np.uint8)
    a_axis, b_axis = bird.body_axes
    f, ang = bird.facing, bird.body_angle
    cx, cy = centre
    thin = max(1, int(round(bird.unit / 30)))
    wing_c = (cx - f * 0.1 * a_axis, cy - 0.15 * b_axis)
    start = 20 if f > 0 else 40
    cv2.ellipse(feathers, *ellipse_pts(wing_c, (0.85 * a_axis, 0.6 * b_axis), ang), start, start + 120, 255,
                thin + 1, cv2.LINE_AA, 2)
    for _ in range(int(rng.integers(3, 7))):
        p = (cx - f * rng.uniform(0.3, 0.8) * a_axis, cy + rng.uniform(-0.35, 0.3) * b_axis)
        axes = (rng.uniform(0.3, 0.6) * a_axis, rng.uniform(0.06, 0.14) * b_axis)
        cv2.ellipse(feathers, *ellipse_pts(p, axes, ang + f * float(rng.uniform(-12, 12))), 180 if f > 0 else 0,
                    270 if f > 0 else 90, 255, thin, cv2.LINE_AA, 2)
    return feathers


def _breast_mask(bird: Bird, shape: tuple[int, int], centre: Point) -> np.ndarray:
    """Where the breast of a breeding adult is tinted yellow."""
    tint = np.zeros(shape, dtype=np.uint8)
    a_axis, b_axis = bird.body_axes
    p = (centre[0] + bird.facing * 0.6 * a_axis, centre[1] - 0.3 * b_axis)
    cv2.ellipse(tint, *ellipse_pts(p, (0.3 * a_axis, 0.4 * b_axis), 0.0), 0, 360, 255, -1, cv2.LINE_AA, 2)
    return tint


def _plumage_colour(bird: Bird, soft: np.ndarray, cy: float,
                    rng: np.random.Generator) -> Callable[[int, int, int, int], np.ndarray]:
    """The colour of the plumage over a rectangle (for :func:`paint`): white, shaded towards the belly,
    greyer on the feather lines, yellow on the breast tint (``soft``: the blurred layers)."""
    b_axis = bird.body_axes[1]
    white = rng.uniform(224, 248)
    warm = np.array([0.985, 1.0, 1.01], dtype=np.float32) * np.float32(white)
    yellow = np.array([150, 212, 236], dtype=np.float32)
    top = cy - 0.45 * b_axis

    def plumage(ya: int, yb: int, xa: int, xb: int) -> np.ndarray:
        rows = np.arange(ya, yb, dtype=np.float32)
        shade = 1.03 - 0.3 * np.clip((rows - top) / (1.5 * b_axis), 0.0, 1.0)
        colour = shade[:, None, None] * warm[None, None, :]
        lines = soft[ya:yb, xa:xb, 1:2].astype(np.float32) * np.float32(0.2 / 255.0)
        tinted = soft[ya:yb, xa:xb, 2:3].astype(np.float32) * np.float32(0.3 / 255.0)
        colour = colour * (1.0 - lines)
        return colour + tinted * (yellow - colour)

    return plumage


def _draw_bill(roi: np.ndarray, bird: Bird, origin: Point, rng: np.random.Generator) -> None:
    """Bill: dark, spoon-shaped, yellow tip on adults; a red eye."""
    h, w = roi.shape[:2]
    b_axis = bird.body_axes[1]
    bill = np.zeros((h, w), dtype=np.uint8)
    cv2.line(bill, fixed(bird.head, origin), fixed(bird.bill_tip, origin), 255,
             max(2, int(0.12 * b_axis)), cv2.LINE_AA, 2)
    direction = math.degrees(math.atan2(bird.bill_tip[1] - bird.head[1], bird.bill_tip[0] - bird.head[0]))
    tip = np.zeros((h, w), dtype=np.uint8)
    tip_local = (bird.bill_tip[0] - origin[0], bird.bill_tip[1] - origin[1])
    cv2.ellipse(tip, *ellipse_pts(tip_local, (0.2 * b_axis, 0.11 * b_axis), direction), 0, 360, 255, -1,
                cv2.LINE_AA, 2)
    sigma = max(0.6, 0.6 * bird.blur)
    paint(roi, cv2.GaussianBlur(cv2.max(bill, tip), (0, 0), sigma), (48, 50, 56))
    if rng.random() < 0.5:
        paint(roi, cv2.GaussianBlur(tip, (0, 0), sigma), (70, 165, 200), 0.8)
    eye = np.zeros((h, w), dtype=np.uint8)
    e = (bird.head[0] + bird.facing * 0.3 * bird.head_radius, bird.head[1] - 0.2 * bird.head_radius)
    cv2.circle(eye, fixed(e, origin), max(4, int(0.18 * bird.head_radius * 4)), 255, -1, cv2.LINE_AA, 2)
    paint(roi, cv2.GaussianBlur(eye, (0, 0), 0.8), (40, 40, 150))
