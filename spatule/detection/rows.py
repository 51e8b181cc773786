"""The tables a search writes, as typed records: a detection (``detections.csv``, with the crop cut around
it and, once read, its code) and a searched file (``photos.csv``); crop names; the crop margins.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Iterable, Mapping, Sequence

from spatule.config import default
from spatule.geometry import Box, Rect


DETECTION_COLUMNS = ["photo", "detection", "x0", "y0", "x1", "y1", "score", "width", "height", "crop",
                     "crop_x0", "crop_y0", "crop_x1", "crop_y1"]
"""Columns of ``results/detect/detections.csv``: box in photo pixels (x1/y1 exclusive edges),
the crop file (relative to the crops folder) and the crop's window in the photo."""


PHOTO_COLUMNS = ["photo", "width", "height", "orientation", "orientation_applied", "detections", "status", "reason",
                 "time", "camera"]
"""Columns of ``results/detect/photos.csv``: every file of the folder, its tags or why it was not searched
(``status``: ok, unreadable, video, empty, not_an_image), when (EXIF) and by which camera
(:func:`spatule.detection.season.camera_name`)."""


def crop_stems(photos: Iterable[str]) -> dict[str, str]:
    """A file-safe stem per photo path for its crops (``<stem>-d<n>.png``); paths that slug alike
    get a short hash of the path, so stems are unique."""
    import hashlib
    import re

    def slug(photo: str) -> str:
        stem = photo.rsplit(".", 1)[0] if "." in photo.rsplit("/", 1)[-1] else photo
        return re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_") or "photo"

    photos = sorted(set(photos))
    owners: dict[str, int] = {}
    for photo in photos:
        owners[slug(photo)] = owners.get(slug(photo), 0) + 1
    return {photo: slug(photo) if owners[slug(photo)] == 1 else
            f"{slug(photo)}-{hashlib.sha1(photo.encode()).hexdigest()[:6]}" for photo in photos}


@dataclass(frozen=True)
class CropMargins:
    """The context cut around a detected box (the ``tags`` section: ``margin_px``, ``margin_fraction``), as
    ``extract_tags`` cuts the labelled tags."""

    margin_px: int = default("tags", "margin_px")
    margin_fraction: float = default("tags", "margin_fraction")


@dataclass(frozen=True)
class DetectionRow:
    """One row of ``detections.csv``: the box in photo pixels (x1/y1 exclusive edges), the photo's size, the
    crop file (relative to the crops folder) and its window in the photo; ``reading``: the reading columns
    (:data:`spatule.reading.codes.JOB_READING_COLUMNS`, or ``READING_COLUMNS`` once gathered), as written."""

    photo: str
    detection: int
    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    width: int
    height: int
    crop: str
    crop_x0: int
    crop_y0: int
    crop_x1: int
    crop_y1: int
    reading: Mapping[str, str] = field(default_factory=dict)

    @property
    def box(self) -> Box:
        return (self.x0, self.y0, self.x1, self.y1)

    def box_in_crop(self) -> Rect:
        """The box in the crop's pixels, rounded (what the reader is told the tag is)."""
        return (int(round(self.x0 - self.crop_x0)), int(round(self.y0 - self.crop_y0)),
                int(round(self.x1 - self.crop_x0)), int(round(self.y1 - self.crop_y0)))

    def with_reading(self, **columns: str) -> "DetectionRow":
        """A copy with these reading columns added (or replaced)."""
        return replace(self, reading={**self.reading, **columns})

    def cells(self, reading_columns: Sequence[str] = ()) -> list[object]:
        """The row's values in :data:`DETECTION_COLUMNS` order, then ``reading_columns``."""
        return [getattr(self, c) for c in DETECTION_COLUMNS] + [self.reading[c] for c in reading_columns]

    @classmethod
    def of_csv(cls, row: Mapping[str, str], crop_folder: str = "") -> "DetectionRow":
        """A row read back from a job's table (numbers as written: ``cells`` gives the same text back), its
        crop under ``crop_folder`` (the job's name in the gathered table); other columns go to ``reading``."""
        typed = {f.name: f.type for f in fields(cls) if f.name != "reading"}  # "int", "float", "str": annotations
        # are strings here (from __future__ import annotations)
        values = {name: (int(row[name]) if kind == "int" else float(row[name]) if kind == "float" else row[name])
                  for name, kind in typed.items()}
        if crop_folder:
            values["crop"] = f"{crop_folder}/{values['crop']}"
        return cls(**values, reading={k: v for k, v in row.items() if k not in typed})
