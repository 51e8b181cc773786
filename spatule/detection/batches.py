"""Photos through a tile detector: RGB decoding (the one place where OpenCV's BGR pixels become
RGB), the full-photo pass, the tiles of several photos sharing each model call, decoding ahead;
``camera.mask`` resolved for each photo's size (:mod:`spatule.detection.mask`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from collections import deque
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from spatule.labels.photos import read_photo
from spatule.detection.mask import Rect, resolve_mask
from spatule.detection.settings import DetectSettings
from spatule.detection.tiling import (
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


def bgr_to_rgb(pixels: np.ndarray) -> np.ndarray:
    """OpenCV's BGR pixels as the RGB the model was trained on."""
    return np.ascontiguousarray(pixels[..., ::-1])


def read_rgb(path: Path, orientation: int = 1, apply: bool = False) -> np.ndarray:
    """A photo as uint8 RGB, in the labels' frame (see :func:`spatule.labels.photos.read_photo`)."""
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


def photo_mask(rgb: np.ndarray, settings: DetectSettings, photo: object = "") -> tuple[Rect, ...]:
    """``settings.mask`` in the pixels of this photo (``photo``: its name, for the error when one does not fit)."""
    return resolve_mask(settings.mask, rgb.shape[1], rgb.shape[0], str(photo)) if settings.mask else ()


def detect_full_photo(rgb: np.ndarray, detector: Detector, settings: DetectSettings) -> list[Detection]:
    """Tags in one full-size RGB photo: tiles, batches, map back, merge across seams."""
    return detect_photo(rgb, detector, settings.tile_size, settings.overlap, settings.batch_size,
                        settings.score_threshold, settings.merge, settings.merge_threshold, settings.whole_photo,
                        settings.info_bar_px, photo_mask(rgb, settings))


def detect_photos(photos: Iterable[tuple[K, np.ndarray | None]], detector: Detector,
                  settings: DetectSettings) -> Iterator[tuple[K, list[Detection] | None]]:
    """Tags in a stream of ``(key, RGB photo)``, in order; the tiles of several photos share each model
    call (``settings.batch_size`` tiles a call: what makes a season fast on the machine it runs on).

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
        cut = None if rgb is None else cut_photo(rgb, settings.tile_size, settings.overlap, settings.whole_photo,
                                                 settings.info_bar_px, photo_mask(rgb, settings, key))
        pending.append((key, cut, [], []))
        for tile in cut.tiles if cut is not None else ():
            queue.append((done + len(pending) - 1, tile))
            if len(queue) == settings.batch_size:
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
