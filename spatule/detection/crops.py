"""One lossless crop per detection: its window (the box and the ``tags`` margins around it, as
``extract_tags`` cuts the labelled tags), cut from the photo's pixels while they are held (or read again for
photos that came from the cache), and the codes read on them."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from spatule.detection.batches import bgr_to_rgb
from spatule.detection.job import OK, PhotoResult
from spatule.detection.rows import CropMargins, DetectionRow
from spatule.detection.tiling import Detection
from spatule.geometry import Rect
from spatule.labels.photos import read_photo
from spatule.tables import cell

if TYPE_CHECKING:
    from spatule.reading.codes import CodeReader


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


def detection_rows(photo: str, found: Sequence[Detection], width: int, height: int, margins: CropMargins,
                   stem: str = "photo") -> list[DetectionRow]:
    """Rows of ``detections.csv`` for one photo, best score first; crops named ``<stem>-d<n>.png``."""
    rows = []
    for n, d in enumerate(sorted(found, key=lambda d: (-d.score, d.box)), start=1):
        crop = crop_window(d.box, width, height, margins.margin_px, margins.margin_fraction)
        box = [min(max(round(v, 1), 0.0), float(limit)) for v, limit in zip(d.box, (width, height, width, height))]
        rows.append(DetectionRow(photo, n, *box, round(d.score, 4), width, height, f"{stem}-d{n}.png", *crop))
    return rows


def cut_crops(result: PhotoResult, pixels: Any, crops_dir: Path, stem: str, margins: CropMargins,
              rgb: bool = False) -> list[DetectionRow]:
    """One lossless crop per detection of a photo (its BGR pixels, or RGB with ``rgb``); its detection rows."""
    import cv2

    rows = detection_rows(result.photo, result.detections, int(result.width), int(result.height), margins, stem)
    for row in rows:
        window = pixels[row.crop_y0:row.crop_y1, row.crop_x0:row.crop_x1]
        crop = bgr_to_rgb(window) if rgb else window  # the same flip: RGB to BGR
        if not cv2.imwrite(str(crops_dir / row.crop), crop):
            raise OSError(f"could not write {crops_dir / row.crop}")
    return rows


def write_crops(images_dir: Path, results: Sequence[PhotoResult], crops_dir: Path, stems: Mapping[str, str],
                margins: CropMargins, done: Mapping[str, list[DetectionRow]] | None = None) -> list[DetectionRow]:
    """The detection rows of every photo, in order, and a crop per detection (named from ``stems``,
    :func:`spatule.detection.rows.crop_stems`): photos in ``done`` were cut while searched (their rows); the
    others (from the cache) are read again, only those with a tag."""
    rows: list[DetectionRow] = []
    for result in results:
        if result.status != OK or not result.detections:
            continue
        if done is not None and result.photo in done:
            rows.extend(done[result.photo])
            continue
        bgr = read_photo(images_dir / result.photo, int(result.orientation or 1), result.orientation_applied)
        rows.extend(cut_crops(result, bgr, crops_dir, stems[result.photo], margins))
    return rows


def read_codes(rows: Sequence[DetectionRow], crops_dir: Path, reader: "CodeReader") -> list[DetectionRow]:
    """The detection rows with the reading of each one's crop (``JOB_READING_COLUMNS``) in ``reading``."""
    import cv2

    from spatule.reading.codes import JOB_READING_COLUMNS

    crops = []
    for row in rows:
        path = crops_dir / Path(row.crop).name
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is None:
            raise OSError(f"{path}: the crop just written cannot be read back")
        crops.append(crop)
    readings = reader.read(crops, [row.box_in_crop() for row in rows])
    return [replace(row, reading=dict(zip(JOB_READING_COLUMNS, (str(cell(v)) for v in read.row()))))
            for row, read in zip(rows, readings)]
