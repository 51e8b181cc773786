"""Rules ``detect_job`` and ``detect``: a season's photos searched job by job, then gathered.

Each ``detect_job`` searches its share of the folder (:func:`spatule.detection.season.plan_jobs`) and
writes its tables and crops; photos searched before with the same model and settings
come from the cache (:mod:`spatule.detection.cache`). ``detect`` gathers the jobs' tables,
draws the sheet and writes one labelImg XML per photo with a detection, so the boxes
can be opened, corrected and added to the labels. :func:`detect_folder` does both on one
folder, for the ``spatule detect`` command.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from spatule.config import default
from spatule.detection.cache import search_key
from spatule.labels.photos import photo_time, read_photo
from spatule.problems import SpatuleError
from spatule.reading.codes import JOB_READING_COLUMNS, READING_COLUMNS, Acceptance, CodeReader
from spatule.reading.sightings import Resightings, write_resightings
from spatule.detection.rows import DETECTION_COLUMNS, PHOTO_COLUMNS, crop_stems, detection_rows
from spatule.detection.settings import DetectSettings
from spatule.detection.batches import bgr_to_rgb
from spatule.detection.sheet import write_detection_sheet
from spatule.detection.season import SeasonFile, file_kind, list_season
from spatule.detection.job import OK, PhotoResult, search_files
from spatule.tables import read_csv, write_csv
from spatule.detection.tiling import Detector
from spatule.labels.voc import VocAnnotation, voc_object, voc_text

_log = logging.getLogger("spatule")


def photo_row(result: PhotoResult, taken: str | None = None) -> list[object]:
    """The ``photos.csv`` row of a result (``taken``: when, from EXIF; "" if unknown)."""
    return [result.photo, result.width or "", result.height or "", result.orientation or "",
            int(result.orientation_applied) if result.status == OK else "", len(result.detections), result.status,
            result.reason, taken or ""]


def read_rows(rows: Sequence[Sequence[object]], crops_dir: Path, reader: CodeReader) -> list[list[object]]:
    """The detection rows with the reading of each one's crop (:data:`JOB_READING_COLUMNS`) appended."""
    import cv2

    crops, boxes = [], []
    for row in rows:
        path = crops_dir / str(row[9])
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is None:
            raise OSError(f"{path}: the crop just written cannot be read back")
        cx0, cy0 = float(row[10]), float(row[11])
        boxes.append((int(round(float(row[2]) - cx0)), int(round(float(row[3]) - cy0)),
                      int(round(float(row[4]) - cx0)), int(round(float(row[5]) - cy0))))
        crops.append(crop)
    return [list(row) + read.row() for row, read in zip(rows, reader.read(crops, boxes))]


def cut_crops(result: PhotoResult, pixels: Any, crops_dir: Path, stem: str, margin_px: int,
              margin_fraction: float, rgb: bool = False) -> list[list[object]]:
    """One lossless crop per detection of a photo (its BGR pixels, or RGB with ``rgb``); its detection rows."""
    import cv2

    rows = detection_rows(result.photo, result.detections, int(result.width), int(result.height), margin_px,
                          margin_fraction, stem)
    for row in rows:
        x0, y0, x1, y1 = row[-4:]
        crop = bgr_to_rgb(pixels[y0:y1, x0:x1]) if rgb else pixels[y0:y1, x0:x1]  # the same flip: RGB to BGR
        if not cv2.imwrite(str(crops_dir / str(row[9])), crop):
            raise OSError(f"could not write {crops_dir / str(row[9])}")
    return rows


def write_crops(images_dir: Path, results: Sequence[PhotoResult], crops_dir: Path, stems: Mapping[str, str],
                margin_px: int, margin_fraction: float,
                done: Mapping[str, list[list[object]]] | None = None) -> list[list[object]]:
    """The detection rows of every photo, in order, and a crop per detection (named from ``stems``,
    :func:`spatule.detection.rows.crop_stems`): photos in ``done`` were cut while searched (their rows); the
    others (from the cache) are read again, only those with a tag."""
    rows: list[list[object]] = []
    for result in results:
        if result.status != OK or not result.detections:
            continue
        if done is not None and result.photo in done:
            rows.extend(done[result.photo])
            continue
        bgr = read_photo(images_dir / result.photo, int(result.orientation or 1), result.orientation_applied)
        rows.extend(cut_crops(result, bgr, crops_dir, stems[result.photo], margin_px, margin_fraction))
    return rows


def detect_job(images_dir: Path, files: Sequence[str], detector: Callable[[], Detector], settings: DetectSettings,
               detections_csv: Path, photos_csv: Path, crops_dir: Path, cache_root: Path | None = None,
               model_id: str = "", margin_px: int = default("tags", "margin_px"),
               margin_fraction: float = default("tags", "margin_fraction"), apply_orientation: bool = False,
               decoders: int = 1, reader: Callable[[], CodeReader] | None = None,
               log: logging.Logger = _log) -> dict[str, int]:
    """Search ``files`` (paths under ``images_dir``): the job's detections and photos tables and crops.

    ``detector`` loads the model; it is called only when a photo is not in ``cache_root`` under
    ``model_id`` (:func:`spatule.detection.cache.model_digest` of the exported model) and these settings.
    ``reader`` loads the code reader, which reads every crop (:func:`read_rows`); photos get their EXIF time.
    """
    season = [SeasonFile(path, file_kind(images_dir / path)) for path in files]
    key = search_key(model_id, settings, apply_orientation)
    crops_dir.mkdir(parents=True, exist_ok=True)
    stems, done = crop_stems(files), {}

    def cut(result: PhotoResult, rgb: Any) -> None:  # crops cut while the photo's pixels are held
        if result.detections:
            done[result.photo] = cut_crops(result, rgb, crops_dir, stems[result.photo], margin_px, margin_fraction,
                                           rgb=True)

    started = time.perf_counter()
    code_reader = reader() if reader is not None else None  # before the search: a bad registry fails at once
    loaded = time.perf_counter() - started
    results, counts = search_files(images_dir, season, detector, settings, cache_root, key, apply_orientation,
                                   decoders, log, seen=cut)
    rows = write_crops(images_dir, results, crops_dir, stems, margin_px, margin_fraction, done)
    columns = DETECTION_COLUMNS
    if code_reader is not None:
        started = time.perf_counter()
        rows, columns = read_rows(rows, crops_dir, code_reader), DETECTION_COLUMNS + JOB_READING_COLUMNS
        log.info("reading: reader loaded in %.1f s, %d tag(s) read in %.1f s (reading took %.1f s)", loaded,
                 len(rows), time.perf_counter() - started, loaded + time.perf_counter() - started)
    write_csv(detections_csv, columns, rows)
    times = {r.photo: photo_time(images_dir / r.photo) for r in results if r.status == OK}
    untimed = sum(1 for t in times.values() if t is None)
    if untimed:
        log.warning("%d photo(s) carry no EXIF DateTimeOriginal: their time is left empty (never the file's time)",
                    untimed)
    write_csv(photos_csv, PHOTO_COLUMNS, [photo_row(r, times.get(r.photo)) for r in results])
    summary = {"files": len(files), "detections": len(rows), **counts,
               "not_searched": sum(1 for r in results if r.status != OK)}
    log.info("%d file(s): %d searched, %d from the cache, %d not searchable (see photos.csv); %d tag(s) -> %s",
             summary["files"], summary["searched"], summary["cached"], summary["not_searched"], len(rows),
             detections_csv)
    return summary


def voc_for_photo(photo: str, images_dir: Path, rows: Sequence[Sequence[Any]], name: str) -> str:
    """labelImg's XML for one photo's detections: whole-pixel boxes inside the photo."""
    width, height = int(rows[0][7]), int(rows[0][8])
    objects = []
    for k, row in enumerate(rows, start=1):
        x0, y0 = max(0, round(float(row[2]))), max(0, round(float(row[3])))
        x1, y1 = min(width, max(x0 + 1, round(float(row[4])))), min(height, max(y0 + 1, round(float(row[5]))))
        objects.append(voc_object(k, name, (x0, y0, x1, y1)))
    path = (images_dir / photo).resolve()
    annotation = VocAnnotation(filename=path.name, folder=path.parent.name, path=str(path), width=width,
                               height=height, objects=tuple(objects))
    return voc_text(annotation)


def write_voc(voc_dir: Path, images_dir: Path, rows: Sequence[Sequence[Any]], name: str) -> int:
    """``voc_dir/<photo path with .xml>`` for every photo with a detection; returns how many."""
    by_photo: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        by_photo.setdefault(str(row[0]), []).append(row)
    voc_dir.mkdir(parents=True, exist_ok=True)
    for photo, these in by_photo.items():
        target = voc_dir / Path(photo).with_suffix(".xml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(voc_for_photo(photo, images_dir, these, name), encoding="utf-8")
    return len(by_photo)


def _rows(path: Path, columns: Sequence[str]) -> list[list[str]]:
    return [[r[c] for c in columns] for r in read_csv(path)]


def detect(images_dir: Path, jobs: Sequence[tuple[str, Path, Path]], detections_csv: Path, photos_csv: Path,
           voc_dir: Path, sheet: Path | None = None, class_name: str = "tag", searches_labels: bool = False,
           resightings: Resightings | None = None, reread: CodeReader | None = None,
           log: logging.Logger = _log) -> dict:
    """Gather the jobs' tables (``(job, detections.csv, photos.csv)``; crops stay in ``crops/<job>/``),
    write one labelImg XML per photo with a detection and the contact sheet; with ``resightings`` (the
    jobs read the codes), the sightings and birds tables, the timeline and the sheet of read tags.
    ``reread``: a reader that reads every crop again (the self-trained one) instead of the jobs' readings.
    ``searches_labels``: the photos are the labelled ones (``detect.images`` unset), which the log says."""
    if searches_labels:
        log.warning("detect.images is not set: these are the labelled photos the model was trained on, so what it "
                    "finds here says little about new photos; set detect.images to a folder of new photos")
    columns = DETECTION_COLUMNS + (READING_COLUMNS if resightings is not None else [])
    needed = DETECTION_COLUMNS + (JOB_READING_COLUMNS if resightings is not None else [])
    rows, listed = [], []
    crop = DETECTION_COLUMNS.index("crop")
    for job, detections, photos in jobs:
        table = read_csv(detections)
        if table and not set(needed) <= set(table[0]):
            raise SpatuleError(f"{detections}: no {[c for c in needed if c not in table[0]]} column(s); "
                               "the job ran without the code reader (rerun it)")
        if reread is not None and table:
            again = read_rows([[found[c] for c in DETECTION_COLUMNS] for found in table],
                              detections_csv.parent / "crops" / job, reread)
            for found, row in zip(table, again):
                found.update(zip(JOB_READING_COLUMNS, (str(v) for v in row[len(DETECTION_COLUMNS):])))
        for found in table:
            if resightings is not None:  # the threshold applies here: changing it reads nothing again
                found["registry_match"] = resightings.acceptance.of(found["likeliest"], float(found["match_score"]),
                                                                    float(found["runner_up_score"]))
            row = [found[c] for c in columns]
            row[crop] = f"{job}/{row[crop]}"
            rows.append(row)
        listed.extend(_rows(photos, PHOTO_COLUMNS))
    rows.sort(key=lambda r: (r[0], int(r[1])))
    listed.sort(key=lambda r: r[0])
    write_csv(detections_csv, columns, rows)
    write_csv(photos_csv, PHOTO_COLUMNS, listed)
    xml = write_voc(voc_dir, images_dir, rows, class_name)
    if sheet is not None:
        write_detection_sheet(sheet, images_dir, rows, listed)
    status = {s: sum(1 for r in listed if r[6] == s) for s in sorted({r[6] for r in listed})}
    summary = {"files": len(listed), "detections": len(rows), "photos_with_tags": xml, "status": status}
    log.info("%d file(s) %s, %d tag(s) in %d photo(s) -> %s; labelImg files in %s", len(listed), status, len(rows),
             xml, detections_csv, voc_dir)
    if resightings is not None:
        summary.update(write_resightings(resightings, [dict(zip(columns, r)) for r in rows],
                                         [dict(zip(PHOTO_COLUMNS, r)) for r in listed], detections_csv.parent / "crops",
                                         log))
    return summary


def detect_folder(images_dir: Path, detector: Callable[[], Detector], settings: DetectSettings, out_dir: Path,
                  model_id: str = "", cache_root: Path | None = None, decoders: int = 1, class_name: str = "tag",
                  reader: CodeReader | None = None, acceptance: Acceptance | None = None,
                  log: logging.Logger = _log) -> dict:
    """Every file of ``images_dir`` as one job, gathered into ``out_dir`` as the workflow lays it out
    (``detections.csv``, ``photos.csv``, ``crops/all/``, ``voc/``, ``sheet.jpg``; with a ``reader``, the
    codes read and ``sightings.csv``, ``birds.csv``, ``timeline.png``, ``read_tags.jpg``, a code accepted by
    ``acceptance``)."""
    files = [f.path for f in list_season(images_dir)]
    job = out_dir / "jobs" / "all"
    detect_job(images_dir, files, detector, settings, job / "detections.csv", job / "photos.csv",
               out_dir / "crops" / "all", cache_root, model_id, decoders=decoders,
               reader=None if reader is None else (lambda: reader), log=log)
    resightings = None if reader is None else Resightings(out_dir / "sightings.csv", out_dir / "birds.csv",
                                                          out_dir / "timeline.png", out_dir / "read_tags.jpg",
                                                          acceptance or fallback_acceptance())
    return detect(images_dir, [("all", job / "detections.csv", job / "photos.csv")], out_dir / "detections.csv",
                  out_dir / "photos.csv", out_dir / "voc", out_dir / "sheet.jpg", class_name=class_name,
                  resightings=resightings, log=log)


def fallback_acceptance() -> Acceptance:
    """The acceptance without a ``threshold.json``: :data:`spatule.reading.evaluation.FALLBACK_THRESHOLD` and
    ``read.margin``'s default."""
    from spatule.reading.evaluation import FALLBACK_THRESHOLD

    return Acceptance(FALLBACK_THRESHOLD, float(default("read", "margin")), "fallback (no threshold.json)")


def model_card(detect: Mapping[str, Any], tile_size: int, objects_csv: Path, info_bar_px: int, class_name: str,
               val_metrics: Path, out_json: Path, log: logging.Logger = _log) -> dict[str, Any]:
    """The card beside the exported model (:mod:`spatule.detection.card`): how the workflow searches photos
    with it, so that ``spatule detect`` on another machine searches the same way, at the score threshold
    of the val photos' evaluation (``val_metrics``, rule ``evaluate_val``) with its precision and recall there."""
    import json

    from spatule.intervals import rate, shown
    from spatule.detection.card import card_of, write_card
    from spatule.detection.settings import search_settings

    val = json.loads(val_metrics.read_text(encoding="utf-8"))
    at = val["at_threshold"]
    threshold = {**val["threshold"], "val": {"photos": val["images"], "tags": val["tags"],
                                             "precision": rate(at["tp"], at["tp"] + at["fp"]),
                                             "recall": rate(at["tp"], at["tp"] + at["fn"])}}
    settings = search_settings(detect, tile_size, objects_csv, info_bar_px, log).with_threshold(
        float(val["score_threshold"]))
    write_card(out_json, settings, class_name, threshold)
    log.info("model card -> %s: score threshold %.4f (%s); on the val photos precision %s, recall %s", out_json,
             settings.score_threshold, threshold["source"], shown(threshold["val"]["precision"]),
             shown(threshold["val"]["recall"]))
    return card_of(settings, class_name, threshold)


def detect_plan(images_dir: Path, photos_per_job: int, plan_csv: Path, log: logging.Logger = _log) -> dict[str, int]:
    """The detection jobs of ``images_dir`` (:func:`spatule.detection.season.plan_jobs`): ``job,files`` per job."""
    from spatule.detection.season import plan_jobs

    jobs = plan_jobs([f.path for f in list_season(images_dir)], photos_per_job)
    write_csv(plan_csv, ["job", "files"], [[job, len(files)] for job, files in jobs.items()])
    log.info("%d file(s) of %s in %d detection job(s)", sum(len(f) for f in jobs.values()), images_dir, len(jobs))
    return {job: len(files) for job, files in jobs.items()}
