"""One lossless crop per detection, cut from the photo's pixels while they are held (or read again for
photos that came from the cache), and the codes read on them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from spatule.detection.batches import bgr_to_rgb
from spatule.detection.job import OK, PhotoResult
from spatule.detection.rows import CropMargins, DetectionRow, detection_rows
from spatule.labels.photos import read_photo
from spatule.tables import cell

if TYPE_CHECKING:
    from spatule.reading.codes import CodeReader


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
