"""The contact sheet of a search: the photos with the most confident detections, boxes drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


from spatule.geometry import Box
from spatule.labels.photos import read_photo


def write_detection_sheet(path: Path, images_dir: Path, rows: Sequence[Sequence[object]],
                          listed: Sequence[Sequence[object]], cells: int = 12) -> None:
    """Contact sheet of up to ``cells`` photos, those with the best detections first, boxes drawn."""
    from spatule.figures import comparison_sheet, write_image
    from spatule.metrics import ImageDetections, ImageTruth

    best: dict[str, float] = {}
    boxes: dict[str, list[tuple[Box, float]]] = {}
    for r in rows:
        best[str(r[0])] = max(best.get(str(r[0]), 0.0), float(r[6]))  # type: ignore[arg-type]
        boxes.setdefault(str(r[0]), []).append((tuple(float(v) for v in r[2:6]), float(r[6])))  # type: ignore
    readable = [r for r in listed if r[6] == "ok"]
    chosen = sorted(readable, key=lambda r: (-best.get(str(r[0]), -1.0), str(r[0])))[:cells]
    items = []
    for r in chosen:
        photo = str(r[0])
        pixels = read_photo(images_dir / photo, int(r[3] or 1), bool(int(r[4] or 0)))
        found = boxes.get(photo, [])
        items.append((pixels, ImageTruth(int(r[1]), int(r[2])),
                      ImageDetections(tuple(b for b, _ in found), tuple(s for _, s in found)),
                      f"{photo}: {len(found)} tag(s)"))
    write_image(path, comparison_sheet(items, title=f"detections (red) in {len(readable)} photo(s), "
                                                    "the most confident first"))
