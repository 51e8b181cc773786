"""Planning: which window of which ground photo each tile shows, and which tags go where, with which
jitter and blend, decided from the tables and the seed without touching a pixel.

Training sees what detection sees. Tile windows lie anywhere in the photo, a share
of them flush with a photo side (the last tile of a row or column, the info bar at
the bottom, the photo borders), so the model learns to say "nothing" wherever
detection will look; tags are never pasted on the camera's info bar nor over ``camera.mask``
(filled grey on the ground photo when it is read, as the search fills it). A share of the
pasted tags is cut by a tile side, as a tile seam or the photo border cuts tags in
detection: the tag is blended into the photo around the window and the tile keeps
what it shows, labelled with the visible part (VOC ``truncated``). A window over a labelled
photo may also show that photo's own tags where they are (``tags_in_place``): real tags in
their real context (leg, bird, light), labelled in place, whole or at least half in view.
Difficult tags (VOC ``difficult``) are never pasted nor shown: they are neither positives
nor negatives; nor are labelled tags lying mostly in the mask, which the search drops.
"""

from __future__ import annotations

import hashlib
import math
from typing import Sequence

import numpy as np

from spatule.detection.mask import is_masked, resolve_mask
from spatule.geometry import Rect, overlaps, shown_share
from spatule.problems import SpatuleError
from spatule.synth.crop_geometry import pasted_geometry
from spatule.synth.settings import BLENDS, Jitter, SynthSettings
from spatule.synth.specs import IN_PLACE, Ground, Paste, TagSource, TileSpec


SPLIT_CODES = {"train": 1, "val": 2, "test": 3}


def tile_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random stream of one tile: a function of (seed, split, index) only."""
    return np.random.default_rng([seed, SPLIT_CODES[split], index])


def edge_or_anywhere(rng: np.random.Generator, span: int, edge_share: float) -> int:
    """A window origin in ``[0, span]``: flush with one end or the other (``edge_share`` of the
    time, as the first and last tiles of a detection row are), else anywhere."""
    draw = rng.random()
    if draw < edge_share / 2:
        return 0
    if draw < edge_share:
        return span
    return int(rng.integers(0, span + 1))


def pick_window(rng: np.random.Generator, ground: Ground, settings: SynthSettings) -> tuple[int, int] | None:
    """A tile window anywhere on the ground (info bar included), clear of the boxes to avoid, that
    shows each labelled tag of the ground it touches whole or at least half of it; or None."""
    size = settings.tile_size
    if ground.width < size or ground.height < size:
        return None
    for _ in range(settings.tries):
        x = edge_or_anywhere(rng, ground.width - size, settings.edge_windows)
        y = edge_or_anywhere(rng, ground.height - size, settings.edge_windows)
        window = (x, y, x + size, y + size)
        if any(overlaps(window, box, settings.gap_px) for box in ground.avoid):
            continue
        if all(shown_share(t.box, window) in (0.0, 1.0) or shown_share(t.box, window) >= 0.5 for t in ground.tags):
            return x, y
    return None


def in_place_labels(ground: Ground, x: int, y: int, size: int) -> list[Paste]:
    """The ground's labelled tags the window at ``(x, y)`` shows, as labels in tile pixels (cut by
    the window side: the visible part, ``truncated``); their pixels are already in the photo."""
    out = []
    for t in ground.tags:
        box = (t.box[0] - x, t.box[1] - y, t.box[2] - x, t.box[3] - y)
        visible = (max(0, box[0]), max(0, box[1]), min(size, box[2]), min(size, box[3]))
        if visible[2] <= visible[0] or visible[3] <= visible[1]:
            continue
        cut = visible != box
        out.append(Paste(t.tag_id, t.identity, ground.image, 1.0, 0.0, False, 0.0, 0.0, 0.0, IN_PLACE,
                         box[0], box[1], box, False, cut, visible if cut else None))
    return out


def mask_in_window(ground: Ground, x: int, y: int, settings: SynthSettings) -> list[Rect]:
    """``camera.mask``'s rectangles on the ground photo, in the pixels of the tile window at ``(x, y)``."""
    rects = resolve_mask(settings.mask, ground.width, ground.height, ground.image)
    return [(x0 - x, y0 - y, x1 - x, y1 - y) for x0, y0, x1, y1 in rects]


def draw_paste(rng: np.random.Generator, tag: TagSource, settings: SynthSettings, blend: str,
               taken: Sequence[Rect], floor: int | None = None, cut_sides: Sequence[str] = ()) -> Paste | None:
    """Draw jitter and a free spot for one tag; None when no free spot is found among the
    tags already placed. A tag larger than the tile is shrunk to fit (see :func:`fit_scale`).

    ``floor``: the tag box ends above this tile row (the info bar; default the tile's
    bottom). ``cut_sides``: tile sides (``left``, ``right``, ``top``, ``bottom``) across
    which the tag may be placed, cut, ``settings.cut_tags`` of the time: 50-90% of it
    stays in the tile and the label is that part (a smaller piece lies off the core of
    every detection tile, so no search keeps it).
    """
    size = settings.tile_size
    floor = size if floor is None else floor
    scale, rotation, flip, brightness, contrast, blur = draw_jitter(rng, settings.jitter)
    scale = fit_scale(tag, scale, rotation, flip, settings.clone_pad_px, size)
    _, _, box, _ = pasted_geometry(tag, scale, rotation, flip, settings.clone_pad_px)
    pad = settings.clone_pad_px
    side = None
    if cut_sides and settings.cut_tags and rng.random() < settings.cut_tags:
        side = cut_sides[int(rng.integers(0, len(cut_sides)))]
    spot = free_spot(rng, (box[2] - box[0], box[3] - box[1]), side, floor, taken, settings)
    if spot is None:
        return None
    placed, visible = spot
    return Paste(tag.tag_id, tag.identity, tag.image, scale, rotation, flip, brightness, contrast, blur,
                 blend, placed[0] - pad, placed[1] - pad, placed, tag.difficult, side is not None, visible)


def draw_jitter(rng: np.random.Generator, j: Jitter) -> tuple[float, float, bool, float, float, float]:
    """One paste's (scale, rotation, flip, brightness, contrast, blur), drawn in that order; a range that
    is off draws nothing."""
    scale = float(rng.uniform(j.scale[0], j.scale[1])) if j.scale[0] != j.scale[1] else float(j.scale[0])
    rotation = float(rng.uniform(-j.rotation_deg, j.rotation_deg)) if j.rotation_deg else 0.0
    flip = bool(rng.random() < 0.5) if j.flip else False
    brightness = float(rng.uniform(-j.brightness, j.brightness)) if j.brightness else 0.0
    contrast = float(rng.uniform(-j.contrast, j.contrast)) if j.contrast else 0.0
    blur = float(rng.uniform(0, j.blur_sigma)) if j.blur_sigma else 0.0
    return scale, rotation, flip, brightness, contrast, blur


def free_spot(rng: np.random.Generator, extent: tuple[int, int], side: str | None, floor: int,
              taken: Sequence[Rect], settings: SynthSettings) -> tuple[Rect, Rect | None] | None:
    """A place for a ``extent`` (w, h) tag box clear of ``taken``, above ``floor``, cut by tile side
    ``side`` if one (50-90% shown): the box and, when cut, its visible part; None after
    ``settings.tries`` tries."""
    w, h = extent
    size, pad = settings.tile_size, settings.clone_pad_px
    if floor < h + 2 * pad and side in (None, "left", "right"):
        return None
    for _ in range(settings.tries):
        x = int(rng.integers(pad, size - w - pad + 1))
        y = int(rng.integers(pad, max(pad, min(size, floor) - h - pad) + 1))
        shown = float(rng.uniform(0.5, 0.9)) if side else 1.0
        if side == "left":
            x = int(round(shown * w)) - w
        elif side == "right":
            x = size - int(round(shown * w))
        elif side == "top":
            y = int(round(shown * h)) - h
        elif side == "bottom":
            y = size - int(round(shown * h))
        placed = (x, y, x + w, y + h)
        if placed[3] > floor:
            continue
        visible = (max(0, x), max(0, y), min(size, x + w), min(size, y + h))
        if visible[2] - visible[0] < 4 or visible[3] - visible[1] < 4:
            continue
        if not any(overlaps(placed, other, settings.gap_px) for other in taken):
            return placed, visible if side is not None else None
    return None


def fits_tile(tag: TagSource, scale: float, rotation_deg: float, flip: bool, pad: int, size: int) -> bool:
    """Whether the tag box, jittered and grown by ``pad``, fits in a ``size`` tile."""
    _, _, box, _ = pasted_geometry(tag, scale, rotation_deg, flip, pad)
    return max(box[2] - box[0], box[3] - box[1]) + 2 * pad <= size


def fit_scale(tag: TagSource, scale: float, rotation_deg: float, flip: bool, pad: int, size: int) -> float:
    """``scale``, or the largest smaller one (4 decimals) at which the tag fits in a tile.

    A tag larger than the tile (a close-up) is pasted shrunk rather than never
    pasted; its label is the shrunk box, and ``tiles.csv`` records the scale.
    """
    if fits_tile(tag, scale, rotation_deg, flip, pad, size):
        return scale
    _, _, box, _ = pasted_geometry(tag, scale, rotation_deg, flip, pad)
    fitted = math.floor(scale * (size - 2 * pad) / max(box[2] - box[0], box[3] - box[1]) * 10000) / 10000
    while fitted > 0.0001 and not fits_tile(tag, fitted, rotation_deg, flip, pad, size):
        fitted = round(fitted - 0.0001, 4)
    if fitted <= 0.0001:
        raise SpatuleError(f"{tag.file}: tag {tag.box} cannot be shrunk to fit a {size} px tile")
    return fitted


def ground_order(rng: np.random.Generator, index: int, count: int) -> list[int]:
    """Grounds to try for tile ``index``: its own (``index mod count``) first, then every other one
    once, in an order drawn from the tile's stream."""
    start = index % count
    return [start] + [int(i) for i in rng.permutation(count) if int(i) != start]


def plan_tile(split: str, index: int, seed: int, grounds: Sequence[Ground], tags: Sequence[TagSource],
              settings: SynthSettings) -> TileSpec:
    """Plan one tile from its own random stream."""
    rng = tile_rng(seed, split, index)
    window = None
    ground = grounds[0]
    for choice in ground_order(rng, index, len(grounds)):  # the tile's own photo first, then others until one fits
        ground = grounds[choice]
        window = pick_window(rng, ground, settings)
        if window is not None:
            break
    if window is None:
        shown = ", ".join(f"{g.image} ({g.width}x{g.height})" for g in grounds[:8])
        shown += " ..." if len(grounds) > 8 else ""
        raise SpatuleError(f"no {settings.tile_size}x{settings.tile_size} tag-free window fits in any {split} ground "
                           f"photo: {shown}, with {settings.gap_px} px around labelled tags (synth.gap_px). "
                           "Label larger tag-free photos, or lower synth.tile_size")
    weights = np.asarray(settings.tags_per_tile, dtype=float)
    count = int(rng.choice(len(weights), p=weights / weights.sum()))
    if settings.blend == "mix":
        names = [b for b in BLENDS if settings.blend_mix.get(b, 0) > 0]
        p = np.asarray([settings.blend_mix[b] for b in names], dtype=float)
        blend = names[int(rng.choice(len(names), p=p / p.sum()))]
    else:
        blend = settings.blend
    # tags stay above the info bar; a tag may hang over the tile's bottom only where the photo goes on
    floor = ground.height - settings.info_bar_px - window[1]
    sides = ("left", "right", "top") + (("bottom",) if floor > settings.tile_size else ())
    masked = mask_in_window(ground, window[0], window[1], settings)  # none without camera.mask
    pad = settings.clone_pad_px  # the blend reaches this far past a tag box: it keeps off the mask
    keep_off = [(x0 - pad, y0 - pad, x1 + pad, y1 + pad) for x0, y0, x1, y1 in masked]
    pastes: list[Paste] = [p for p in in_place_labels(ground, window[0], window[1], settings.tile_size)
                           if not is_masked(p.box, masked)]
    for _ in range(count):
        tag = tags[int(rng.integers(0, len(tags)))]
        paste = draw_paste(rng, tag, settings, blend, [p.box for p in pastes] + keep_off, floor, sides)
        if paste is not None:
            pastes.append(paste)
    return TileSpec(split, index, ground.image, window[0], window[1], tuple(pastes))


def plan_split(split: str, count: int, seed: int, grounds: Sequence[Ground], tags: Sequence[TagSource],
               settings: SynthSettings) -> list[TileSpec]:
    """Plan ``count`` tiles of a split. Tile ``i`` starts from ground ``i mod len(grounds)``
    (grounds in name order), so every photo lends about the same number of tiles."""
    if count == 0:
        return []
    if not grounds:
        raise SpatuleError(f"no background photo for split {split}: label tag-free photos (an XML without boxes), "
                           "or set synth.use_labelled_regions: true")
    if not tags:
        raise SpatuleError(f"no tag crop in split {split}")
    grounds = sorted(grounds, key=lambda g: g.image)
    return [plan_tile(split, i, seed, grounds, tags, settings) for i in range(count)]


def shard_tiles(plan: Sequence[TileSpec], shards: int) -> list[list[TileSpec]]:
    """Cut a plan into ``shards`` parts that never share a photo (each photo is decoded once),
    balancing tile counts; deterministic."""
    by_photo: dict[str, list[TileSpec]] = {}
    for spec in plan:
        by_photo.setdefault(spec.image, []).append(spec)
    parts: list[list[TileSpec]] = [[] for _ in range(shards)]
    for image in sorted(by_photo, key=lambda im: (-len(by_photo[im]), im)):
        lightest = min(range(shards), key=lambda s: (len(parts[s]), s))
        parts[lightest].extend(by_photo[image])
    return [sorted(part, key=lambda s: (s.image, s.index)) for part in parts]


def plan_digest(plan: Sequence[TileSpec]) -> str:
    """A short hash of a plan, to check that shards agree on it."""
    return hashlib.sha256(repr(list(plan)).encode()).hexdigest()[:16]
