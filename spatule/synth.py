"""synthesize: 640x640 tiles made by pasting real tags onto tag-free ground.

Two halves. :func:`plan_split` decides everything from CSV tables and the seed,
without touching a pixel: which background window each tile uses, which tags go
where, with which jitter and blend. :func:`render_shard` then follows the plan
for the tiles of one shard, decoding each background photo once for all its
tiles. Every tile draws from its own random stream (seed, split, tile index),
so the bytes of a tile do not depend on the shard count, ``--cores`` or the
order shards run in.

Training sees what detection sees. Tile windows lie anywhere in the photo, a share
of them flush with a photo side (the last tile of a row or column, the info bar at
the bottom, the photo borders), so the model learns to say "nothing" wherever
detection will look; tags are never pasted on the camera's info bar. A share of the
pasted tags is cut by a tile side, as a tile seam or the photo border cuts tags in
detection: the tag is blended into the photo around the window and the tile keeps
what it shows, labelled with the visible part (VOC ``truncated``). A window over a labelled
photo may also show that photo's own tags where they are (``tags_in_place``): real tags in
their real context (leg, bird, light), labelled in place, whole or at least half in view.
Difficult tags (VOC ``difficult``) are never pasted nor shown: they are neither positives
nor negatives.

Labels are the exact pasted tag box (not the crop with its margin), computed
from the real placement. OpenCV's ``seamlessClone`` puts the bounding box of
the mask's non-zero pixels with its top-left at ``p - size // 2``; the mask is
the tag box grown by ``clone_pad_px`` and is made fresh for every call (OpenCV
4.11+ writes into it).
"""

from __future__ import annotations

import hashlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np

from spatule.geometry import Rect, overlaps, shown_share
from spatule.problems import SpatuleError
from spatule.voc import VocAnnotation, voc_object, voc_text

BLENDS = ("normal", "mixed", "alpha", "feather")
IN_PLACE = "in_place"
"""The ``blend`` of a labelled tag a window shows where it is (nothing is pasted)."""
SPLIT_CODES = {"train": 1, "val": 2, "test": 3}


@dataclass(frozen=True)
class Jitter:
    """Ranges of the optional per-paste jitter; the defaults change nothing."""

    scale: tuple[float, float] = (1.0, 1.0)
    rotation_deg: float = 0.0
    flip: bool = False
    brightness: float = 0.0
    contrast: float = 0.0
    blur_sigma: float = 0.0


@dataclass(frozen=True)
class SynthSettings:
    """The ``synth.*`` config keys."""

    tile_size: int = 640
    info_bar_px: int = 0
    tags_in_place: bool = True
    edge_windows: float = 0.3
    cut_tags: float = 0.2
    use_labelled_regions: bool = True
    tags_per_tile: tuple[float, ...] = (0.15, 0.45, 0.25, 0.15)
    blend: str = "normal"
    blend_mix: Mapping[str, float] = field(default_factory=lambda: {"normal": 0.5, "mixed": 0.1, "alpha": 0.1,
                                                                    "feather": 0.3})
    clone_pad_px: int = 4
    gap_px: int = 8
    jitter: Jitter = Jitter()
    jpeg_quality: int = 92
    tries: int = 30

    def __post_init__(self) -> None:
        if self.blend not in (*BLENDS, "mix"):
            raise SpatuleError(f"synth.blend must be one of {', '.join(BLENDS)}, mix; not {self.blend!r}")
        if not self.tags_per_tile or min(self.tags_per_tile) < 0 or sum(self.tags_per_tile) <= 0:
            raise SpatuleError("synth.tags_per_tile must list non-negative weights for 0, 1, 2, ... tags per tile")
        if not (0 <= self.edge_windows <= 1 and 0 <= self.cut_tags <= 1):
            raise SpatuleError("synth.edge_windows and synth.cut_tags are shares between 0 and 1")
        unknown = set(self.blend_mix) - set(BLENDS)
        if unknown or sum(self.blend_mix.values()) <= 0:
            raise SpatuleError(f"synth.blend_mix needs positive weights over {', '.join(BLENDS)}; "
                               f"got {dict(self.blend_mix)}")


@dataclass(frozen=True)
class InPlace:
    """A labelled tag of a ground photo, which a tile window may show where it is."""

    tag_id: str
    identity: str
    box: Rect


@dataclass(frozen=True)
class Ground:
    """A photo that can lend ground: its size, pixel frame, boxes to keep away from, and its own
    labelled tags that a window may show in place (``tags``)."""

    image: str
    width: int
    height: int
    orientation: int
    orientation_applied: bool
    avoid: tuple[Rect, ...] = ()
    tags: tuple[InPlace, ...] = ()


@dataclass(frozen=True)
class TagSource:
    """A tag crop of the split: the file, its size, the exact tag box inside it."""

    tag_id: str
    file: str
    identity: str
    image: str
    width: int
    height: int
    box: Rect
    difficult: bool = False


@dataclass(frozen=True)
class Paste:
    """One tag on a tile: its source, the jitter drawn, the blend, where the mask box goes (tile
    pixels; outside the tile for a tag cut by a tile side), the whole tag box there, and the
    label: the part of it inside the tile (``visible``, only set when ``truncated``)."""

    tag_id: str
    identity: str
    source_image: str
    scale: float
    rotation_deg: float
    flip: bool
    brightness: float
    contrast: float
    blur_sigma: float
    blend: str
    mask_x: int
    mask_y: int
    box: Rect
    difficult: bool
    truncated: bool = False
    visible: Rect | None = None

    @property
    def label(self) -> Rect:
        """The box written in the labels: the whole tag, or the part the tile shows."""
        return self.visible if self.visible is not None else self.box


@dataclass(frozen=True)
class TileSpec:
    """Everything needed to render one tile."""

    split: str
    index: int
    image: str
    window_x: int
    window_y: int
    pastes: tuple[Paste, ...]

    @property
    def tile_id(self) -> str:
        """``train-00042``: the file stem of the tile."""
        return f"{self.split}-{self.index:05d}"


# --- geometry (shared by planning and rendering) ----------------------------------------------


def affine(width: int, height: int, scale: float, rotation_deg: float, flip: bool) -> tuple[np.ndarray, int, int]:
    """The 2x3 matrix of flip -> scale -> rotate about the crop centre, and the canvas that holds it all."""
    theta = math.radians(rotation_deg)
    cos, sin = math.cos(theta) * scale, math.sin(theta) * scale
    fx = -1.0 if flip else 1.0
    linear = np.array([[cos * fx, -sin], [sin * fx, cos]])
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=float) - [width / 2, height / 2]
    moved = corners @ linear.T
    out_w = max(1, int(math.ceil(moved[:, 0].max() - moved[:, 0].min() - 1e-9)))
    out_h = max(1, int(math.ceil(moved[:, 1].max() - moved[:, 1].min() - 1e-9)))
    shift = np.array([out_w / 2, out_h / 2]) - linear @ np.array([width / 2, height / 2])
    return np.hstack([linear, shift[:, None]]), out_w, out_h


def moved_box(matrix: np.ndarray, box: Rect, width: int, height: int) -> Rect:
    """Axis-aligned box around the moved tag box corners (outward to whole pixels, kept on the canvas)."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=float) @ matrix.T
    return (max(0, int(math.floor(corners[:, 0].min() + 1e-6))), max(0, int(math.floor(corners[:, 1].min() + 1e-6))),
            min(width, int(math.ceil(corners[:, 0].max() - 1e-6))),
            min(height, int(math.ceil(corners[:, 1].max() - 1e-6))))


def is_identity(scale: float, rotation_deg: float, flip: bool) -> bool:
    """True when the geometric jitter leaves the crop as it is."""
    return scale == 1.0 and rotation_deg == 0.0 and not flip


def pasted_geometry(tag: TagSource, scale: float, rotation_deg: float, flip: bool,
                    pad: int) -> tuple[int, int, Rect, tuple[int, int, int, int]]:
    """Size of the prepared crop, the tag box in it, and the border (l, t, r, b) added so the
    mask (box grown by ``pad``) keeps one zero pixel all round (OpenCV zeroes the outer frame)."""
    if is_identity(scale, rotation_deg, flip):
        width, height, box = tag.width, tag.height, tag.box
    else:
        matrix, width, height = affine(tag.width, tag.height, scale, rotation_deg, flip)
        box = moved_box(matrix, tag.box, width, height)
    need = pad + 1
    border = (max(0, need - box[0]), max(0, need - box[1]), max(0, need - (width - box[2])),
              max(0, need - (height - box[3])))
    box = (box[0] + border[0], box[1] + border[1], box[2] + border[0], box[3] + border[1])
    return width + border[0] + border[2], height + border[1] + border[3], box, border


# --- planning ---------------------------------------------------------------------------------


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
    j = settings.jitter
    size = settings.tile_size
    floor = size if floor is None else floor
    scale = float(rng.uniform(j.scale[0], j.scale[1])) if j.scale[0] != j.scale[1] else float(j.scale[0])
    rotation = float(rng.uniform(-j.rotation_deg, j.rotation_deg)) if j.rotation_deg else 0.0
    flip = bool(rng.random() < 0.5) if j.flip else False
    brightness = float(rng.uniform(-j.brightness, j.brightness)) if j.brightness else 0.0
    contrast = float(rng.uniform(-j.contrast, j.contrast)) if j.contrast else 0.0
    blur = float(rng.uniform(0, j.blur_sigma)) if j.blur_sigma else 0.0
    scale = fit_scale(tag, scale, rotation, flip, settings.clone_pad_px, size)
    _, _, box, _ = pasted_geometry(tag, scale, rotation, flip, settings.clone_pad_px)
    pad = settings.clone_pad_px
    w, h = box[2] - box[0], box[3] - box[1]
    side = None
    if cut_sides and settings.cut_tags and rng.random() < settings.cut_tags:
        side = cut_sides[int(rng.integers(0, len(cut_sides)))]
    for _ in range(settings.tries):
        if floor < h + 2 * pad and side in (None, "left", "right"):
            return None
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
            return Paste(tag.tag_id, tag.identity, tag.image, scale, rotation, flip, brightness, contrast, blur,
                         blend, x - pad, y - pad, placed, tag.difficult, side is not None,
                         visible if side is not None else None)
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
    pastes: list[Paste] = in_place_labels(ground, window[0], window[1], settings.tile_size)
    for _ in range(count):
        tag = tags[int(rng.integers(0, len(tags)))]
        paste = draw_paste(rng, tag, settings, blend, [p.box for p in pastes], floor, sides)
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


# --- rendering --------------------------------------------------------------------------------


def prepare_crop(crop: np.ndarray, tag: TagSource, paste: Paste, pad: int) -> tuple[np.ndarray, Rect]:
    """Apply the paste's jitter to a crop; returns the pixels and the tag box in them."""
    if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3:
        raise SpatuleError(f"{tag.file}: tag crop must be 8-bit BGR, got {crop.dtype} {crop.shape}")
    width, height, box, border = pasted_geometry(tag, paste.scale, paste.rotation_deg, paste.flip, pad)
    pixels = crop
    if not is_identity(paste.scale, paste.rotation_deg, paste.flip):
        matrix, w, h = affine(tag.width, tag.height, paste.scale, paste.rotation_deg, paste.flip)
        pixels = cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if any(border):
        pixels = cv2.copyMakeBorder(pixels, border[1], border[3], border[0], border[2], cv2.BORDER_REFLECT_101)
    if paste.brightness or paste.contrast:
        pixels = cv2.convertScaleAbs(pixels, alpha=1.0 + paste.contrast, beta=paste.brightness)
    if paste.blur_sigma > 0.05:
        pixels = cv2.GaussianBlur(pixels, (0, 0), paste.blur_sigma)
    assert pixels.shape[:2] == (height, width)
    return np.ascontiguousarray(pixels), box


def paste_tag(tile: np.ndarray, pixels: np.ndarray, box: Rect, paste: Paste, pad: int) -> np.ndarray:
    """Blend the prepared crop into the tile so that its tag box lands on ``paste.box``."""
    h, w = pixels.shape[:2]
    mx0, my0 = box[0] - pad, box[1] - pad
    mx1, my1 = box[2] + pad, box[3] + pad
    mask_w, mask_h = mx1 - mx0, my1 - my0
    if paste.blend in ("normal", "mixed"):
        mask = np.zeros((h, w), np.uint8)  # fresh every call: OpenCV 4.11+ writes into it
        mask[my0:my1, mx0:mx1] = 255
        centre = (paste.mask_x + mask_w // 2, paste.mask_y + mask_h // 2)
        flag = cv2.NORMAL_CLONE if paste.blend == "normal" else cv2.MIXED_CLONE
        return cv2.seamlessClone(pixels, tile, mask, centre, flag)
    region = pixels[my0:my1, mx0:mx1].astype(np.float32)
    if paste.blend == "alpha":
        alpha = np.zeros((mask_h, mask_w), np.float32)
        alpha[pad:-pad or None, pad:-pad or None] = 1.0
    else:  # feather: full tag, context fading out over the pad
        alpha = np.zeros((mask_h, mask_w), np.float32)
        alpha[pad // 2:mask_h - pad // 2, pad // 2:mask_w - pad // 2] = 1.0
        alpha = cv2.GaussianBlur(alpha, (0, 0), max(pad / 2.0, 0.5))
        alpha[pad:mask_h - pad, pad:mask_w - pad] = 1.0
    out = tile.copy()
    target = out[paste.mask_y:paste.mask_y + mask_h, paste.mask_x:paste.mask_x + mask_w].astype(np.float32)
    mixed = region * alpha[..., None] + target * (1.0 - alpha[..., None])
    out[paste.mask_y:paste.mask_y + mask_h, paste.mask_x:paste.mask_x + mask_w] = np.clip(
        mixed + 0.5, 0, 255).astype(np.uint8)
    return out


def is_grey(pixels: np.ndarray) -> bool:
    """Whether an 8-bit BGR image is grey (a night, infrared frame): its channels differ by less
    than 2 grey levels on average."""
    channels = pixels.astype(np.int16)
    spread = np.abs(channels[..., 0] - channels[..., 1]).mean() + np.abs(channels[..., 1] - channels[..., 2]).mean()
    return float(spread) < 4


def canvas_bounds(spec: TileSpec, size: int, pad: int) -> Rect:
    """The area around the tile (tile pixels) that holds the tile and every paste's mask."""
    x0, y0, x1, y1 = 0, 0, size, size
    for p in spec.pastes:
        if p.blend == IN_PLACE:
            continue
        x0, y0 = min(x0, p.box[0] - pad - 1), min(y0, p.box[1] - pad - 1)
        x1, y1 = max(x1, p.box[2] + pad + 1), max(y1, p.box[3] + pad + 1)
    return x0, y0, x1, y1


def photo_canvas(photo: np.ndarray, spec: TileSpec, size: int, pad: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The photo around the tile window, mirrored where it runs past the photo's border, and the
    tile's origin in it."""
    cx0, cy0, cx1, cy1 = canvas_bounds(spec, size, pad)
    height, width = photo.shape[:2]
    x0, y0, x1, y1 = spec.window_x + cx0, spec.window_y + cy0, spec.window_x + cx1, spec.window_y + cy1
    inside = photo[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
    border = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
    if any(border):
        inside = cv2.copyMakeBorder(inside, *border, cv2.BORDER_REFLECT_101)
    return np.ascontiguousarray(inside), (-cx0, -cy0)


def render_tile(canvas: np.ndarray, spec: TileSpec, crops: Mapping[str, np.ndarray],
                tags: Mapping[str, TagSource], pad: int, origin: tuple[int, int] = (0, 0),
                size: int | None = None) -> np.ndarray:
    """The tile: the background with every planned paste, uint8 BGR in and out.

    ``canvas`` holds the tile at ``origin`` and room around it for tags cut by a tile side
    (:func:`photo_canvas`); without such tags the tile itself is enough. On a grey
    (night) background the tags are pasted grey too.
    """
    tile = np.ascontiguousarray(canvas)
    if tile.dtype != np.uint8 or tile.shape[2] != 3:
        raise SpatuleError(f"{spec.image}: background must be 8-bit BGR")
    size = size or min(tile.shape[0] - origin[1], tile.shape[1] - origin[0])
    pasted = [p for p in spec.pastes if p.blend != IN_PLACE]
    grey = bool(pasted) and is_grey(tile[origin[1]:origin[1] + size, origin[0]:origin[0] + size])
    for paste in pasted:
        tag = tags[paste.tag_id]
        pixels, box = prepare_crop(crops[paste.tag_id], tag, paste, pad)
        if grey:
            pixels = cv2.cvtColor(cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        tile = paste_tag(tile, pixels, box, replace(paste, mask_x=paste.mask_x + origin[0],
                                                    mask_y=paste.mask_y + origin[1]), pad)
    return tile[origin[1]:origin[1] + size, origin[0]:origin[0] + size]


def tile_xml(spec: TileSpec, size: int, class_name: str, folder: str) -> bytes:
    """labelImg-compatible VOC XML for a tile."""
    objects = tuple(voc_object(k, class_name, paste.label, paste.difficult, paste.truncated)
                    for k, paste in enumerate(spec.pastes, start=1))
    annotation = VocAnnotation(filename=f"{spec.tile_id}.jpg", folder=folder, path=f"{spec.tile_id}.jpg",
                               width=size, height=size, objects=objects)
    return voc_text(annotation, database="spatule synthetic").encode()


def render_shard(part: Sequence[TileSpec], out_dir: Path, read_ground: Callable[[str], np.ndarray],
                 read_crop: Callable[[str], np.ndarray], tags: Mapping[str, TagSource], settings: SynthSettings,
                 class_name: str, threads: int = 1) -> list[str]:
    """Render and write the tiles of one shard (JPEG + XML). Each photo is decoded once.

    Returns the written tile ids in the part's order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    crops = {tag_id: read_crop(tag_id) for tag_id in sorted({p.tag_id for s in part for p in s.pastes
                                                             if p.blend != IN_PLACE})}
    size = settings.tile_size
    params = [cv2.IMWRITE_JPEG_QUALITY, int(settings.jpeg_quality)]

    def one(spec: TileSpec, photo: np.ndarray) -> str:
        canvas, origin = photo_canvas(photo, spec, size, settings.clone_pad_px)
        tile = render_tile(canvas, spec, crops, tags, settings.clone_pad_px, origin, size)
        ok, jpeg = cv2.imencode(".jpg", tile, params)
        if not ok:
            raise OSError(f"could not encode {spec.tile_id}")
        (out_dir / f"{spec.tile_id}.jpg").write_bytes(jpeg.tobytes())
        (out_dir / f"{spec.tile_id}.xml").write_bytes(tile_xml(spec, size, class_name, spec.split))
        return spec.tile_id

    by_photo: dict[str, list[TileSpec]] = {}
    for spec in part:
        by_photo.setdefault(spec.image, []).append(spec)
    images = list(by_photo)
    futures = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        # decode the next photo while this one's tiles render; at most two photos in memory
        pending = pool.submit(read_ground, images[0]) if images else None
        for k, image in enumerate(images):
            photo = pending.result()
            if k + 1 < len(images):
                pending = pool.submit(read_ground, images[k + 1])
            futures.extend(pool.submit(one, spec, photo) for spec in by_photo[image])
        return [future.result() for future in futures]


def plan_digest(plan: Sequence[TileSpec]) -> str:
    """A short hash of a plan, to check that shards agree on it."""
    return hashlib.sha256(repr(list(plan)).encode()).hexdigest()[:16]
