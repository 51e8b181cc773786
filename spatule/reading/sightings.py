"""Resightings: who was seen, when, where. From the detections whose code was read and matched to
the registry: ``sightings.csv`` (one row per tag read) and ``birds.csv`` (one row per bird)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from spatule.reading.registry import UNREAD

_log = logging.getLogger("spatule")

SIGHTING_COLUMNS = ["photo", "camera", "time", "code", "score", "x0", "y0", "x1", "y1"]
BIRD_COLUMNS = ["code", "first_seen", "last_seen", "photos", "cameras", "sightings"]


@dataclass(frozen=True)
class Sighting:
    """A tag read as a registry code in a photo (``time``: EXIF ``DateTimeOriginal``, "" when absent)."""

    photo: str
    camera: str
    time: str
    code: str
    score: float
    box: tuple[float, float, float, float]

    def row(self) -> list[object]:
        return [self.photo, self.camera, self.time, self.code, round(self.score, 4), *self.box]


def camera_of(photo: str) -> str:
    """A photo's camera when ``photos.csv`` does not say it (written before it had the column): its first folder
    under ``detect.images`` ("" for a photo at the top)."""
    parts = photo.split("/")
    return parts[0] if len(parts) > 1 else ""


def sightings(matches: Iterable[tuple[str, str, float, Sequence[float]]], times: Mapping[str, str | None],
              cameras: Mapping[str, str] | None = None) -> list[Sighting]:
    """Sightings of ``(photo, registry code or "unread", score, box)``, unread tags left out, in time then
    photo order (photos without a time last); ``cameras``: each photo's camera (``photos.csv``)."""
    cameras = cameras or {}
    out = [Sighting(photo, cameras.get(photo) or camera_of(photo), times.get(photo) or "", code, float(score),
                    tuple(float(v) for v in box))  # type: ignore[arg-type]
           for photo, code, score, box in matches if code and code != UNREAD]
    return sorted(out, key=lambda s: (s.time == "", s.time, s.photo, s.box))


def birds(seen: Sequence[Sighting]) -> list[list[object]]:
    """One row per code: first and last time seen (times known), photos, cameras and sightings."""
    by_code: dict[str, list[Sighting]] = {}
    for s in seen:
        by_code.setdefault(s.code, []).append(s)
    rows = []
    for code in sorted(by_code):
        these = by_code[code]
        times = sorted(s.time for s in these if s.time)
        rows.append([code, times[0] if times else "", times[-1] if times else "", len({s.photo for s in these}),
                     len({s.camera for s in these}), len(these)])
    return rows


@dataclass(frozen=True)
class Resightings:
    """Where ``detect`` writes what the codes say (the tables, the timeline, the sheet of read tags), and the
    threshold it applies."""

    sightings_csv: Path
    birds_csv: Path
    timeline: Path
    sheet: Path
    acceptance: Any
    """When a tag is its likeliest registry code (:class:`spatule.reading.codes.Acceptance`), or the
    ``threshold.json`` that holds it (rule ``read_threshold``'s; ``detect`` reads it)."""


def write_resightings(out: Resightings, rows: Sequence[Mapping[str, str]], listed: Sequence[Mapping[str, str]],
                      crops_root: Path, log: logging.Logger = _log) -> dict[str, int]:
    """From the gathered detection rows (with the reading columns) and photo rows (with their time), as
    ``detections.csv`` and ``photos.csv`` name their columns: ``sightings.csv``, ``birds.csv``, the
    timeline and the sheet of read crops."""
    from spatule.reading.figures import reading_sheet, timeline_figure
    from spatule.tables import write_csv

    times = {r["photo"]: r["time"] for r in listed}
    seen = sightings(((r["photo"], r["registry_match"], float(r["match_score"]),
                       [float(r[k]) for k in ("x0", "y0", "x1", "y1")]) for r in rows), times,
                     {r["photo"]: r.get("camera", "") for r in listed})
    write_csv(out.sightings_csv, SIGHTING_COLUMNS, [s.row() for s in seen])
    table = birds(seen)
    write_csv(out.birds_csv, BIRD_COLUMNS, table)
    timeline_figure(seen, out.timeline)
    reading_sheet(rows, crops_root, out.sheet)
    untimed = sum(1 for s in seen if not s.time)
    log.info("%d of %d tag(s) read as a registry code: %d bird(s) -> %s, %s", len(seen), len(rows), len(table),
             out.sightings_csv, out.birds_csv)
    if untimed:
        log.warning("%d sighting(s) without a time: their photos carry no EXIF DateTimeOriginal (the file's time is "
                    "never used)", untimed)
    return {"sightings": len(seen), "birds": len(table), "unread": len(rows) - len(seen)}
