"""A season of photos: every file of the folder to search, sorted out, and dealt to detection jobs.

A camera takes a photo every 10 minutes, some 17,000 a season, and the card also holds
what cameras leave there: video clips, empty files from a full card, a photo cut short,
a text file. Every file is listed, so none is dropped silently: photos are searched,
the rest is recorded in ``photos.csv`` with the reason.

Jobs. Each folder's files (a folder per camera, usually) are taken in name order, which
for camera names is time order, and cut into runs of ``photos_per_job``. Photos added
later (the next week's) come after the others in their folder, so they only fill the
folder's last job and make new ones: the jobs already run keep the same files, and
Snakemake does not run them again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from spatule.labels.photos import IMAGE_EXTENSIONS
from spatule.problems import SpatuleError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mts", ".m2ts", ".m4v", ".mkv", ".3gp", ".wmv", ".mpg", ".mpeg")
"""Clips some camera traps record beside their photos."""

PHOTO, VIDEO, EMPTY, OTHER = "photo", "video", "empty", "not_an_image"
"""The kinds of file in a season folder (``photos.csv`` ``status`` for the last three)."""

REASONS = {VIDEO: "a video clip, not a photo", EMPTY: "an empty file (0 bytes)",
           OTHER: "not a photo (extension not one of " + ", ".join(IMAGE_EXTENSIONS) + ")"}
"""What ``photos.csv`` says of a file that is not searched."""


@dataclass(frozen=True)
class SeasonFile:
    """One file of the folder: its ``/`` path relative to the folder and its kind."""

    path: str
    kind: str


def file_kind(path: Path) -> str:
    """:data:`PHOTO`, :data:`VIDEO`, :data:`EMPTY` or :data:`OTHER`, from the size and the extension."""
    if path.stat().st_size == 0:
        return EMPTY
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return PHOTO
    return VIDEO if suffix in VIDEO_EXTENSIONS else OTHER


LABEL_SUFFIX = ".xml"
"""labelImg's files: they sit beside labelled photos (``detect.images`` may be the labels folder) and are
not listed."""


def list_season(folder: Path) -> list[SeasonFile]:
    """Every file under ``folder`` (nested too; hidden files and folders, and labelImg's XML files beside
    the photos, skipped), sorted by path."""
    if not folder.is_dir():
        raise SpatuleError(f"detect.images: {folder} is not a folder of photos")
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() != LABEL_SUFFIX:
            found.append(SeasonFile(rel.as_posix(), file_kind(path)))
    return sorted(found, key=lambda f: f.path)


def camera_name(photo: str, folder: Path, exif_camera: str | None = None) -> str:
    """The camera of a file ``photo`` (a ``/`` path under the searched ``folder``): its first folder (a
    season laid out one folder per camera); for a file at the top, the camera its EXIF names (model and
    serial, ``exif_camera``) or else the searched folder's own name. Never empty."""
    parts = photo.split("/")
    if len(parts) > 1:
        return parts[0]
    return exif_camera or folder.resolve().name or "camera"


def season_photos(folder: Path) -> list[str]:
    """The photos under ``folder`` (see :func:`list_season`), as sorted ``/`` paths relative to it."""
    return [f.path for f in list_season(folder) if f.kind == PHOTO]


def _folder_slug(folder: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", folder).strip("_")
    return slug or "photos"


def folder_names(folders: Iterable[str]) -> dict[str, str]:
    """A short file-safe name per folder for its jobs; folders that slug alike get a hash of their path."""
    folders = sorted(set(folders))
    slugs = [_folder_slug(f) for f in folders]
    return {f: s if slugs.count(s) == 1 else f"{s}_{hashlib.sha1(f.encode()).hexdigest()[:6]}"
            for f, s in zip(folders, slugs)}


def plan_jobs(paths: Sequence[str], photos_per_job: int) -> dict[str, list[str]]:
    """The files of each detection job: ``<folder>-<k>`` -> paths, each folder's files in name order,
    ``photos_per_job`` to a job (see the module's note on why this keeps earlier jobs unchanged)."""
    if photos_per_job < 1:
        raise SpatuleError(f"detect.photos_per_job must be at least 1, not {photos_per_job}")
    by_folder: dict[str, list[str]] = {}
    for path in sorted(paths):
        by_folder.setdefault(str(PurePosixPath(path).parent), []).append(path)
    names = folder_names(by_folder)
    jobs = {}
    for folder, files in sorted(by_folder.items()):
        for k, start in enumerate(range(0, len(files), photos_per_job)):
            jobs[f"{names[folder]}-{k:04d}"] = files[start:start + photos_per_job]
    return jobs
