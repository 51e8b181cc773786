"""Rule ``detect``: every photo of a folder searched at full size; the boxes table, one crop per tag, a sheet."""

from __future__ import annotations

import logging
from pathlib import Path

from spatule.config import default
from spatule.images import IMAGE_EXTENSIONS, probe_photo, read_photo
from spatule.problems import SpatuleError
from spatule.search import (
    DETECTION_COLUMNS,
    PHOTO_COLUMNS,
    DetectSettings,
    bgr_to_rgb,
    crop_stems,
    detect_full_photo,
    detection_rows,
    list_photos,
    write_detection_sheet,
)
from spatule.tables import write_csv
from spatule.tiling import Detector

_log = logging.getLogger("spatule")


def detect(images_dir: Path, detector: Detector, settings: DetectSettings, detections_csv: Path,
           photos_csv: Path, crops_dir: Path, sheet: Path | None = None,
           margin_px: int = default("tags", "margin_px"), margin_fraction: float = default("tags", "margin_fraction"),
           apply_orientation: bool = False,
           log: logging.Logger = _log) -> dict:
    """Detect tags in every photo of ``images_dir``; write the tables, one lossless crop per tag
    and (``sheet``) a contact sheet of the photos with the most confident detections.

    ``apply_orientation``: rotate EXIF-rotated photos first (``labels.exif_orientation: apply``);
    otherwise boxes are in the stored pixels, as labelImg shows them. An unreadable photo is
    logged and listed with its status, not fatal.
    """
    import cv2

    photos = list_photos(images_dir)
    crops_dir.mkdir(parents=True, exist_ok=True)
    rows: list[list[object]] = []
    listed: list[list[object]] = []
    stems = crop_stems(photos)
    for photo in photos:
        try:
            info = probe_photo(images_dir / photo, verify=False)
            apply = apply_orientation and info.orientation != 1
            bgr = read_photo(images_dir / photo, info.orientation, apply)
        except SpatuleError as exc:
            log.warning("%s", exc)
            listed.append([photo, "", "", "", "", 0, "unreadable"])
            continue
        height, width = bgr.shape[:2]
        found = detect_full_photo(bgr_to_rgb(bgr), detector, settings)
        these = detection_rows(photo, found, width, height, margin_px, margin_fraction, stems[photo])
        for row in these:
            x0, y0, x1, y1 = row[-4:]
            if not cv2.imwrite(str(crops_dir / str(row[9])), bgr[y0:y1, x0:x1]):
                raise OSError(f"could not write {crops_dir / str(row[9])}")
        rows.extend(these)
        listed.append([photo, width, height, info.orientation, int(apply), len(found), "ok"])
        log.info("%s: %d tag(s)", photo, len(found))
    write_csv(detections_csv, DETECTION_COLUMNS, rows)
    write_csv(photos_csv, PHOTO_COLUMNS, listed)
    if not photos:
        log.warning("no photo (%s) under %s", ", ".join(IMAGE_EXTENSIONS), images_dir)
    if sheet is not None:
        write_detection_sheet(sheet, images_dir, rows, listed)
    summary = {"photos": len(photos), "detections": len(rows),
               "photos_with_tags": sum(1 for r in listed if r[5]),
               "unreadable": sum(1 for r in listed if r[6] != "ok")}
    log.info("%d photo(s), %d tag(s) found in %d of them, %d unreadable -> %s", summary["photos"],
             summary["detections"], summary["photos_with_tags"], summary["unreadable"], detections_csv)
    return summary
