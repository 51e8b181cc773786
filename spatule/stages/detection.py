"""Rules ``detect_job`` and ``detect``: a season's photos searched job by job, then gathered.

Each ``detect_job`` searches its share of the folder (planned once, :func:`spatule.detection.season.plan_jobs`)
with the model card's settings and writes its tables and crops; photos searched before with the same model
and settings come from the cache (:mod:`spatule.detection.cache`). ``detect`` gathers the jobs' tables, draws
the sheet and writes one labelImg XML per photo with a detection (:mod:`spatule.detection.prelabels`), so the
boxes can be opened, corrected and added to the labels. :func:`detect_folder` does both on one folder, for the
``spatule detect`` command.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from spatule.config import default
from spatule.detection.card import ModelCard, card_at
from spatule.detection.crops import cut_crops, read_codes, write_crops
from spatule.detection.engines import ModelFiles, Searcher, searcher
from spatule.detection.gathering import VISIT_READING_COLUMNS, StaticSettings, mark_static, mark_visits
from spatule.detection.job import OK, PhotoResult, search_files
from spatule.detection.megadetector import write_megadetector_results
from spatule.detection.prelabels import VOC_COLUMNS, write_voc
from spatule.detection.rows import DETECTION_COLUMNS, PHOTO_COLUMNS, CropMargins, DetectionRow, crop_stems
from spatule.detection.season import SeasonFile, camera_name, file_kind, list_season
from spatule.detection.sheet import write_detection_sheet
from spatule.detection.static import STATIC_COLUMNS
from spatule.detection.cache import search_key
from spatule.labels.objects import IndexSettings
from spatule.labels.photos import photo_exif
from spatule.problems import SpatuleError
from spatule.reading.codes import JOB_READING_COLUMNS, READING_COLUMNS, Acceptance, read_acceptance
from spatule.reading.sightings import Resightings, write_resightings
from spatule.stages.reading import ReaderFiles
from spatule.tables import read_csv, write_csv

if TYPE_CHECKING:
    from spatule.reading.codes import CodeReader

_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class JobFiles:
    """A detection job: its ``files`` (paths under ``images_dir``), the tables and crops it writes, and the
    cache of photos searched before (none: every photo is searched)."""

    images_dir: Path
    files: Sequence[str]
    detections_csv: Path
    photos_csv: Path
    crops_dir: Path
    cache_root: Path | None = None


@dataclass(frozen=True)
class DetectOutputs:
    """What ``detect`` writes besides the reading's tables: the gathered tables, the labelImg folder, the sheet,
    the MegaDetector-format file."""

    detections_csv: Path
    photos_csv: Path
    voc_dir: Path
    sheet: Path | None = None
    megadetector: Path | None = None
    """``detections.json``: the same in the MegaDetector batch output format (Timelapse, AddaxAI)."""
    voc_table: Path | None = None
    """``voc.csv``: what became of each labelImg file (written, kept because you changed it, removed)."""
    static_csv: Path | None = None
    """``static.csv``: the places where boxes come back in many frames of a camera (a logo)."""


def photo_cells(result: PhotoResult, taken: str | None = None, camera: str = "") -> list[object]:
    """The ``photos.csv`` row of a result (``taken``: when, from EXIF; "" if unknown; ``camera``: which)."""
    return [result.photo, result.width or "", result.height or "", result.orientation or "",
            int(result.orientation_applied) if result.status == OK else "", len(result.detections), result.status,
            result.reason, taken or "", camera]


def _write_photos(job: JobFiles, results: Sequence[PhotoResult], log: logging.Logger) -> None:
    exif = {r.photo: photo_exif(job.images_dir / r.photo) for r in results if r.status == OK}  # one read each
    times = {photo: when for photo, (when, _) in exif.items()}
    untimed = sum(1 for t in times.values() if t is None)
    if untimed:
        log.warning("%d photo(s) carry no EXIF DateTimeOriginal: their time is left empty (never the file's time)",
                    untimed)
    cameras = {r.photo: camera_name(r.photo, job.images_dir, exif.get(r.photo, (None, None))[1]) for r in results}
    write_csv(job.photos_csv, PHOTO_COLUMNS, [photo_cells(r, times.get(r.photo), cameras[r.photo]) for r in results])


def detect_job(job: JobFiles, model: ModelFiles | Searcher, card: ModelCard | Path,
               margins: CropMargins = CropMargins(), exif_orientation: str = default("labels", "exif_orientation"),
               reader: ReaderFiles | Callable[[], "CodeReader"] | None = None,
               log: logging.Logger = _log) -> dict[str, int]:
    """Search the job's files with the ``card``'s settings (rule ``model_card``'s): its detections and photos
    tables and a crop per tag (``margins`` around it), each photo in the frame ``labels.exif_orientation`` says;
    ``reader`` reads the code of every crop.

    The model is loaded only when a photo is not in the cache under the model's digest and these settings;
    the reader before the search, so that a bad registry fails at once. Photos get their EXIF time.
    """
    search, settings = searcher(model, log), (card if isinstance(card, ModelCard) else card_at(card)).settings()
    apply = exif_orientation == "apply"  # labels.exif_orientation: photos turned as the labels were
    season = [SeasonFile(path, file_kind(job.images_dir / path)) for path in job.files]
    job.crops_dir.mkdir(parents=True, exist_ok=True)
    stems, done = crop_stems(job.files), {}

    def cut(result: PhotoResult, rgb: Any) -> None:  # crops cut while the photo's pixels are held
        if result.detections:
            done[result.photo] = cut_crops(result, rgb, job.crops_dir, stems[result.photo], margins, rgb=True)

    started = time.perf_counter()
    code_reader = None if reader is None else reader.load(log=log) if isinstance(reader, ReaderFiles) else reader()
    loaded = time.perf_counter() - started
    results, counts = search_files(job.images_dir, season, search.load, settings, job.cache_root,
                                   search_key(search.model_id, settings, apply), apply,
                                   search.decoders, log, seen=cut)
    rows = write_crops(job.images_dir, results, job.crops_dir, stems, margins, done)
    columns = DETECTION_COLUMNS
    if code_reader is not None:
        started = time.perf_counter()
        rows, columns = read_codes(rows, job.crops_dir, code_reader), DETECTION_COLUMNS + JOB_READING_COLUMNS
        log.info("reading: reader loaded in %.1f s, %d tag(s) read in %.1f s (reading took %.1f s)", loaded,
                 len(rows), time.perf_counter() - started, loaded + time.perf_counter() - started)
    write_csv(job.detections_csv, columns, [r.cells(columns[len(DETECTION_COLUMNS):]) for r in rows])
    _write_photos(job, results, log)
    summary = {"files": len(job.files), "detections": len(rows), **counts,
               "not_searched": sum(1 for r in results if r.status != OK)}
    log.info("%d file(s): %d searched, %d from the cache, %d not searchable (see photos.csv); %d tag(s) -> %s",
             summary["files"], summary["searched"], summary["cached"], summary["not_searched"], len(rows),
             job.detections_csv)
    return summary


def gathered_rows(jobs: Sequence[tuple[str, Path, Path]], crops_root: Path, reading: bool,
                  reread: "CodeReader | None" = None) -> list[DetectionRow]:
    """The detection rows of every job (``(job, detections.csv, photos.csv)``), crops named under their job's
    folder; ``reread``: a reader that reads every crop again instead of the jobs' readings."""
    needed = DETECTION_COLUMNS + (JOB_READING_COLUMNS if reading else [])
    rows: list[DetectionRow] = []
    for job, detections, _ in jobs:
        table = read_csv(detections)
        if table and not set(needed) <= set(table[0]):
            raise SpatuleError(f"{detections}: no {[c for c in needed if c not in table[0]]} column(s); "
                               "the job ran without the code reader (rerun it)")
        found = [DetectionRow.of_csv(r, job) for r in table]
        if reread is not None and found:
            found = read_codes(found, crops_root / job, reread)
        rows.extend(found)
    return sorted(rows, key=lambda r: (r.photo, r.detection))


@dataclass(frozen=True)
class SeasonChecks:
    """What ``detect`` checks the season for: whether the photos are the labelled ones (``detect.images``
    unset: a warning) and when boxes are static (:class:`spatule.detection.gathering.StaticSettings`)."""

    searches_labels: bool = False
    static: StaticSettings = StaticSettings()


def detect(images_dir: Path, jobs: Sequence[tuple[str, Path, Path]], out: DetectOutputs,
           labels: IndexSettings = IndexSettings(), checks: SeasonChecks = SeasonChecks(),
           resightings: Resightings | None = None,
           reread: ReaderFiles | "CodeReader | None" = None, log: logging.Logger = _log) -> dict:
    """Gather the jobs' tables (``(job, detections.csv, photos.csv)``; crops stay in ``crops/<job>/``), mark
    the static boxes (``static.csv``), write one labelImg XML per photo with a detection that is not static
    (boxes named as ``labels`` reads them back, ``tag:CODE`` for a bird read; a file you changed is left as it
    is) and the contact sheet; with ``resightings`` (the jobs read the codes), the visits, sightings and birds
    tables, the timeline and the sheet of read tags, a reading taken as a bird by ``resightings.acceptance``
    (or the ``threshold.json`` it names). ``reread``: a reader that reads every crop again (the self-trained
    one)."""
    if checks.searches_labels:
        log.warning("detect.images is not set: these are the labelled photos the model was trained on, so what it "
                    "finds here says little about new photos; set detect.images to a folder of new photos")
    reread = reread.load(log=log) if isinstance(reread, ReaderFiles) else reread
    if resightings is not None and isinstance(resightings.acceptance, Path):  # rule read_threshold's file
        resightings = replace(resightings, acceptance=read_acceptance(resightings.acceptance))
    rows = gathered_rows(jobs, out.detections_csv.parent / "crops", resightings is not None, reread)
    listed = sorted((r for _, _, photos in jobs for r in read_csv(photos)), key=lambda r: r["photo"])
    rows, visits, columns = marked_rows(rows, listed, checks.static, resightings, out.static_csv, log)
    write_csv(out.detections_csv, DETECTION_COLUMNS + columns, [r.cells(columns) for r in rows])
    write_csv(out.photos_csv, PHOTO_COLUMNS, [[r.get(c, "") for c in PHOTO_COLUMNS] for r in listed])
    write_labelimg(out, images_dir, [r for r in rows if r.reading.get("static") != "1"], labels, log)
    if out.sheet is not None:
        write_detection_sheet(out.sheet, images_dir, rows, listed)
    if out.megadetector is not None:
        write_megadetector_results(out.megadetector, rows, listed, labels.class_name)
    status = {s: sum(1 for r in listed if r["status"] == s) for s in sorted({r["status"] for r in listed})}
    xml = len({r.photo for r in rows if r.reading.get("static") != "1"})
    summary = {"files": len(listed), "detections": len(rows), "photos_with_tags": xml, "status": status,
               "static": sum(r.reading.get("static") == "1" for r in rows)}
    log.info("%d file(s) %s, %d tag(s) in %d photo(s) -> %s; labelImg files in %s", len(listed), status, len(rows),
             xml, out.detections_csv, out.voc_dir)
    if resightings is not None:
        table = [dict(zip(DETECTION_COLUMNS + columns, (str(v) for v in r.cells(columns)))) for r in rows]
        summary.update(write_resightings(resightings, table, listed, out.detections_csv.parent / "crops", log,
                                         visits))
    return summary


def marked_rows(rows: list[DetectionRow], listed: Sequence[dict[str, str]], static: StaticSettings,
                resightings: Resightings | None, static_csv: Path | None, log: logging.Logger
                ) -> tuple[list[DetectionRow], list, list[str]]:
    """The gathered rows with what ``detect`` adds (the acceptance of each reading, ``static``; the visits when
    read), the named visits, and the columns after :data:`DETECTION_COLUMNS`; ``static.csv`` written."""
    if resightings is not None:  # the threshold applies here: changing it reads nothing again
        rows = [r.with_reading(registry_match=resightings.acceptance.of_row(r.reading)) for r in rows]
    rows, places = mark_static(rows, listed, static)
    if static_csv is not None:
        write_csv(static_csv, STATIC_COLUMNS, [p.row() for p in places])
    if places:
        log.warning("%d static place(s) (%d box(es) at the same pixels in %s of a camera's frames or more): kept out "
                    "of sightings, visits, labelImg files and detections.json; listed in %s", len(places),
                    sum(len(p.members) for p in places), f"{static.share:.0%}", static_csv)
    if resightings is None:
        return rows, [], ["static"]
    rows, visits = mark_visits(rows, listed, resightings.visit_gap_minutes, resightings.acceptance.of)
    return rows, visits, READING_COLUMNS + VISIT_READING_COLUMNS + ["static"]


def write_labelimg(out: DetectOutputs, images_dir: Path, rows: Sequence[DetectionRow], labels: IndexSettings,
                   log: logging.Logger) -> None:
    """One labelImg XML per photo with a box (:func:`spatule.detection.prelabels.write_voc`) and ``voc.csv``."""
    voc = write_voc(out.voc_dir, images_dir, rows, labels)
    if out.voc_table is not None:
        write_csv(out.voc_table, VOC_COLUMNS, voc)
    kept = [r[0] for r in voc if r[3] == "kept"]
    if kept:
        log.warning("%d labelImg file(s) in %s changed since spatule wrote them (or not written by it): left as "
                    "they are (%s)", len(kept), out.voc_dir, ", ".join(map(str, kept[:5])))


def detect_folder(images_dir: Path, model: ModelFiles | Searcher, card: ModelCard, out_dir: Path,
                  cache_root: Path | None = None, reader: "CodeReader | None" = None,
                  acceptance: Acceptance | None = None, log: logging.Logger = _log) -> dict:
    """Every file of ``images_dir`` as one job, searched with the ``card``'s settings and gathered into
    ``out_dir`` as the workflow lays it out (``detections.csv``, ``photos.csv``, ``crops/all/``, ``voc/``,
    ``sheet.jpg``, ``detections.json``, ``static.csv``; with a ``reader``, the codes read and ``visits.csv``,
    ``sightings.csv``, ``birds.csv``, ``timeline.png``, ``read_tags.jpg``, a code accepted by ``acceptance``)."""
    files = [f.path for f in list_season(images_dir)]
    job = out_dir / "jobs" / "all"
    detect_job(JobFiles(images_dir, files, job / "detections.csv", job / "photos.csv", out_dir / "crops" / "all",
                        cache_root), model, card, reader=None if reader is None else (lambda: reader), log=log)
    resightings = None if reader is None else Resightings(out_dir / "sightings.csv", out_dir / "birds.csv",
                                                          out_dir / "timeline.png", out_dir / "read_tags.jpg",
                                                          acceptance or fallback_acceptance(), out_dir / "visits.csv")
    return detect(images_dir, [("all", job / "detections.csv", job / "photos.csv")],
                  DetectOutputs(out_dir / "detections.csv", out_dir / "photos.csv", out_dir / "voc",
                                out_dir / "sheet.jpg", out_dir / "detections.json", out_dir / "voc.csv",
                                out_dir / "static.csv"),
                  IndexSettings(class_name=card.class_name), resightings=resightings, log=log)


def fallback_acceptance() -> Acceptance:
    """The acceptance without a ``threshold.json``: :data:`spatule.reading.evaluation.FALLBACK_THRESHOLD` and
    ``read.margin``'s default."""
    from spatule.reading.evaluation import FALLBACK_THRESHOLD

    return Acceptance(FALLBACK_THRESHOLD, float(default("read", "margin")), "fallback (no threshold.json)")
