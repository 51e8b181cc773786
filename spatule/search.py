"""Searching photos with a detector: the search settings, the exported model as a tile detector,
RGB decoding, the full-photo pass, and the rows and sheet of what was found.

The exported SavedModel wants uint8 **RGB** tiles (:func:`spatule.model.load_detector` returns
x-first pixel boxes); :func:`tile_detector` keeps the tag class, and :func:`read_rgb` is the one
place where OpenCV's BGR pixels become RGB.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from collections import deque
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import numpy as np

from spatule.config import PROVISIONAL_THRESHOLD, default
from spatule.geometry import Box, Rect
from spatule.images import read_photo
from spatule.presets import TAG_CLASS, TILE_SIZE
from spatule.problems import SpatuleError
from spatule.tiling import (
    Detection,
    Detector,
    PhotoTiles,
    cut_photo,
    detect_photo,
    merge_tiles,
)

_log = logging.getLogger("spatule")

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")

DETECTION_COLUMNS = ["photo", "detection", "x0", "y0", "x1", "y1", "score", "width", "height", "crop",
                     "crop_x0", "crop_y0", "crop_x1", "crop_y1"]
"""Columns of ``results/detect/detections.csv``: box in photo pixels (x1/y1 exclusive edges),
the crop file (relative to the crops folder) and the crop's window in the photo."""

PHOTO_COLUMNS = ["photo", "width", "height", "orientation", "orientation_applied", "detections", "status", "reason",
                 "time"]
"""Columns of ``results/detect/photos.csv``: every file of the folder, its tags or why it was not searched
(``status``: ok, unreadable, video, empty, not_an_image)."""


@dataclass(frozen=True)
class DetectSettings:
    """How full-size photos are searched (the ``detect`` config section).

    ``tile``: side of the tiles fed to the model (the training tile size, 640);
    ``overlap``: pixels shared by neighbouring tiles (see :func:`seam_overlap`); ``batch``:
    tiles per model call; ``score_threshold``: detections kept; ``merge``/``merge_threshold``:
    how tags seen by two tiles come back once (see :mod:`spatule.tiling`); ``whole_photo``:
    add a pass over the whole photo shrunk to one tile (large tags); ``skip_bottom``: rows
    at the bottom not searched (the camera's info bar).
    """

    tile: int = TILE_SIZE
    overlap: int = 224
    batch: int = default("detect", "batch_size")
    score_threshold: float = PROVISIONAL_THRESHOLD
    merge: str = default("detect", "merge")
    merge_threshold: float = default("detect", "merge_threshold")
    whole_photo: bool = default("detect", "whole_photo")
    skip_bottom: int = 0

    def with_threshold(self, score_threshold: float) -> "DetectSettings":
        from dataclasses import replace

        return replace(self, score_threshold=float(score_threshold))


def seam_overlap(largest_tag_px: float) -> int:
    """The overlap that lets every tag be seen whole by the tile that owns its centre: the largest
    tag side plus twice :data:`spatule.tiling.SEAM_MARGIN_PX`, rounded up to 8 px."""
    from spatule.tiling import SEAM_MARGIN_PX

    return int(math.ceil((float(largest_tag_px) + 2 * SEAM_MARGIN_PX) / 8.0)) * 8


def largest_tag_side(objects: Iterable[Any]) -> int:
    """The longest side of any labelled tag (``objects.csv`` rows), 0 when there is none."""
    return max((max(r.box[2] - r.box[0], r.box[3] - r.box[1]) for r in objects if r.kind == "tag"), default=0)


def detect_settings(detect: Mapping[str, Any], tile_size: int, largest_tag_px: int = 0, info_bar_px: int = 0,
                    log: logging.Logger = _log) -> DetectSettings:
    """The settings from the ``detect`` config section, the synthetic tile size, the largest
    labelled tag (for ``detect.overlap: null``) and the camera's info bar height."""
    defaults = DetectSettings()
    overlap = detect.get("overlap")
    need = seam_overlap(largest_tag_px) if largest_tag_px else defaults.overlap  # no labelled tag: the default
    settings = DetectSettings(
        tile=int(tile_size),
        overlap=min(need, int(tile_size) // 2) if overlap is None else int(overlap),
        batch=int(detect.get("batch_size", defaults.batch)),
        score_threshold=float(detect.get("score_threshold") if detect.get("score_threshold") is not None
                              else defaults.score_threshold),
        merge=str(detect.get("merge", defaults.merge)),
        merge_threshold=float(detect.get("merge_threshold", defaults.merge_threshold)),
        whole_photo=bool(detect.get("whole_photo", defaults.whole_photo)),
        skip_bottom=0 if detect.get("search_info_bar", default("detect", "search_info_bar")) else int(info_bar_px),
    )
    if not 0 <= settings.overlap < settings.tile:
        raise SpatuleError(f"detect.overlap: {settings.overlap} px must be below the tile size {settings.tile}")
    if largest_tag_px and settings.overlap < need:
        log.warning("detect.overlap %d px is below the %d px that the largest labelled tag (%d px) needs%s: a tag "
                    "near a seam may come back cut or twice", settings.overlap, need, largest_tag_px,
                    " (at most half a tile; raise synth.tile_size or use detect.whole_photo for tags that large)"
                    if overlap is None else "")
    log.info("search: %d px tiles overlapping by %d px%s, merge %s", settings.tile, settings.overlap,
             f", bottom {settings.skip_bottom} px (info bar) left out" if settings.skip_bottom else "", settings.merge)
    return settings


def search_settings(detect: Mapping[str, Any], tile_size: int, objects_csv: Path, info_bar_px: int = 0,
                    log: logging.Logger = _log) -> DetectSettings:
    """:func:`detect_settings` with the largest tag taken from the labels' ``objects.csv``."""
    from spatule.labels import read_objects_csv

    return detect_settings(detect, tile_size, largest_tag_side(read_objects_csv(objects_csv)), info_bar_px, log)


def tile_detector(model: Callable[[np.ndarray], Mapping[str, np.ndarray]], tag_class: int = TAG_CLASS) -> Detector:
    """A :data:`spatule.tiling.Detector` from :func:`spatule.model.load_detector`'s callable.

    Keeps the first ``num[i]`` detections of class ``tag_class`` of each tile (``(x0, y0, x1, y1)`` tile
    pixels).
    """
    def detect(tiles: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        out = model(tiles)
        boxes, scores = [], []
        for i in range(len(tiles)):
            n = int(out["num"][i])
            keep = np.asarray(out["classes"][i][:n]) == tag_class
            boxes.append(np.asarray(out["boxes"][i][:n], dtype=float)[keep].reshape(-1, 4))
            scores.append(np.asarray(out["scores"][i][:n], dtype=float)[keep])
        return boxes, scores

    return detect


def bgr_to_rgb(pixels: np.ndarray) -> np.ndarray:
    """OpenCV's BGR pixels as the RGB the model was trained on."""
    return np.ascontiguousarray(pixels[..., ::-1])


def read_rgb(path: Path, orientation: int = 1, apply: bool = False) -> np.ndarray:
    """A photo as uint8 RGB, in the labels' frame (see :func:`spatule.images.read_photo`)."""
    return bgr_to_rgb(read_photo(path, orientation, apply))


def detect_tiles(tiles: Sequence[np.ndarray], detector: Detector, batch: int,
                 min_score: float) -> list[list[Detection]]:
    """Detections of model-size tiles fed as they are (no tiling, no merge: the model's own NMS)."""
    found: list[list[Detection]] = []
    for start in range(0, len(tiles), batch):
        chunk = np.stack(tiles[start:start + batch])
        boxes, scores = detector(chunk)
        for tile, b, s in zip(chunk, boxes, scores):
            b = np.asarray(b, dtype=float).reshape(-1, 4)
            s = np.asarray(s, dtype=float).reshape(-1)
            height, width = tile.shape[:2]
            b[:, [0, 2]] = b[:, [0, 2]].clip(0, width)
            b[:, [1, 3]] = b[:, [1, 3]].clip(0, height)
            found.append([Detection(*map(float, box), float(score))
                          for box, score in zip(b, s) if score >= min_score and box[2] > box[0] and box[3] > box[1]])
    return found


def detect_full_photo(rgb: np.ndarray, detector: Detector, settings: DetectSettings) -> list[Detection]:
    """Tags in one full-size RGB photo: tiles, batches, map back, merge across seams."""
    return detect_photo(rgb, detector, settings.tile, settings.overlap, settings.batch, settings.score_threshold,
                        settings.merge, settings.merge_threshold, settings.whole_photo, settings.skip_bottom)


def crop_stems(photos: Iterable[str]) -> dict[str, str]:
    """A file-safe stem per photo path for its crops (``<stem>-d<n>.png``); paths that slug alike
    get a short hash of the path, so stems are unique."""
    import hashlib
    import re

    def slug(photo: str) -> str:
        stem = photo.rsplit(".", 1)[0] if "." in photo.rsplit("/", 1)[-1] else photo
        return re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_") or "photo"

    photos = sorted(set(photos))
    owners: dict[str, int] = {}
    for photo in photos:
        owners[slug(photo)] = owners.get(slug(photo), 0) + 1
    return {photo: slug(photo) if owners[slug(photo)] == 1 else
            f"{slug(photo)}-{hashlib.sha1(photo.encode()).hexdigest()[:6]}" for photo in photos}


def crop_window(box: Sequence[float], width: int, height: int, margin_px: int,
                margin_fraction: float) -> Rect:
    """Integer crop around a detected box: the box rounded outwards plus a context margin, in the photo."""
    from spatule.tags import crop_geometry, margin_for

    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(width, math.ceil(box[2])), min(height, math.ceil(box[3]))
    x1, y1 = max(x1, min(width, x0 + 1)), max(y1, min(height, y0 + 1))
    rect = (x0, y0, x1, y1)
    crop, _ = crop_geometry(rect, width, height, margin_for(rect, margin_px, margin_fraction))
    return crop


def detection_rows(photo: str, found: Sequence[Detection], width: int, height: int, margin_px: int,
                   margin_fraction: float, stem: str = "photo") -> list[list[object]]:
    """Rows of ``detections.csv`` for one photo, best score first; crops named ``<stem>-d<n>.png``."""
    rows = []
    for n, d in enumerate(sorted(found, key=lambda d: (-d.score, d.box)), start=1):
        crop = crop_window(d.box, width, height, margin_px, margin_fraction)
        box = [min(max(round(v, 1), 0.0), float(limit)) for v, limit in zip(d.box, (width, height, width, height))]
        rows.append([photo, n, *box, round(d.score, 4), width, height, f"{stem}-d{n}.png", *crop])
    return rows


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


def load_model_detector(saved_model: Path, threads: int | None = None,
                        log: logging.Logger = _log) -> Detector:
    """The exported SavedModel as a tile detector (TensorFlow threads sized to the job)."""
    from spatule.model import configure_tensorflow, load_detector

    configure_tensorflow(threads, log)
    return tile_detector(load_detector(saved_model))


def checkpoint_tile_detector(model_dir: Path, threads: int | None = None, log: logging.Logger = _log) -> Detector:
    """The newest checkpoint of a training folder as a tile detector, without exporting it (what
    mining hard negatives searches with; TensorFlow threads sized to the job)."""
    from spatule.model import checkpoint_detector, configure_tensorflow

    configure_tensorflow(threads, log)
    return tile_detector(checkpoint_detector(model_dir))


def detect_photos(photos: Iterable[tuple[K, np.ndarray | None]], detector: Detector,
                  settings: DetectSettings) -> Iterator[tuple[K, list[Detection] | None]]:
    """Tags in a stream of ``(key, RGB photo)``, in order; the tiles of several photos share each model
    call (``settings.batch`` tiles a call: what makes a season fast on the machine it runs on).

    A photo given as ``None`` (it could not be read) comes back as ``None``, in its place.
    """
    pending: deque[tuple[K, PhotoTiles | None, list[np.ndarray], list[np.ndarray]]] = deque()
    queue: list[tuple[int, np.ndarray]] = []  # (index in pending + done so far, tile) not yet fed
    done = 0

    def run(queue: list[tuple[int, np.ndarray]]) -> None:
        boxes, scores = detector(np.stack([t for _, t in queue]))
        for (slot, _), b, s in zip(queue, boxes, scores):
            pending[slot - done][2].append(np.asarray(b, dtype=float))
            pending[slot - done][3].append(np.asarray(s, dtype=float))

    def finished() -> Iterator[tuple[K, list[Detection] | None]]:
        nonlocal done
        while pending and (pending[0][1] is None or len(pending[0][2]) == len(pending[0][1].tiles)):
            key, cut, boxes, scores = pending.popleft()
            done += 1
            if cut is None:
                yield key, None
                continue
            yield key, merge_tiles(cut, boxes, scores, settings.score_threshold, settings.merge,
                                   settings.merge_threshold)

    for key, rgb in photos:
        cut = None if rgb is None else cut_photo(rgb, settings.tile, settings.overlap, settings.whole_photo,
                                                 settings.skip_bottom)
        pending.append((key, cut, [], []))
        for tile in cut.tiles if cut is not None else ():
            queue.append((done + len(pending) - 1, tile))
            if len(queue) == settings.batch:
                run(queue)
                queue = []
        yield from finished()
    if queue:
        run(queue)
    yield from finished()


def read_ahead(paths: Sequence[T], read: Callable[[T], R], threads: int = 2,
               ahead: int = 4) -> Iterator[tuple[T, R | Exception]]:
    """``(path, read(path))`` in order, up to ``ahead`` photos decoded in ``threads`` threads while the
    model works on the current ones; an exception raised by ``read`` is returned in place of the photo."""
    from concurrent.futures import ThreadPoolExecutor

    def safe(path: T) -> R | Exception:
        try:
            return read(path)
        except Exception as exc:  # handed back to the caller, who records it
            return exc

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures: deque = deque()
        for path in paths:
            futures.append((path, pool.submit(safe, path)))
            if len(futures) > ahead:
                done_path, future = futures.popleft()
                yield done_path, future.result()
        while futures:
            done_path, future = futures.popleft()
            yield done_path, future.result()
