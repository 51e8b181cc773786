"""Detection on full-size photos: cut into model-size tiles, detect, map back, merge at the seams.

Seams. Neighbouring tiles share ``overlap`` pixels, and each tile *owns* a core: the
stretch from the middle of its overlap with the previous tile to the middle of its
overlap with the next (the photo's edge for the first and last). The cores tile the
photo without gaps. A box is kept from a tile only when its centre lies in that
tile's core, widened by :data:`SEAM_MARGIN_PX` so that a box a few pixels off (one
model pixel is 2.5 photo pixels at a 256 input) is never lost between two cores.
When ``overlap`` is at least the largest tag side plus twice that margin (the
workflow derives it so from the labels), every box kept this way is a whole view of
its tag, never a piece cut by a seam: a tag near a seam is then kept from two tiles
at most, as two whole, slightly different boxes, and the second is dropped as a
copy (:func:`are_copies`). Boxes of one tile are never merged with each other (the
model's own NMS has run there, and a weak box around a bird must not swallow the
tag inside it).

The search may leave out the bottom rows of the photo (the camera's info bar, where
no tag can be): tiles then cover only the rows above it. Rectangles of ``camera.mask``
(:mod:`spatule.detection.mask`) are filled grey before the photo is cut, and a box lying
mostly inside them is dropped before the merge (it can suppress no other box).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from spatule.config import PROVISIONAL_THRESHOLD, default
from spatule.detection.mask import Rect, fill_mask, is_masked
from spatule.geometry import Box, iou_matrix, shifted


@dataclass(frozen=True)
class Detection:
    """One detected tag in photo pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def box(self) -> Box:
        return self.x0, self.y0, self.x1, self.y1


def tile_origins(length: int, tile: int, overlap: int) -> list[int]:
    """Start positions of tiles along one axis: stride ``tile - overlap``, the last flush with the end.

    A photo side shorter than a tile gets one tile at 0 (padded when cut).
    """
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap {overlap} must be in [0, tile size {tile})")
    if length <= tile:
        return [0]
    stride = tile - overlap
    origins = list(range(0, length - tile, stride))
    origins.append(length - tile)
    return origins


def cut_tile(photo: np.ndarray, x: int, y: int, tile: int) -> np.ndarray:
    """The tile at (x, y), padded with black where the photo is smaller than a tile."""
    window = photo[y:y + tile, x:x + tile]
    if window.shape[0] == tile and window.shape[1] == tile:
        return window
    padded = np.zeros((tile, tile, photo.shape[2]), dtype=photo.dtype)
    padded[:window.shape[0], :window.shape[1]] = window
    return padded


SEAM_MARGIN_PX = 16
"""How far (photo pixels) past its tile's core a box centre may lie and the box still be kept."""

COPY_TOLERANCE_PX = 8
"""Two boxes from different tiles are copies of one tag when no side differs by more than this
many pixels, or a quarter of the smaller box's side along that axis if that is more (or when their
IoU is at least 0.5)."""


def tile_cores(origins: Sequence[int], tile: int, length: int) -> list[tuple[float, float]]:
    """Along one axis, the stretch ``[start, end)`` each tile owns (see the module docstring)."""
    cores = []
    for k, origin in enumerate(origins):
        start = 0.0 if k == 0 else (origin + min(origins[k - 1] + tile, length)) / 2
        end = float(length) if k == len(origins) - 1 else (origins[k + 1] + min(origin + tile, length)) / 2
        cores.append((start, end))
    return cores


def owned(boxes: np.ndarray, cores: np.ndarray, margin: float = SEAM_MARGIN_PX) -> np.ndarray:
    """Which boxes have their centre inside their tile's core ``[x0, y0, x1, y1]`` widened by ``margin``."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    cores = np.asarray(cores, dtype=float).reshape(-1, 4)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return ((cx >= cores[:, 0] - margin) & (cx < cores[:, 2] + margin)
            & (cy >= cores[:, 1] - margin) & (cy < cores[:, 3] + margin))


def are_copies(box: np.ndarray, others: np.ndarray, tolerance_px: float = COPY_TOLERANCE_PX) -> np.ndarray:
    """Which of ``others`` [N,4] are another view of the same tag as ``box``: every side within
    ``tolerance_px`` or a quarter of the smaller box's width (x sides) or height (y sides), or an
    IoU of at least 0.5."""
    others = np.asarray(others, dtype=float).reshape(-1, 4)
    width = np.minimum(box[2] - box[0], others[:, 2] - others[:, 0])
    height = np.minimum(box[3] - box[1], others[:, 3] - others[:, 1])
    tol = np.stack([np.maximum(tolerance_px, 0.25 * width), np.maximum(tolerance_px, 0.25 * height)] * 2, axis=1)
    close = np.all(np.abs(others - box[None]) <= tol, axis=1)
    return close | (iou_matrix(np.asarray(box, dtype=float)[None], others)[0] >= 0.5)


def merge_detections(boxes: np.ndarray, scores: np.ndarray, threshold: float = default("detect", "merge_threshold"),
                     method: str = default("detect", "merge"),
                     sources: np.ndarray | None = None) -> list[Detection]:
    """Merge the detections of one photo, highest score first.

    ``core`` (boxes already filtered by :func:`owned`): drop a box when a better one from
    another tile (``sources`` names each box's tile) is a copy of it (:func:`are_copies`).
    ``nms``: drop boxes whose IoU with a better kept box exceeds ``threshold``, whatever tile.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if method not in ("nms", "core"):
        raise ValueError(f"merge method must be 'core' or 'nms', not {method!r}")
    sources = np.arange(len(scores)) if sources is None else np.asarray(sources).reshape(-1)
    if not len(sources) == len(scores) == len(boxes):
        raise ValueError("boxes, scores and sources must have one entry per detection")
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], tuple(boxes[i])))
    alive = np.ones(len(scores), dtype=bool)
    kept: list[Detection] = []
    for i in order:
        if not alive[i]:
            continue
        alive[i] = False
        rest = np.flatnonzero(alive)
        if rest.size:
            if method == "nms":
                alive[rest[iou_matrix(boxes[i][None], boxes[rest])[0] > threshold]] = False
            else:
                alive[rest[(sources[rest] != sources[i]) & are_copies(boxes[i], boxes[rest])]] = False
        kept.append(Detection(*map(float, boxes[i]), float(scores[i])))
    return kept


Detector = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""uint8 batch [N, S, S, 3] -> (boxes [N, K, 4] in tile pixels x0,y0,x1,y1, scores [N, K])."""


@dataclass(frozen=True)
class TilePlacement:
    """Where a tile fed to the model lies in its photo: ``origin`` and ``scale`` map its boxes back,
    ``core`` is the part of the photo it owns (see the module's note)."""

    origin: tuple[int, int]
    scale: float
    core: tuple[float, float, float, float]


@dataclass(frozen=True)
class PhotoTiles:
    """One photo cut for the model: its tiles and where each lies; ``width``/``height`` the searched part,
    ``mask`` the rectangles filled and left out (photo pixels)."""

    tiles: list[np.ndarray]
    placements: list[TilePlacement]
    width: int
    height: int
    mask: tuple[Rect, ...] = ()


def cut_photo(photo: np.ndarray, tile: int, overlap: int, whole_photo: bool = False,
              info_bar_px: int = 0, mask: tuple[Rect, ...] = ()) -> PhotoTiles:
    """The tiles of a full-size photo, row by row (+ the whole photo shrunk to one tile with
    ``whole_photo``); ``info_bar_px``: rows at the bottom left out (the camera's info bar); ``mask``:
    rectangles in this photo's pixels (:func:`spatule.detection.mask.resolve_mask`) filled grey first."""
    height, width = photo.shape[:2]
    height = max(1, height - max(0, int(info_bar_px)))
    photo = fill_mask(photo, mask)[:height]
    xs, ys = tile_origins(width, tile, overlap), tile_origins(height, tile, overlap)
    cores_x, cores_y = tile_cores(xs, tile, width), tile_cores(ys, tile, height)
    tiles, placements = [], []
    for y, cy in zip(ys, cores_y):
        for x, cx in zip(xs, cores_x):
            tiles.append(cut_tile(photo, x, y, tile))
            placements.append(TilePlacement((x, y), 1.0, (cx[0], cy[0], cx[1], cy[1])))
    if whole_photo:
        import cv2

        side = max(width, height)
        square = np.zeros((side, side, 3), dtype=photo.dtype)
        square[:height, :width] = photo
        tiles.append(cv2.resize(square, (tile, tile), interpolation=cv2.INTER_AREA))
        placements.append(TilePlacement((0, 0), side / tile, (0, 0, width, height)))
    return PhotoTiles(tiles, placements, width, height, tuple(mask))


def merge_tiles(cut: PhotoTiles, boxes: Sequence[np.ndarray], scores: Sequence[np.ndarray],
                score_threshold: float = PROVISIONAL_THRESHOLD, merge: str = default("detect", "merge"),
                merge_threshold: float = default("detect", "merge_threshold")) -> list[Detection]:
    """The detections of a photo from those of its tiles (tile pixels, one array per tile): kept above
    ``score_threshold``, mapped back to the photo (boxes left with no area there, or lying mostly in
    ``cut.mask``, dropped) and merged across seams."""
    found_boxes, found_scores, found_cores, found_sources = [], [], [], []
    for k, (place, b, s) in enumerate(zip(cut.placements, boxes, scores)):
        keep = np.asarray(s) >= score_threshold
        found_boxes.append(shifted(np.asarray(b).reshape(-1, 4)[keep], place.origin, place.scale))
        found_scores.append(np.asarray(s)[keep])
        found_cores.append(np.tile(place.core, (int(keep.sum()), 1)))
        found_sources.append(np.full(int(keep.sum()), k))
    if not found_boxes:
        return []
    boxes_all = np.concatenate(found_boxes)
    boxes_all[:, [0, 2]] = boxes_all[:, [0, 2]].clip(0, cut.width)
    boxes_all[:, [1, 3]] = boxes_all[:, [1, 3]].clip(0, cut.height)
    scores_all, sources = np.concatenate(found_scores), np.concatenate(found_sources)
    real = (boxes_all[:, 2] > boxes_all[:, 0]) & (boxes_all[:, 3] > boxes_all[:, 1])  # none flattened by the clip
    if cut.mask:
        real &= np.array([not is_masked(b, cut.mask) for b in boxes_all], dtype=bool)
    boxes_all, scores_all, sources = boxes_all[real], scores_all[real], sources[real]
    if merge == "core":
        keep = owned(boxes_all, np.concatenate(found_cores)[real])
        boxes_all, scores_all, sources = boxes_all[keep], scores_all[keep], sources[keep]
    return merge_detections(boxes_all, scores_all, merge_threshold, merge, sources)


def detect_photo(photo: np.ndarray, detector: Detector, tile: int, overlap: int,
                 batch: int = default("detect", "batch_size"),
                 score_threshold: float = PROVISIONAL_THRESHOLD,
                 merge: str = default("detect", "merge"), merge_threshold: float = default("detect", "merge_threshold"),
                 whole_photo: bool = default("detect", "whole_photo"), info_bar_px: int = 0,
                 mask: tuple[Rect, ...] = ()) -> list[Detection]:
    """Tags in one full-size photo: tiled detection (+ an optional whole-photo pass), merged.

    ``info_bar_px``: rows at the bottom left out of the search (the camera's info bar); ``mask``: rectangles
    in this photo's pixels filled grey and left out (see :func:`cut_photo`).
    """
    cut = cut_photo(photo, tile, overlap, whole_photo, info_bar_px, mask)
    boxes: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for start in range(0, len(cut.tiles), batch):
        b, s = detector(np.stack(cut.tiles[start:start + batch]))
        boxes.extend(np.asarray(v, dtype=float) for v in b)
        scores.extend(np.asarray(v, dtype=float) for v in s)
    return merge_tiles(cut, boxes, scores, score_threshold, merge, merge_threshold)
