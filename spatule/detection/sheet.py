"""The contact sheet of a search: the photos with the most confident detections, boxes drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from spatule.detection.rows import DetectionRow
from spatule.geometry import Box
from spatule.labels.photos import read_photo


def write_detection_sheet(path: Path, images_dir: Path, rows: Sequence[DetectionRow],
                          listed: Sequence[Mapping[str, str]], cells: int = 12) -> None:
    """Contact sheet of up to ``cells`` photos (``listed``: ``photos.csv`` rows), those with the best
    detections first, boxes drawn."""
    from spatule.figures import comparison_sheet, write_image
    from spatule.metrics import ImageDetections, ImageTruth

    best: dict[str, float] = {}
    boxes: dict[str, list[tuple[Box, float]]] = {}
    for r in rows:
        best[r.photo] = max(best.get(r.photo, 0.0), r.score)
        boxes.setdefault(r.photo, []).append((r.box, r.score))
    readable = [r for r in listed if r["status"] == "ok"]
    chosen = sorted(readable, key=lambda r: (-best.get(r["photo"], -1.0), r["photo"]))[:cells]
    items = []
    for r in chosen:
        photo = r["photo"]
        pixels = read_photo(images_dir / photo, int(r["orientation"] or 1), bool(int(r["orientation_applied"] or 0)))
        found = boxes.get(photo, [])
        items.append((pixels, ImageTruth(int(r["width"]), int(r["height"])),
                      ImageDetections(tuple(b for b, _ in found), tuple(s for _, s in found)),
                      f"{photo}: {len(found)} tag(s)"))
    write_image(path, comparison_sheet(items, title=f"detections (red) in {len(readable)} photo(s), "
                                                    "the most confident first"))
