"""Visits: one bird standing in the same place across a camera's frames, read from all of them at once.

A camera trap photographs a nest every few minutes, so a bird that stays shows its tag in frame after frame,
clear in some and blurred, turned or hidden in others. Tags of one camera whose boxes overlap (or lie within
:data:`LINK_SIDES` box sides of each other) in frames no more than ``read.visit_gap_minutes`` apart are
linked into a **visit** (:func:`link_visits`). A visit's code is decided from the evidence of all its frames
(:func:`pool_reading`): each frame gives the reader's probability of its likeliest registry code and of the
runner-up, and bounds every other code by the runner-up's probability; the frames' probabilities of a code
are multiplied (frames taken as independent views). A visit with a frame read alone
(:class:`spatule.reading.codes.Acceptance`, the one rule) is that frame's bird: one clear frame reads the
whole visit, and a single frame is read exactly as alone. A visit without one is the best code when its
clearest frame's probability reaches the reading threshold and the combined evidence is at least the margin
times the next code's (frames each a little unsure that agree). A frame read alone as another bird than a
frame of the visit starts a visit of its own (a partner taking over the nest).
``agreement`` is the share of frames whose own likeliest code is the visit's; a visit whose frames lean to
different birds (each frame's likeliest code reaching the threshold, the margin aside) is flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, Sequence

from spatule.geometry import Box, iou
from spatule.reading.registry import UNREAD

LINK_SIDES = 1.0
"""Boxes that do not overlap still link when their centres are this many box sides apart at most (the
longer side of the earlier box)."""

FLOOR = 1e-6
"""The least probability a frame gives a code (so that one frame cannot make a code impossible)."""

VISIT_COLUMNS = ["visit", "camera", "first", "last", "frames", "code", "score", "agreement", "frames_read",
                 "runner_up", "evidence_ratio", "flag", "first_photo", "x0", "y0", "x1", "y1"]
"""Columns of ``results/detect/visits.csv``."""


@dataclass(frozen=True)
class Frame:
    """One tag in one photo, as a visit sees it: where and when, and what the reader made of it."""

    key: int
    """Its index in the caller's list of detections."""
    photo: str
    camera: str
    time: datetime | None
    box: Box
    likeliest: str
    match_score: float
    runner_up: str
    runner_up_score: float
    read_alone: str
    """What the frame is taken as on its own (a registry code or ``unread``)."""
    leans: str = ""
    """Its likeliest code when that reaches the threshold, the margin aside (a frame read alone leans to its
    code; one that fails only the margin, to its likeliest); "" otherwise."""


@dataclass(frozen=True)
class Visit:
    """The frames of one visit (in time order) and what they say together."""

    frames: tuple[Frame, ...]
    code: str
    score: float
    runner_up: str
    evidence_ratio: float

    @property
    def agreement(self) -> float:
        """Share of frames whose own likeliest code is the visit's code (0 when the visit is unread)."""
        if self.code == UNREAD:
            return 0.0
        return sum(f.likeliest == self.code for f in self.frames) / len(self.frames)

    def disagreeing(self) -> dict[str, int]:
        """The codes its frames lean to (:attr:`Frame.leans`), with how many frames each, when the visit's code
        and these name two birds or more (empty otherwise)."""
        leaning: dict[str, int] = {}
        for f in self.frames:
            if f.leans and f.leans != UNREAD:
                leaning[f.leans] = leaning.get(f.leans, 0) + 1
        named = set(leaning) | ({self.code} - {UNREAD})
        return leaning if len(named) > 1 else {}


def _centre_distance(a: Box, b: Box) -> float:
    return math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)


def link_cost(earlier: Box, later: Box) -> float | None:
    """How well a box continues an earlier one: ``1 - IoU`` when they overlap, else ``1 +`` the centres'
    distance in earlier box sides when within :data:`LINK_SIDES`; ``None`` when they cannot be one bird."""
    overlap = iou(earlier, later)
    if overlap > 0:
        return 1.0 - overlap
    side = max(earlier[2] - earlier[0], earlier[3] - earlier[1], 1e-9)
    distance = _centre_distance(earlier, later) / side
    return 1.0 + distance if distance <= LINK_SIDES else None


def same_bird(visit: Sequence[Frame], frame: Frame) -> bool:
    """Whether ``frame`` may be the bird of ``visit``: not when the frame and a frame of the visit are each read
    alone as a different bird (a partner taking over the nest, a neighbour stepping in)."""
    return frame.read_alone == UNREAD or all(f.read_alone in (UNREAD, frame.read_alone) for f in visit)


def link_visits(frames: Sequence[Frame], gap_minutes: float) -> list[list[Frame]]:
    """Frames grouped into visits: per camera, in time order, each frame joins the open visit of that camera
    whose last frame is from another photo at most ``gap_minutes`` earlier and whose box it continues best
    (:func:`link_cost`, the best pairs first, the latest visit on a tie, one frame per visit and photo), unless
    it is read alone as another bird than a frame of that visit (:func:`same_bird`). Frames without a time,
    and every frame when ``gap_minutes`` is 0, are visits of their own."""
    visits: list[list[Frame]] = []
    untimed = [f for f in frames if f.time is None or gap_minutes <= 0]
    visits += [[f] for f in untimed]
    by_photo: dict[tuple[str, datetime, str], list[Frame]] = {}
    for f in frames:
        if f.time is not None and gap_minutes > 0:
            by_photo.setdefault((f.camera, f.time, f.photo), []).append(f)
    open_visits: dict[str, list[list[Frame]]] = {}
    for (camera, when, _photo), these in sorted(by_photo.items()):
        live = [v for v in open_visits.get(camera, [])  # a burst's frames share a second: 0 s apart is in
                if 0 <= (when - v[-1].time).total_seconds() <= gap_minutes * 60]  # type: ignore[operator]
        pairs = sorted((cost, (when - visit[-1].time).total_seconds(), k, j)  # type: ignore[operator]
                       for k, visit in enumerate(live) for j, f in enumerate(these)  # ties: the latest visit
                       if (cost := link_cost(visit[-1].box, f.box)) is not None and same_bird(visit, f))
        taken_visit, taken_frame = set(), set()
        for _cost, _since, k, j in pairs:
            if k in taken_visit or j in taken_frame:
                continue
            taken_visit.add(k)
            taken_frame.add(j)
            live[k].append(these[j])
        fresh = [[f] for j, f in enumerate(these) if j not in taken_frame]
        visits += fresh
        open_visits[camera] = live + fresh
    return visits


def pool_reading(frames: Sequence[Frame], accept: Callable[[str, float, float], str]) -> Visit:
    """What a visit's frames say together (see the module docstring); ``accept`` is the one acceptance rule
    (:meth:`spatule.reading.codes.Acceptance.of`: likeliest, its probability, the runner-up's)."""
    candidates = sorted({c for f in frames for c in (f.likeliest, f.runner_up) if c})
    ordered = tuple(sorted(frames, key=lambda f: (f.time is None, f.time or datetime.min, f.photo, f.key)))
    if not candidates:
        return Visit(ordered, UNREAD, 0.0, "", 0.0)

    def given(f: Frame, code: str) -> float:
        value = f.match_score if code == f.likeliest else f.runner_up_score if code == f.runner_up else None
        return max(FLOOR, f.runner_up_score if value is None else value)

    evidence = {c: sum(math.log(given(f, c)) for f in frames) for c in candidates}
    other = sum(math.log(max(FLOOR, f.runner_up_score)) for f in frames)  # any code no frame named
    ranked = sorted(candidates, key=lambda c: (-evidence[c], c))
    best = ranked[0]
    second, second_evidence = (ranked[1], evidence[ranked[1]]) if len(ranked) > 1 else ("", other)
    if other > second_evidence:  # a code no frame named may be the next likeliest: none is named
        second, second_evidence = "", other
    score = max((f.match_score if best == f.likeliest else f.runner_up_score) for f in frames
                if best in (f.likeliest, f.runner_up))
    ratio = math.exp(min(700.0, evidence[best] - second_evidence))
    alone = sorted({f.read_alone for f in frames} - {UNREAD})
    if len(alone) > 1:  # frames read alone as different birds (never so as link_visits links them)
        return Visit(ordered, UNREAD, score, second, ratio)
    if alone:  # a frame read alone is that bird: pooling only reads the frames that were not
        code = alone[0]
        return Visit(ordered, code, max(f.match_score for f in frames if f.read_alone == code), second, ratio)
    return Visit(ordered, accept(best, score, score / ratio), score, second, ratio)


def visits_of(frames: Sequence[Frame], gap_minutes: float, accept: Callable[[str, float, float], str]) -> list[Visit]:
    """The visits of ``frames`` (:func:`link_visits`), each read (:func:`pool_reading`), in the order of their
    first frame (time, camera, photo, box)."""
    read = [pool_reading(v, accept) for v in link_visits(frames, gap_minutes)]
    return sorted(read, key=lambda v: (v.frames[0].time is None, v.frames[0].time or datetime.min,
                                       v.frames[0].camera, v.frames[0].photo, v.frames[0].box))


def visit_names(visits: Sequence[Visit]) -> list[str]:
    """``V0001``, ``V0002``, ... in the visits' order (wide enough for all)."""
    width = max(4, len(str(len(visits))))
    return [f"V{k + 1:0{width}d}" for k in range(len(visits))]


def visit_row(name: str, visit: Visit, times: Mapping[str, str]) -> list[object]:
    """The :data:`VISIT_COLUMNS` values of a visit (``times``: each photo's time as ``photos.csv`` writes it)."""
    first, last = visit.frames[0], visit.frames[-1]
    disagreeing = visit.disagreeing()
    flag = ("frames lean to different birds: " + ", ".join(f"{c} ({n})" for c, n in sorted(disagreeing.items()))
            if disagreeing else "")
    return [name, first.camera, times.get(first.photo, ""), times.get(last.photo, ""), len(visit.frames), visit.code,
            float(f"{visit.score:.4g}"), round(visit.agreement, 4), sum(f.read_alone != UNREAD for f in visit.frames),
            visit.runner_up, float(f"{visit.evidence_ratio:.4g}"), flag, first.photo, *first.box]
