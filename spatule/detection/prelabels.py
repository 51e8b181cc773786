"""labelImg files of what a search found (``results/detect/voc/``): one XML per photo with a detection, so
the boxes can be opened, corrected and added to the labels."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from spatule.detection.rows import DetectionRow
from spatule.labels.voc import VocAnnotation, voc_object, voc_text


def voc_for_photo(photo: str, images_dir: Path, rows: Sequence[DetectionRow], name: str) -> str:
    """labelImg's XML for one photo's detections: whole-pixel boxes inside the photo."""
    width, height = rows[0].width, rows[0].height
    objects = []
    for k, row in enumerate(rows, start=1):
        x0, y0 = max(0, round(row.x0)), max(0, round(row.y0))
        x1, y1 = min(width, max(x0 + 1, round(row.x1))), min(height, max(y0 + 1, round(row.y1)))
        objects.append(voc_object(k, name, (x0, y0, x1, y1)))
    path = (images_dir / photo).resolve()
    annotation = VocAnnotation(filename=path.name, folder=path.parent.name, path=str(path), width=width,
                               height=height, objects=tuple(objects))
    return voc_text(annotation)


def write_voc(voc_dir: Path, images_dir: Path, rows: Sequence[DetectionRow], name: str) -> int:
    """``voc_dir/<photo path with .xml>`` for every photo with a detection; returns how many."""
    by_photo: dict[str, list[DetectionRow]] = {}
    for row in rows:
        by_photo.setdefault(row.photo, []).append(row)
    voc_dir.mkdir(parents=True, exist_ok=True)
    for photo, these in by_photo.items():
        target = voc_dir / Path(photo).with_suffix(".xml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(voc_for_photo(photo, images_dir, these, name), encoding="utf-8")
    return len(by_photo)
