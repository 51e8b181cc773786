"""Detection on full-size photos: cut into model-size tiles, detect, map back, merge at the seams.

A tag cut by a tile seam is seen whole by a neighbouring tile when the overlap
is at least the tag's size; its partial copies (boxes touching a tile side
inside the photo) are fused with the copies other tiles saw (boxes whose
intersection covers most of the smaller box, as SAHI's greedy NMM does), so it
comes back once and whole. Boxes of one tile are never fused with each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` in photo pixels."""


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


def tile_grid(width: int, height: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(x, y) of every tile covering a photo, row by row."""
    return [(x, y) for y in tile_origins(height, tile, overlap) for x in tile_origins(width, tile, overlap)]


def cut_tile(photo: np.ndarray, x: int, y: int, tile: int) -> np.ndarray:
    """The tile at (x, y), padded with black where the photo is smaller than a tile."""
    window = photo[y:y + tile, x:x + tile]
    if window.shape[0] == tile and window.shape[1] == tile:
        return window
    padded = np.zeros((tile, tile, photo.shape[2]), dtype=photo.dtype)
    padded[:window.shape[0], :window.shape[1]] = window
    return padded


def to_photo(boxes: np.ndarray, origin: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Tile-pixel boxes ``[x0, y0, x1, y1]`` (or scaled ones) -> photo pixels."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4) * scale
    return boxes + np.array([origin[0], origin[1], origin[0], origin[1]], dtype=float)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection areas of boxes a [N,4] and b [M,4]."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def area(boxes: np.ndarray) -> np.ndarray:
    """Areas of boxes [N,4]."""
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes a [N,4] and b [M,4]."""
    inter = intersection(a, b)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def cut_edges(boxes: np.ndarray, windows: np.ndarray, photo_size: tuple[int, int], edge: float = 2.0) -> np.ndarray:
    """Which boxes touch a side of their tile that lies inside the photo (the tag may go on beyond it).

    ``windows``: each box's tile ``[x0, y0, x1, y1]`` in photo pixels; ``photo_size``: ``(width, height)``.
    A side on the photo's own border cuts nothing.
    """
    width, height = photo_size
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    windows = np.asarray(windows, dtype=float).reshape(-1, 4)
    inner = np.stack([windows[:, 0] > 0, windows[:, 1] > 0, windows[:, 2] < width, windows[:, 3] < height], 1)
    touching = np.stack([boxes[:, 0] <= windows[:, 0] + edge, boxes[:, 1] <= windows[:, 1] + edge,
                         boxes[:, 2] >= windows[:, 2] - edge, boxes[:, 3] >= windows[:, 3] - edge], 1)
    return (inner & touching).any(axis=1)


def merge_detections(boxes: np.ndarray, scores: np.ndarray, threshold: float = 0.5, method: str = "greedy",
                     sources: np.ndarray | None = None, cut: np.ndarray | None = None) -> list[Detection]:
    """Merge duplicate detections of one photo, highest score first.

    ``nms``: drop boxes whose IoU with a kept box exceeds ``threshold``.

    ``greedy``: join the copies of one tag that overlapping tiles saw. ``sources``
    names the tile each box came from and ``cut`` says whether it touches a side of
    its tile inside the photo (a piece of something that goes on beyond the tile).
    Two boxes of different tiles are related when their intersection covers more
    than ``threshold`` of the smaller one; then

    - the smaller (or either of two equal ones) is cut: it is a piece of the other and
      the two are fused into their union (a cut seed joins only the related box that
      fits it best, by IoU);
    - neither is cut and their IoU exceeds ``threshold``: a second whole copy, dropped;
    - otherwise (a whole tag inside a larger box from another tile) both stay.

    Boxes of the same tile are never merged: the model's own NMS has run there, and a
    weak box around a bird must not swallow the tag inside it. Without ``sources`` and
    ``cut``, every box is its own tile and cut: plain coverage fusion.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if method not in ("nms", "greedy"):
        raise ValueError(f"merge method must be 'nms' or 'greedy', not {method!r}")
    sources = np.arange(len(scores)) if sources is None else np.asarray(sources).reshape(-1)
    cut = np.ones(len(scores), dtype=bool) if cut is None else np.asarray(cut, dtype=bool).reshape(-1)
    if not len(sources) == len(cut) == len(scores) == len(boxes):
        raise ValueError("boxes, scores, sources and cut must have one entry per detection")
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], tuple(boxes[i])))
    alive = np.ones(len(scores), dtype=bool)
    kept: list[Detection] = []
    for i in order:
        if not alive[i]:
            continue
        alive[i] = False
        rest = np.flatnonzero(alive)
        box = boxes[i].copy()
        if method == "nms":
            alive[rest[iou_matrix(box[None], boxes[rest])[0] > threshold]] = False
        elif rest.size:
            box, joined = _join_copies(i, rest, boxes, sources, cut, threshold)
            alive[joined] = False
        kept.append(Detection(*map(float, box), float(scores[i])))
    return kept


def _join_copies(seed: int, candidates: np.ndarray, boxes: np.ndarray, sources: np.ndarray, cut: np.ndarray,
                 threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The seed's box after joining its copies among ``candidates``, and the copies joined.

    Repeated until nothing more joins: a piece that joined another piece may then be
    related to the whole copy. The joined box is cut only while all its members are.
    """
    box, is_cut, tiles = boxes[seed].copy(), bool(cut[seed]), {sources[seed]}
    taken = np.zeros(len(candidates), dtype=bool)
    while True:
        index = np.flatnonzero(~taken & ~np.isin(sources[candidates], list(tiles)))
        if not index.size:
            break
        others = candidates[index]
        seed_area, other_area = area(box[None])[0], area(boxes[others])
        inter = intersection(box[None], boxes[others])[0]
        iou = iou_matrix(box[None], boxes[others])[0]
        related = inter > threshold * np.maximum(np.minimum(seed_area, other_area), 1e-12)
        pieces = related & (other_area <= seed_area) & cut[others]  # pieces of the seed
        if is_cut:  # the seed is a piece: it joins the related box (no smaller) that fits it best
            containers = np.flatnonzero(related & (other_area >= seed_area))
            if containers.size:
                pieces[containers[np.argmax(iou[containers])]] = True
        duplicates = related & ~cut[others] & (not is_cut) & (iou > threshold)  # whole second copies
        if not (pieces.any() or duplicates.any()):
            break
        members = np.concatenate([box[None], boxes[others[pieces]]])
        box = np.concatenate([members[:, :2].min(0), members[:, 2:].max(0)])
        is_cut = is_cut and bool(cut[others[pieces]].all())
        tiles.update(sources[others[pieces | duplicates]].tolist())
        taken[index[pieces | duplicates]] = True
    return box, candidates[taken]


Detector = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""uint8 batch [N, S, S, 3] -> (boxes [N, K, 4] in tile pixels x0,y0,x1,y1, scores [N, K])."""


def detect_photo(photo: np.ndarray, detector: Detector, tile: int, overlap: int, batch: int = 8,
                 score_threshold: float = 0.3, merge: str = "greedy", merge_threshold: float = 0.5,
                 whole_photo: bool = False) -> list[Detection]:
    """Tags in one full-size photo: tiled detection (+ an optional whole-photo pass), merged."""
    height, width = photo.shape[:2]
    origins = tile_grid(width, height, tile, overlap)
    found_boxes: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    found_windows: list[np.ndarray] = []
    found_sources: list[np.ndarray] = []
    for start in range(0, len(origins), batch):
        chunk = origins[start:start + batch]
        tiles = np.stack([cut_tile(photo, x, y, tile) for x, y in chunk])
        boxes, scores = detector(tiles)
        for (x, y), b, s in zip(chunk, boxes, scores):
            keep = np.asarray(s) >= score_threshold
            found_boxes.append(to_photo(np.asarray(b)[keep], (x, y)))
            found_scores.append(np.asarray(s)[keep])
            found_windows.append(np.tile([x, y, min(x + tile, width), min(y + tile, height)], (int(keep.sum()), 1)))
            found_sources.append(np.full(int(keep.sum()), len(found_sources)))
    if whole_photo:
        import cv2

        side = max(width, height)
        square = np.zeros((side, side, 3), dtype=photo.dtype)
        square[:height, :width] = photo
        small = cv2.resize(square, (tile, tile), interpolation=cv2.INTER_AREA)
        boxes, scores = detector(small[None])
        keep = np.asarray(scores[0]) >= score_threshold
        found_boxes.append(to_photo(np.asarray(boxes[0])[keep], (0, 0), side / tile))
        found_scores.append(np.asarray(scores[0])[keep])
        found_windows.append(np.tile([0, 0, width, height], (int(keep.sum()), 1)))
        found_sources.append(np.full(int(keep.sum()), len(found_sources)))
    if not found_boxes:
        return []
    boxes = np.concatenate(found_boxes)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    cut = cut_edges(boxes, np.concatenate(found_windows), (width, height))
    return merge_detections(boxes, np.concatenate(found_scores), merge_threshold, merge,
                            np.concatenate(found_sources), cut)
