"""The tables a search writes: ``detections.csv`` and ``photos.csv`` columns, crop names and windows.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence


from spatule.geometry import Rect
from spatule.detection.tiling import (
    Detection,
)


DETECTION_COLUMNS = ["photo", "detection", "x0", "y0", "x1", "y1", "score", "width", "height", "crop",
                     "crop_x0", "crop_y0", "crop_x1", "crop_y1"]
"""Columns of ``results/detect/detections.csv``: box in photo pixels (x1/y1 exclusive edges),
the crop file (relative to the crops folder) and the crop's window in the photo."""


PHOTO_COLUMNS = ["photo", "width", "height", "orientation", "orientation_applied", "detections", "status", "reason",
                 "time"]
"""Columns of ``results/detect/photos.csv``: every file of the folder, its tags or why it was not searched
(``status``: ok, unreadable, video, empty, not_an_image)."""


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


def crop_window(box: Sequence[float], width: int, height: int, margin_px: int,
                margin_fraction: float) -> Rect:
    """Integer crop around a detected box: the box rounded outwards plus a context margin, in the photo."""
    from spatule.labels.tags import crop_geometry, margin_for

    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    x1, y1 = max(x1, min(width, x0 + 1)), max(y1, min(height, y0 + 1))
    rect = (x0, y0, x1, y1)
    crop, _ = crop_geometry(rect, width, height, margin_for(rect, margin_px, margin_fraction))
    return crop


def detection_rows(photo: str, found: Sequence[Detection], width: int, height: int, margin_px: int,
                   margin_fraction: float, stem: str = "photo") -> list[list[object]]:
    """Rows of ``detections.csv`` for one photo, best score first; crops named ``<stem>-d<n>.png``."""
    rows = []
    for n, d in enumerate(sorted(found, key=lambda d: (-d.score, d.box)), start=1):
        crop = crop_window(d.box, width, height, margin_px, margin_fraction)
        box = [min(max(round(v, 1), 0.0), float(limit)) for v, limit in zip(d.box, (width, height, width, height))]
        rows.append([photo, n, *box, round(d.score, 4), width, height, f"{stem}-d{n}.png", *crop])
    return rows
