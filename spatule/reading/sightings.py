"""Resightings: who was seen, when, where. From the detections whose code was read and matched to
the registry: ``sightings.csv`` (one row per tag read) and ``birds.csv`` (one row per bird)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

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
    """The camera of a photo: its first folder under ``detect.images`` ("" for a photo at the top)."""
    parts = photo.split("/")
    return parts[0] if len(parts) > 1 else ""


def sightings(matches: Iterable[tuple[str, str, float, Sequence[float]]],
              times: Mapping[str, str | None]) -> list[Sighting]:
    """Sightings of ``(photo, registry code or "unread", score, box)``, unread tags left out, in time then
    photo order (photos without a time last)."""
    out = [Sighting(photo, camera_of(photo), times.get(photo) or "", code, float(score),
                    tuple(float(v) for v in box))  # type: ignore[arg-type]
           for photo, code, score, box in matches if code and code != "unread"]
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
