"""Where a standing spoonbill's legs, head and bill go (:func:`spatule.demo.bird.make_bird` draws them
from the photo's random stream, in this order: tagged leg, body, other leg, head)."""

from __future__ import annotations

import math

import numpy as np

from spatule.demo.canvas import Point


def tagged_leg(rng: np.random.Generator, c: np.ndarray, angle: float, half: float,
                unit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hip, knee, foot) of the leg that passes straight through ``c`` (the tag centre) in direction ``angle``,
    bare for ``half`` a band either side of it: the tag on the tarsus or on the tibia."""
    d = np.array([math.sin(angle), math.cos(angle)])
    if rng.random() < 0.7:  # tag on the tarsus, the joint above it
        knee = c - d * (half + unit * rng.uniform(0.35, 1.0))
        foot = c + d * (half + unit * rng.uniform(0.4, 1.1))
        a1 = angle + rng.uniform(-0.35, 0.35)
        hip = knee - np.array([math.sin(a1), math.cos(a1)]) * unit * rng.uniform(0.9, 1.5)
    else:  # on the tibia, the joint below it
        hip = c - d * (half + unit * rng.uniform(0.8, 1.1))
        knee = c + d * (half + unit * rng.uniform(0.35, 0.8))
        a2 = angle + rng.uniform(-0.3, 0.3)
        foot = knee + np.array([math.sin(a2), math.cos(a2)]) * unit * rng.uniform(1.0, 1.7)
    return hip, knee, foot


def other_leg(rng: np.random.Generator, leg: tuple[np.ndarray, np.ndarray, np.ndarray], facing: int,
               a_axis: float, b_axis: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hip, knee, foot) of the second leg: beside the first, about as long, bent its own way."""
    hip, knee, foot = leg
    hip2 = hip + np.array([-facing * rng.uniform(0.2, 0.45) * a_axis, rng.uniform(-0.1, 0.1) * b_axis])
    t1 = rng.uniform(-0.35, 0.35)
    knee2 = hip2 + np.array([math.sin(t1), math.cos(t1)]) * float(np.linalg.norm(knee - hip))
    t2 = rng.uniform(-0.3, 0.3)
    shin = float(np.linalg.norm(foot - knee)) * rng.uniform(0.9, 1.1)
    foot2 = knee2 + np.array([math.sin(t2), math.cos(t2)]) * shin
    return hip2, knee2, foot2


def head_pose(rng: np.random.Generator, body: Point, facing: int, a_axis: float,
          b_axis: float) -> tuple[Point, float, tuple[Point, ...], Point | None]:
    """Head centre, head radius, neck points and bill tip (None when asleep, the head tucked on the back)."""
    cx, cy = body
    if rng.random() < 0.45:  # asleep: head tucked on the back
        return (cx + facing * 0.45 * a_axis, cy - 0.8 * b_axis), 0.42 * b_axis, (), None
    base = np.array([cx + facing * 0.7 * a_axis, cy - 0.35 * b_axis])
    head_arr = base + np.array([facing * rng.uniform(0.1, 0.6) * a_axis, -rng.uniform(0.8, 1.4) * a_axis])
    ctrl = base + np.array([-facing * 0.2 * a_axis, -0.6 * a_axis])
    t = np.linspace(0.0, 1.0, 25)[:, None]
    curve = (1 - t) ** 2 * base + 2 * t * (1 - t) * ctrl + t ** 2 * head_arr
    neck = tuple((float(x), float(y)) for x, y in curve)
    head = (float(head_arr[0]), float(head_arr[1]))
    beta = rng.uniform(-0.3, 1.3)
    bill_len = a_axis * rng.uniform(0.7, 1.0)
    bill = (head[0] + facing * math.cos(beta) * bill_len, head[1] + math.sin(beta) * bill_len)
    return head, 0.3 * b_axis, neck, bill
