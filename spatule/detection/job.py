"""Searching a job's files: photos found in the cache are not searched again, the others are
decoded ahead and searched with the tiles of several photos to a model call.

Every file comes back as one :class:`PhotoResult`: a photo searched (``ok``) or one that
could not be (``unreadable``, with the decoder's words), a video clip, an empty file or
another kind of file (:mod:`spatule.detection.season`). Nothing is dropped, and one bad file never
stops the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from spatule.detection.cache import entry_path, read_entry, write_entry
from spatule.labels.photos import probe_photo, read_photo
from spatule.progress import Progress
from spatule.provenance import sha256_file
from spatule.detection.settings import DetectSettings
from spatule.detection.batches import bgr_to_rgb, detect_photos, read_ahead
from spatule.detection.season import PHOTO, REASONS, SeasonFile
from spatule.detection.tiling import Detection, Detector

_log = logging.getLogger("spatule")

OK, UNREADABLE = "ok", "unreadable"
"""``photos.csv`` ``status`` of a photo searched, and of one that could not be decoded."""


@dataclass(frozen=True)
class PhotoResult:
    """What the search made of one file of the folder."""

    photo: str
    status: str
    reason: str = ""
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    orientation_applied: bool = False
    detections: tuple[Detection, ...] = field(default_factory=tuple)


def as_entry(result: PhotoResult) -> dict[str, Any]:
    """A result as a cache entry (the photo's path left out: the entry belongs to its bytes)."""
    return {"status": result.status, "reason": result.reason, "width": result.width, "height": result.height,
            "orientation": result.orientation, "orientation_applied": result.orientation_applied,
            "detections": [[d.x0, d.y0, d.x1, d.y1, d.score] for d in result.detections]}


def from_entry(photo: str, entry: Mapping[str, Any]) -> PhotoResult:
    """The result of ``photo`` from its cache entry."""
    return PhotoResult(photo, entry["status"], entry.get("reason", ""), entry.get("width"), entry.get("height"),
                       entry.get("orientation"), bool(entry.get("orientation_applied")),
                       tuple(Detection(*map(float, d)) for d in entry.get("detections", [])))


@dataclass(frozen=True)
class Decoded:
    """A photo read for the search: its pixels (RGB) and how it was oriented."""

    rgb: Any
    width: int
    height: int
    orientation: int
    applied: bool


def decode(path: Path, apply_orientation: bool) -> Decoded:
    """Read a photo for the search (EXIF-rotated first with ``apply_orientation``)."""
    info = probe_photo(path, verify=False)
    apply = apply_orientation and info.orientation != 1
    bgr = read_photo(path, info.orientation, apply)
    return Decoded(bgr_to_rgb(bgr), bgr.shape[1], bgr.shape[0], info.orientation, apply)


def cached_results(images_dir: Path, photos: Sequence[str], cache_root: Path | None,
                   key: str) -> tuple[dict[str, PhotoResult], dict[str, str]]:
    """The photos whose result is in the cache, and the sha256 of every photo (to store the others)."""
    found, shas = {}, {}
    for photo in photos:
        shas[photo] = sha256_file(images_dir / photo)
        entry = read_entry(entry_path(cache_root, key, shas[photo])) if cache_root else None
        if entry is not None:
            found[photo] = from_entry(photo, entry)
    return found, shas


PixelsSeen = Callable[[PhotoResult, Any], None]
"""Called with each photo searched and its RGB pixels, while they are held (to cut its crops without
decoding the photo again)."""


def search_new(images_dir: Path, photos: Sequence[str], detector: Detector, settings: DetectSettings,
               apply_orientation: bool, store: Callable[[PhotoResult], None], decoders: int = 1,
               log: logging.Logger = _log, seen: PixelsSeen | None = None) -> dict[str, PhotoResult]:
    """Search ``photos`` (decoded ahead in ``decoders`` threads, see
    :meth:`spatule.detection.engines.SearchModel.decoders`;
    tiles batched across photos), handing each result to ``store`` as soon as it is known, and to ``seen`` with
    its pixels."""
    results: dict[str, PhotoResult] = {}
    progress = Progress(len(photos), "photos searched", log)
    stream = read_ahead(list(photos), lambda p: decode(images_dir / p, apply_orientation), decoders)
    decoded: dict[str, Decoded | Exception] = {}

    def pixels():
        for photo, item in stream:
            decoded[photo] = item
            yield photo, None if isinstance(item, Exception) else item.rgb

    for photo, found in detect_photos(pixels(), detector, settings):
        item = decoded.pop(photo)
        if isinstance(item, Exception):
            log.warning("%s: %s", photo, item)
            result = PhotoResult(photo, UNREADABLE, str(item))
        else:
            result = PhotoResult(photo, OK, "", item.width, item.height, item.orientation, item.applied,
                                 tuple(found or ()))
            if seen is not None:
                seen(result, item.rgb)
        store(result)
        results[photo] = result
        progress.step()
    return results


def search_files(images_dir: Path, files: Sequence[SeasonFile], detector: Callable[[], Detector],
                 settings: DetectSettings, cache_root: Path | None, key: str, apply_orientation: bool = False,
                 decoders: int = 1, log: logging.Logger = _log,
                 seen: PixelsSeen | None = None) -> tuple[list[PhotoResult], dict[str, int]]:
    """A result for every file, in the order given, and how many photos were searched and how many
    came from the cache. ``detector`` is called (the model loaded) only when a photo needs searching;
    ``seen`` gets the pixels of each photo searched (not of those from the cache)."""
    photos = [f.path for f in files if f.kind == PHOTO]
    cached, shas = cached_results(images_dir, photos, cache_root, key)
    todo = [p for p in photos if p not in cached]
    log.info("%d file(s): %d photo(s), %d already searched with this model and these settings, %d to search",
             len(files), len(photos), len(cached), len(todo))

    def store(result: PhotoResult) -> None:
        if cache_root is not None:
            write_entry(entry_path(cache_root, key, shas[result.photo]), as_entry(result))

    fresh = search_new(images_dir, todo, detector(), settings, apply_orientation, store, decoders, log,
                       seen) if todo else {}
    results = []
    for f in files:
        if f.kind != PHOTO:
            results.append(PhotoResult(f.path, f.kind, REASONS[f.kind]))
        else:
            results.append(cached.get(f.path) or fresh[f.path])
    return results, {"searched": len(todo), "cached": len(cached)}
