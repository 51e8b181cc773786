"""Tag crops: cut each tag from its photo with a margin of context.

OpenCV's seamlessClone forces a zero frame on the mask, so the crop keeps
``margin`` pixels around the tag and records the exact tag box inside the crop;
synthesis pastes that box, and labels follow the real placement.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from spatule.geometry import Rect
from spatule.problems import SpatuleError
from spatule.tables import read_csv, write_records

if TYPE_CHECKING:
    from spatule.labels.objects import LabelledObject

@dataclass(frozen=True)
class TagCrop:
    """One row of ``tags.csv``: where the crop came from and where the tag lies in it."""

    tag_id: str
    file: str
    image: str
    object: int
    identity: str
    identity_source: str
    crop_x0: int
    crop_y0: int
    crop_x1: int
    crop_y1: int
    box_x0: int
    box_y0: int
    box_x1: int
    box_y1: int
    difficult: bool

    @property
    def crop(self) -> Rect:
        """The crop in photo coordinates."""
        return self.crop_x0, self.crop_y0, self.crop_x1, self.crop_y1

    @property
    def box(self) -> Rect:
        """The tag box in crop coordinates."""
        return self.box_x0, self.box_y0, self.box_x1, self.box_y1


TAG_COLUMNS = [f.name for f in fields(TagCrop)]


def margin_for(box: Rect, margin_px: int, margin_fraction: float) -> int:
    """Context margin for a tag: at least ``margin_px``, or a fraction of its longer side."""
    longest = max(box[2] - box[0], box[3] - box[1])
    return max(int(margin_px), int(math.ceil(margin_fraction * longest)))


def crop_geometry(box: Rect, width: int, height: int, margin: int) -> tuple[Rect, Rect]:
    """The crop around ``box`` (clamped to the photo) and the box in crop coordinates.

    Near the border the margin on that side is what the photo has; the tag box
    itself is never cut.
    """
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise ValueError(f"box {box} is not inside a {width}x{height} photo")
    crop = (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin))
    inner = (x0 - crop[0], y0 - crop[1], x1 - crop[0], y1 - crop[1])
    return crop, inner


def tag_id(image: str, object_index: int) -> str:
    """A readable, file-safe id from the photo path and the object index.

    ``7mai2018 (6).JPG``, object 2 -> ``7mai2018_6-t2``; a short hash of the path
    keeps ids distinct when two paths slug alike.
    """
    stem = image.rsplit(".", 1)[0] if "." in image.rsplit("/", 1)[-1] else image
    slug = re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_") or "photo"
    return f"{slug}-t{object_index}"


def unique_tag_ids(keys: Sequence[tuple[str, int]]) -> list[str]:
    """Ids for ``(image, object)`` pairs; colliding slugs get a hash of the path."""
    ids = [tag_id(image, obj) for image, obj in keys]
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    return [
        i if counts[i] == 1 else f"{i}-{hashlib.sha1(image.encode()).hexdigest()[:6]}"
        for i, (image, _) in zip(ids, keys)
    ]


def write_tags(path: Path, crops: Iterable[TagCrop]) -> None:
    """Write ``tags.csv``."""
    write_records(path, TAG_COLUMNS, crops)


def read_tags(path: Path) -> list[TagCrop]:
    """Read ``tags.csv`` back."""
    ints = {f.name for f in fields(TagCrop) if f.type in ("int", int)}
    return [TagCrop(**{k: (int(v) if k in ints else v == "1" if k == "difficult" else v) for k, v in row.items()})
            for row in read_csv(path)]


def cut_tags(root: Path, tags: Sequence["LabelledObject"], crops_dir: Path, margin_px: int,
             margin_fraction: float, threads: int = 1) -> list[TagCrop]:
    """Cut every tag row into ``crops_dir/<tag_id>.png``, decoding each photo once.

    Rows must carry their identity (see :mod:`spatule.labels.identities`). Returns the
    ``tags.csv`` rows in input order.
    """
    from concurrent.futures import ThreadPoolExecutor

    import cv2

    from spatule.labels.photos import read_photo

    crops_dir.mkdir(parents=True, exist_ok=True)
    ids = unique_tag_ids([(t.image, t.object or 0) for t in tags])
    by_photo: dict[str, list[int]] = {}
    for i, tag in enumerate(tags):
        by_photo.setdefault(tag.image, []).append(i)

    def cut_photo(image: str) -> list[TagCrop]:
        first = tags[by_photo[image][0]]
        pixels = read_photo(root / image, first.orientation, first.orientation_applied)
        height, width = pixels.shape[:2]
        if (width, height) != (first.width, first.height):
            raise SpatuleError(f"{root / image}: decodes to {width}x{height} but was indexed as {first.width}x"
                               f"{first.height}; was the photo changed after index_labels? Run the workflow again")
        made = []
        for i in by_photo[image]:
            tag = tags[i]
            crop, inner = crop_geometry(tag.box, width, height, margin_for(tag.box, margin_px, margin_fraction))
            name = f"{ids[i]}.png"
            if not cv2.imwrite(str(crops_dir / name), pixels[crop[1]:crop[3], crop[0]:crop[2]]):
                raise OSError(f"could not write {crops_dir / name}")
            made.append(TagCrop(ids[i], name, tag.image, tag.object or 0, tag.identity, tag.identity_source,
                                *crop, *inner, tag.difficult))
        return made

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        per_photo = dict(zip(by_photo, pool.map(cut_photo, list(by_photo))))
    order = {ids[i]: i for i in range(len(tags))}
    return sorted((c for made in per_photo.values() for c in made), key=lambda c: order[c.tag_id])
