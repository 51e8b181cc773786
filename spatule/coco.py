"""The coco rule's logic: tile records and the COCO gather; what each synthetic tile holds, and where it came from.

Each shard writes ``tiles.csv`` (one row per pasted tag; a tag-free tile has one
row with empty tag fields). The gather joins the shards of a split into
``results/tiles/{split}.json`` (COCO, loads in pycocotools; image ids are
1..N in tile order) and ``results/tiles/{split}.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from spatule.synth import TileSpec

RECORD_COLUMNS = ["tile", "file", "split", "background", "window_x", "window_y", "paste", "tag_id", "identity",
                  "source_image", "xmin", "ymin", "xmax", "ymax", "difficult", "truncated", "blend", "scale",
                  "rotation_deg", "flip", "brightness", "contrast", "blur_sigma"]


def _fmt(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"


def record_rows(specs: Sequence[TileSpec], folder: str) -> list[list[object]]:
    """Rows of ``tiles.csv`` for rendered tiles; ``file`` is relative to ``results/tiles``."""
    rows: list[list[object]] = []
    for spec in specs:
        base = [spec.tile_id, f"{folder}/{spec.tile_id}.jpg", spec.split, spec.image, spec.window_x, spec.window_y]
        if not spec.pastes:
            rows.append(base + [0] + [""] * (len(RECORD_COLUMNS) - len(base) - 1))
        for n, p in enumerate(spec.pastes, start=1):
            rows.append(base + [n, p.tag_id, p.identity, p.source_image, *p.label, int(p.difficult), int(p.truncated),
                                p.blend,
                                _fmt(p.scale), _fmt(p.rotation_deg), int(p.flip), _fmt(p.brightness),
                                _fmt(p.contrast), _fmt(p.blur_sigma)])
    return rows


def coco_dataset(records: Sequence[dict[str, str]], tile_size: int, class_name: str) -> dict:
    """A COCO detection dataset from tile records, tiles ordered by tile id.

    Boxes are ``[x, y, w, h]`` in pixels (VOC ``xmax`` exclusive, so ``w = xmax - xmin``);
    each annotation also carries the ``identity``, ``tag_id`` and ``source_image`` it came from.
    """
    tiles: dict[str, dict[str, str]] = {}
    for row in records:
        tiles.setdefault(row["tile"], row)
    order = sorted(tiles)
    ids = {tile: i for i, tile in enumerate(order, start=1)}
    images = [{"id": ids[t], "file_name": tiles[t]["file"], "width": tile_size, "height": tile_size,
               "background": tiles[t]["background"]} for t in order]
    annotations = []
    for row in sorted((r for r in records if r["tag_id"]), key=lambda r: (r["tile"], int(r["paste"]))):
        x0, y0, x1, y1 = (int(row[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        annotations.append({
            "id": len(annotations) + 1, "image_id": ids[row["tile"]], "category_id": 1,
            "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0),
            # a difficult tag is a crowd box: pycocotools sets ``ignore`` from ``iscrowd`` alone
            "iscrowd": int(row["difficult"]), "ignore": int(row["difficult"]), "identity": row["identity"],
            "tag_id": row["tag_id"],
            "source_image": row["source_image"],
        })
    return {"info": {"description": "spatule synthetic tiles"}, "images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": class_name, "supercategory": class_name}]}


def write_json(path: Path, data: dict) -> None:
    """Deterministic JSON (sorted keys, fixed indent, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
