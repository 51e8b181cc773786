"""Resightings: who was seen, when, where. From the detections whose visit was read as a bird of the
registry (:mod:`spatule.reading.visits`; a frame alone when visits are off): ``sightings.csv`` (one row per
tag read), ``visits.csv`` (one row per visit) and ``birds.csv`` (one row per bird)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from spatule.config import default
from spatule.reading.registry import UNREAD

_log = logging.getLogger("spatule")

SIGHTING_COLUMNS = ["photo", "camera", "time", "code", "score", "x0", "y0", "x1", "y1", "visit", "frame_code"]
"""``code``: the bird its visit is read as; ``score``: the visit's (its clearest frame's probability of that
code); ``frame_code``: what the frame is read as alone (``unread`` when only its visit reads it)."""
BIRD_COLUMNS = ["code", "first_seen", "last_seen", "photos", "cameras", "visits", "sightings"]


@dataclass(frozen=True)
class Sighting:
    """A tag read as a registry code in a photo (``time``: EXIF ``DateTimeOriginal``, "" when absent)."""

    photo: str
    camera: str
    time: str
    code: str
    score: float
    box: tuple[float, float, float, float]
    visit: str = ""
    frame_code: str = ""

    def row(self) -> list[object]:
        return [self.photo, self.camera, self.time, self.code, round(self.score, 4), *self.box, self.visit,
                self.frame_code or self.code]


def camera_of(photo: str) -> str:
    """A photo's camera when ``photos.csv`` does not say it (written before it had the column): its first folder
    under ``detect.images`` ("" for a photo at the top)."""
    parts = photo.split("/")
    return parts[0] if len(parts) > 1 else ""


def sightings(matches: Iterable[tuple[str, str, float, Sequence[float]] | tuple[str, str, float, Sequence[float], str,
                                                                                  str]],
              times: Mapping[str, str | None], cameras: Mapping[str, str] | None = None) -> list[Sighting]:
    """Sightings of ``(photo, registry code or "unread", score, box[, visit, frame's own code])``, unread tags
    left out, in time then photo order (photos without a time last); ``cameras``: each photo's camera
    (``photos.csv``)."""
    cameras = cameras or {}
    out = [Sighting(photo, cameras.get(photo) or camera_of(photo), times.get(photo) or "", code, float(score),
                    tuple(float(v) for v in box), *rest)  # type: ignore[arg-type]
           for photo, code, score, box, *rest in matches if code and code != UNREAD]
    return sorted(out, key=lambda s: (s.time == "", s.time, s.photo, s.box))


def birds(seen: Sequence[Sighting]) -> list[list[object]]:
    """One row per code: first and last time seen (times known), photos, cameras, visits (a sighting without a
    visit is one) and sightings."""
    by_code: dict[str, list[Sighting]] = {}
    for s in seen:
        by_code.setdefault(s.code, []).append(s)
    rows = []
    for code in sorted(by_code):
        these = by_code[code]
        times = sorted(s.time for s in these if s.time)
        rows.append([code, times[0] if times else "", times[-1] if times else "", len({s.photo for s in these}),
                     len({s.camera for s in these}), len({s.visit or f"{s.photo}/{s.box}" for s in these}),
                     len(these)])
    return rows


@dataclass(frozen=True)
class Resightings:
    """Where ``detect`` writes what the codes say (the tables, the timeline, the sheet of read tags), the
    threshold it applies, and how frames are linked into visits."""

    sightings_csv: Path
    birds_csv: Path
    timeline: Path
    sheet: Path
    acceptance: Any
    """When a tag is its likeliest registry code (:class:`spatule.reading.codes.Acceptance`), or the
    ``threshold.json`` that holds it (rule ``read_threshold``'s; ``detect`` reads it)."""
    visits_csv: Path | None = None
    visit_gap_minutes: float = default("read", "visit_gap_minutes")


def sighting_matches(rows: Sequence[Mapping[str, str]], visit_scores: Mapping[str, float]
                     ) -> list[tuple[str, str, float, list[float], str, str]]:
    """``(photo, code, score, box, visit, frame's own code)`` of the gathered detection rows that are not
    static: the code their visit is read as (the frame's own when the rows have no visits), the visit's score
    (the frame's match score without one)."""
    out = []
    for r in rows:
        if r.get("static") == "1":
            continue
        visit = r.get("visit", "")
        code = r["visit_match"] if "visit_match" in r else r["registry_match"]
        score = visit_scores.get(visit, float(r["match_score"]))
        out.append((r["photo"], code, score, [float(r[k]) for k in ("x0", "y0", "x1", "y1")], visit,
                    r["registry_match"]))
    return out


def write_resightings(out: Resightings, rows: Sequence[Mapping[str, str]], listed: Sequence[Mapping[str, str]],
                      crops_root: Path, log: logging.Logger = _log, visits: Sequence[tuple[str, Any]] = ()
                      ) -> dict[str, int]:
    """From the gathered detection rows (with the reading columns, and ``static``, ``visit``, ``visit_match``
    when visits were linked) and photo rows (with their time), as ``detections.csv`` and ``photos.csv`` name
    their columns, and the named visits (:class:`spatule.reading.visits.Visit`): ``sightings.csv``,
    ``visits.csv``, ``birds.csv``, the timeline and the sheet of read crops."""
    from spatule.reading.visits import VISIT_COLUMNS, visit_row
    from spatule.reading.figures import reading_sheet, timeline_figure
    from spatule.tables import write_csv

    times = {r["photo"]: r["time"] for r in listed}
    seen = sightings(sighting_matches(rows, {name: v.score for name, v in visits}), times,
                     {r["photo"]: r.get("camera", "") for r in listed})
    write_csv(out.sightings_csv, SIGHTING_COLUMNS, [s.row() for s in seen])
    if out.visits_csv is not None:
        write_csv(out.visits_csv, VISIT_COLUMNS, [visit_row(name, v, times) for name, v in visits])
    table = birds(seen)
    write_csv(out.birds_csv, BIRD_COLUMNS, table)
    timeline_figure(seen, out.timeline)
    reading_sheet([r for r in rows if r.get("static") != "1"], crops_root, out.sheet)
    untimed = sum(1 for s in seen if not s.time)
    read_visits = sum(1 for _, v in visits if v.code != UNREAD)
    moving = sum(1 for r in rows if r.get("static") != "1")
    log.info("%d of %d tag(s) read as a registry code (%d of them only through their visit; %d of %d visit(s) "
             "read): %d bird(s) -> %s, %s", len(seen), moving, sum(1 for s in seen if s.frame_code == UNREAD),
             read_visits, len(visits), len(table), out.sightings_csv, out.birds_csv)
    if untimed:
        log.warning("%d sighting(s) without a time: their photos carry no EXIF DateTimeOriginal (the file's time is "
                    "never used)", untimed)
    flagged = sum(1 for _, v in visits if v.disagreeing())
    if flagged:
        log.warning("%d visit(s) whose frames lean to different birds: flagged in %s", flagged, out.visits_csv)
    return {"sightings": len(seen), "birds": len(table), "unread": moving - len(seen), "visits": len(visits),
            "visits_read": read_visits}
