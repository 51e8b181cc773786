"""labelImg files of what a search found (``results/detect/voc/``): one XML per photo with a detection, each
box named ``tag:CODE`` when its code was read as a registry bird (``tag`` when not), so that a corrected
folder is a labels folder with identities.

A file the biologist changed is never written over: spatule keeps the sha256 of what it wrote last
(``.spatule-written.json`` in the folder, hidden from labelImg and from the labels index) and leaves any
file that differs from it, or that it did not write, as it is; what happened to each file is in
``results/detect/voc.csv``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Sequence

from spatule.detection.rows import DetectionRow
from spatule.labels.objects import IndexSettings, parse_name
from spatule.labels.voc import VocAnnotation, voc_object, voc_text
from spatule.reading.registry import UNREAD

WRITTEN = ".spatule-written.json"
"""The sha256 of every file spatule wrote last, by path under the folder."""

VOC_COLUMNS = ["xml", "photo", "boxes", "state"]
"""Columns of ``results/detect/voc.csv``: ``state`` is ``written``, ``kept`` (changed since spatule wrote it,
or not written by spatule: left as it is) or ``removed`` (spatule's own file of a photo with no box now)."""


def box_name(row: DetectionRow, labels: IndexSettings) -> str:
    """``<class>:<CODE>`` for a box read as a registry bird on its own (not through its visit: a crop named so
    shows its code), when ``labels.name_pattern`` reads it back so; else the class name."""
    code = row.reading.get("registry_match", "")
    if code and code != UNREAD:
        name = f"{labels.class_name}:{code}"
        pattern = re.compile(labels.name_pattern)
        if parse_name(name, pattern) in ((labels.class_name, code), ("", code)):
            return name
    return labels.class_name


def voc_for_photo(photo: str, images_dir: Path, rows: Sequence[DetectionRow], labels: IndexSettings) -> str:
    """labelImg's XML for one photo's detections: whole-pixel boxes inside the photo, named by :func:`box_name`."""
    width, height = rows[0].width, rows[0].height
    objects = []
    for k, row in enumerate(rows, start=1):
        x0, y0 = max(0, round(row.x0)), max(0, round(row.y0))
        x1, y1 = min(width, max(x0 + 1, round(row.x1))), min(height, max(y0 + 1, round(row.y1)))
        objects.append(voc_object(k, box_name(row, labels), (x0, y0, x1, y1)))
    path = (images_dir / photo).resolve()
    annotation = VocAnnotation(filename=path.name, folder=path.parent.name, path=str(path), width=width,
                               height=height, objects=tuple(objects))
    return voc_text(annotation)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_voc(voc_dir: Path, images_dir: Path, rows: Sequence[DetectionRow],
              labels: IndexSettings = IndexSettings()) -> list[list[object]]:
    """``voc_dir/<photo path with .xml>`` for every photo with a detection, a file changed since spatule wrote
    it (or never written by it) left as it is; the rows of ``voc.csv`` (:data:`VOC_COLUMNS`)."""
    by_photo: dict[str, list[DetectionRow]] = {}
    for row in rows:
        by_photo.setdefault(row.photo, []).append(row)
    voc_dir.mkdir(parents=True, exist_ok=True)
    ledger = voc_dir / WRITTEN
    before: dict[str, str] = json.loads(ledger.read_text(encoding="utf-8")) if ledger.is_file() else {}
    after: dict[str, str] = {}
    table: list[list[object]] = []
    handled: set[str] = set()
    for photo, these in sorted(by_photo.items()):
        rel = Path(photo).with_suffix(".xml").as_posix()
        target = voc_dir / rel
        handled.add(rel)
        if target.exists() and before.get(rel) != _sha(target.read_bytes()):
            table.append([rel, photo, len(these), "kept"])
            continue
        text = voc_for_photo(photo, images_dir, these, labels).encode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text)
        after[rel] = _sha(text)
        table.append([rel, photo, len(these), "written"])
    for rel, sha in sorted(before.items()):  # spatule's own file of a photo without a box now
        target = voc_dir / rel
        if rel not in handled and target.is_file():
            if _sha(target.read_bytes()) == sha:
                target.unlink()
                table.append([rel, "", 0, "removed"])
            else:
                table.append([rel, "", 0, "kept"])
    ledger.write_text(json.dumps(after, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return sorted(table, key=lambda r: str(r[0]))
