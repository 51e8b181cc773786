"""What a search found in the MegaDetector batch output format (https://lila.science/megadetector-output-format),
so that Timelapse and AddaxAI open a spatule season as they open a MegaDetector one.

One entry per file of ``photos.csv`` (its path relative to ``detect.images``): a photo searched lists its
boxes (``detections``, empty when none; static boxes left out), each with the box relative to the photo's
size, ``[x, y, width, height]``, its score as ``conf``, and, when its code was read as a bird of the
registry, that code as a classification with the reader's probability of it (the visit's code and score
when visits were linked); a file not searched (a video, an unreadable photo) says why as ``failure``. No
time is written: the same search writes the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from spatule.detection.rows import DetectionRow
from spatule.reading.registry import UNREAD

FORMAT_VERSION = "1.6"
"""The version of the format documented at lila.science when this was written (2026-12)."""

TAG_CATEGORY = "1"
"""The detection category of a tag ("0" is informally kept for "empty" by the format's tools)."""

def relative_box(row: DetectionRow, width: int, height: int) -> list[float]:
    """The box as the format writes it: ``[x, y, width, height]`` as shares of the photo's width and height,
    to 4 decimals, inside the photo."""
    x, y = min(max(row.x0 / width, 0.0), 1.0), min(max(row.y0 / height, 0.0), 1.0)
    w, h = min(max((row.x1 - row.x0) / width, 0.0), 1.0 - x), min(max((row.y1 - row.y0) / height, 0.0), 1.0 - y)
    return [round(v, 4) for v in (x, y, w, h)]


def detection_entry(row: DetectionRow, width: int, height: int, classes: Mapping[str, str]) -> dict[str, Any]:
    """One box: category, ``conf``, ``bbox`` and, read as a registry bird, its code as a classification."""
    entry: dict[str, Any] = {"category": TAG_CATEGORY, "conf": round(float(row.score), 4),
                             "bbox": relative_box(row, width, height)}
    code = row.reading.get("visit_match", row.reading.get("registry_match", ""))
    if code and code != UNREAD:
        score = row.reading.get("visit_score", row.reading["match_score"])
        entry["classifications"] = [[classes[code], round(float(score), 4)]]
    return entry


def megadetector_results(rows: Sequence[DetectionRow], listed: Sequence[Mapping[str, str]],
                         class_name: str = "tag") -> dict[str, Any]:
    """The results file of a search: ``rows`` (the gathered detections, read or not; static ones left out),
    ``listed`` (every file of ``photos.csv``)."""
    rows = [r for r in rows if r.reading.get("static") != "1"]
    codes = sorted({r.reading.get("visit_match", r.reading.get("registry_match", "")) for r in rows} - {"", UNREAD})
    classes = {code: str(k) for k, code in enumerate(codes)}
    by_photo: dict[str, list[DetectionRow]] = {}
    for row in rows:
        by_photo.setdefault(row.photo, []).append(row)
    images: list[dict[str, Any]] = []
    for photo in sorted(listed, key=lambda r: r["photo"]):
        if photo["status"] != "ok":
            why = f"{photo['status']}: {photo['reason']}" if photo.get("reason") else photo["status"]
            images.append({"file": photo["photo"], "failure": f"not searched ({why})", "detections": None})
            continue
        width, height = int(photo["width"]), int(photo["height"])
        found = sorted(by_photo.get(photo["photo"], []), key=lambda r: (-r.score, r.detection))
        images.append({"file": photo["photo"],
                       "detections": [detection_entry(r, width, height, classes) for r in found]})
    info: dict[str, Any] = {"format_version": FORMAT_VERSION, "detector": "spatule (RetinaNet, TF Model Garden)"}
    results: dict[str, Any] = {"info": info, "detection_categories": {TAG_CATEGORY: class_name}}
    if codes:
        info["classifier"] = "spatule code reader (registry codes)"
        results["classification_categories"] = {k: code for code, k in classes.items()}
    results["images"] = images
    return results


def write_megadetector_results(path: Path, rows: Sequence[DetectionRow], listed: Sequence[Mapping[str, str]],
                               class_name: str = "tag") -> int:
    """Write :func:`megadetector_results` (sorted keys, 1-space indent); returns how many files it lists."""
    results = megadetector_results(rows, listed, class_name)
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(results["images"])
