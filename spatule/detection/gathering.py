"""What ``detect`` adds to the gathered detections of a season: static boxes (:mod:`spatule.detection.static`)
and, once the codes are read, visits (:mod:`spatule.reading.visits`), as columns of ``detections.csv``
(``static``; ``visit``, ``visit_match``) and the tables ``static.csv`` and ``visits.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping, Sequence

from spatule.config import default
from spatule.detection.rows import DetectionRow
from spatule.detection.static import StaticPlace, static_places
from spatule.reading.visits import Frame, Visit, visit_names, visits_of
from spatule.reading.codes import significant
from spatule.reading.registry import UNREAD

VISIT_READING_COLUMNS = ["visit", "visit_match", "visit_score"]
"""Columns a read detection gets from its visit: the visit's name, what the visit is read as and its score
(:class:`spatule.reading.visits.Visit`); a static box is in no visit (empty, ``unread``, 0)."""


@dataclass(frozen=True)
class StaticSettings:
    """When boxes are static (``detect.static_iou``, ``detect.static_share``)."""

    iou: float = default("detect", "static_iou")
    share: float = default("detect", "static_share")


def camera_frames(listed: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """Each camera's searched frames (``photos.csv`` rows with status ok)."""
    counts: dict[str, int] = {}
    for row in listed:
        if row["status"] == "ok":
            counts[row.get("camera", "")] = counts.get(row.get("camera", ""), 0) + 1
    return counts


def mark_static(rows: Sequence[DetectionRow], listed: Sequence[Mapping[str, str]],
                settings: StaticSettings) -> tuple[list[DetectionRow], list[StaticPlace]]:
    """``rows`` with a ``static`` column (1 or 0), and the static places found (a place whose boxes are mostly
    read as birds is none)."""
    cameras = {r["photo"]: r.get("camera", "") for r in listed}
    found = static_places([r.box for r in rows], [r.photo for r in rows], [cameras.get(r.photo, "") for r in rows],
                          [r.score for r in rows], camera_frames(listed), settings.iou, settings.share,
                          [r.reading.get("registry_match", UNREAD) != UNREAD for r in rows])
    static = {k for place in found for k in place.members}
    return [r.with_reading(static=str(int(k in static))) for k, r in enumerate(rows)], found


def photo_time(text: str) -> datetime | None:
    """A ``photos.csv`` time (ISO), or ``None`` when the photo has none."""
    return datetime.fromisoformat(text) if text else None


def frames_of(rows: Sequence[DetectionRow], listed: Sequence[Mapping[str, str]],
              accept: Callable[[str, float, float], str]) -> list[Frame]:
    """The read, non-static detections as frames of visits (their ``key``: the index in ``rows``; ``accept``:
    the acceptance rule, for where each frame leans)."""
    about = {r["photo"]: (r.get("camera", ""), photo_time(r.get("time", ""))) for r in listed}
    frames = []
    for k, r in enumerate(rows):
        if r.reading.get("static") == "1":
            continue
        camera, when = about.get(r.photo, ("", None))
        likeliest, score = r.reading["likeliest"], float(r.reading["match_score"])
        leans = accept(likeliest, score, 0.0)  # the threshold alone
        frames.append(Frame(k, r.photo, camera, when, r.box, likeliest, score, r.reading["runner_up"],
                            float(r.reading["runner_up_score"]), r.reading["registry_match"],
                            "" if leans == UNREAD else leans))
    return frames


def mark_visits(rows: Sequence[DetectionRow], listed: Sequence[Mapping[str, str]], gap_minutes: float,
                accept: Callable[[str, float, float], str]) -> tuple[list[DetectionRow], list[tuple[str, Visit]]]:
    """``rows`` (read, with ``static``) with their visit (:data:`VISIT_READING_COLUMNS`), and the named visits
    in order."""
    visits = visits_of(frames_of(rows, listed, accept), gap_minutes, accept)
    named = list(zip(visit_names(visits), visits))
    of_row = {f.key: (name, v.code, str(significant(v.score))) for name, v in named for f in v.frames}
    marked = [r.with_reading(**dict(zip(VISIT_READING_COLUMNS, of_row.get(k, ("", UNREAD, "0")))))
              for k, r in enumerate(rows)]
    return marked, named
