"""A synthetic field campaign: camera-trap photos of a spoonbill colony with tagged legs.

This is the workflow's default demo input. It is generated deterministically from a
seed and mimics the structure of the real photos: dry grass ground full of thin
bright and dark lines, white fluffy birds partly out of focus, dark legs, and on
some legs a white plastic band (the tag) taller than wide, carrying a 4-character
code written vertically (bottom-to-top) in black bold sans-serif, often visible twice
side by side because the band wraps around the leg; a camera info bar is burned into
the bottom rows. Each photo gets a labelImg-style Pascal VOC XML beside it, and
``identities.csv`` says which bird (code) each box shows.

It is as hard as the real colony's photos in the ways that matter for detection:
tags partly hidden by the other leg, a feather or grass blades (the box is still the
whole band, as a person draws it); tags cut by the photo border (the box is the
visible part, VOC ``truncated``); far, blurred tags nobody can read (VOC
``difficult``, identity ``far-<photo>-<k>``); look-alikes that are not tags (yellow
nest markers with black digits, white plastic litter, feathers); lighting that
changes from photo to photo (exposure, colour, cloud shadows) and grey infrared
night frames.

Box convention everywhere: ``(xmin, ymin, xmax, ymax)`` integer pixels, ``xmax`` and
``ymax`` exclusive; the box is the tight axis-aligned box of the visible band.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Sequence
from xml.sax.saxutils import escape

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

TAG_ALPHABET = "ABCDFHJLNPSTVXYZ123569"
"""Characters printed on the tags (no vowels E/I/O/U, no 0/4/7/8)."""

CODE_LENGTH = 4
"""Characters per tag code."""

FONT_PATH = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"
"""The TrueType font of the codes and the info bar (shipped by matplotlib)."""

REFERENCE_SIZE = (1600, 1200)
"""Photo size at which tag sizes are specified; other sizes scale them."""

FOREIGN_ROOT = PurePosixPath("/home/fieldwork/camera-trap")
"""Where the photos lay on the labeller's machine (``<path>`` in the XML, as labelImg writes)."""

CAMPAIGN_START = datetime(2018, 5, 7, 6, 0, 0)
"""Date and time of the first photo; photo ``i`` is taken ``i * PHOTO_INTERVAL`` later."""

PHOTO_INTERVAL = timedelta(minutes=10)

Box = tuple[int, int, int, int]
"""``(xmin, ymin, xmax, ymax)`` integer pixels, ``xmax``/``ymax`` exclusive."""

Point = tuple[float, float]

_SUPERSAMPLE = 4
_SUB_FOLDER = "camera2"


@dataclass(frozen=True)
class DemoParams:
    """What to generate. Field names match the workflow config ``demo:`` section."""

    seed: int = 2018
    photos: int = 30
    """Total number of photos."""
    identities: int = 14
    """Distinct tag codes (birds), in nest groups of 1-3; each appears in at least 2 photos."""
    width: int = 1600
    height: int = 1200
    background_fraction: float = 0.25
    """Share of photos with no tag at all (they may still show untagged birds)."""
    info_bar_px: int = 40
    """Height of the camera info bar burned into the bottom rows (0: none)."""
    jpeg_quality: int = 90
    night_fraction: float = 0.15
    """Share of grey infrared night frames."""
    hard_cases: bool = True
    """Occluded tags, tags cut by the photo border, far difficult tags, look-alikes, cloud shadows."""

    def __post_init__(self) -> None:
        if self.photos < 1:
            raise ValueError(f"demo photos must be >= 1, got {self.photos}")
        if self.identities < 0:
            raise ValueError(f"demo identities must be >= 0, got {self.identities}")
        if not 0.0 <= self.background_fraction <= 1.0:
            raise ValueError(f"demo background_fraction must be in [0, 1], got {self.background_fraction}")
        if self.width < 320 or self.height < 240:
            raise ValueError(f"demo photos must be at least 320x240, got {self.width}x{self.height}")
        if not 0 <= self.info_bar_px <= self.height // 4:
            raise ValueError(f"demo info_bar_px must be in [0, height/4], got {self.info_bar_px}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"demo jpeg_quality must be in [1, 100], got {self.jpeg_quality}")
        if not 0.0 <= self.night_fraction <= 1.0:
            raise ValueError(f"demo night_fraction must be in [0, 1], got {self.night_fraction}")
        tag_photos = self.tag_photos
        if self.identities == 0 and tag_photos > 0:
            raise ValueError("demo identities is 0 but some photos must show tags; "
                             "set background_fraction to 1 or identities >= 1")
        if self.identities > 0:
            if tag_photos < 2:
                raise ValueError(f"demo: {tag_photos} photo(s) with tags cannot show each identity twice; "
                                 "add photos or lower background_fraction")
            if self.identities > 3 * (tag_photos // 2):
                raise ValueError(f"demo: {self.identities} identities in nest groups of at most 3, each group "
                                 f"seen in 2 photos, need {2 * -(-self.identities // 3)} photos with tags, "
                                 f"not {tag_photos}; add photos or lower background_fraction")
            if len(TAG_ALPHABET) ** CODE_LENGTH < self.identities:
                raise ValueError("demo: more identities than distinct codes")

    @property
    def background_photos(self) -> int:
        """Number of tag-free photos: ``background_fraction`` of the photos, rounded half up."""
        return int(math.floor(self.photos * self.background_fraction + 0.5))

    @property
    def tag_photos(self) -> int:
        """Number of photos showing at least one tag."""
        return self.photos - self.background_photos

    @property
    def scale(self) -> float:
        """Size of the scene relative to a 1600x1200 photo."""
        return min(self.width / REFERENCE_SIZE[0], self.height / REFERENCE_SIZE[1])


@dataclass(frozen=True)
class DemoTag:
    """A labelled tag of a demo photo: its box, the bird's identity and the VOC flags."""

    box: Box
    identity: str
    difficult: bool = False
    truncated: bool = False
    occluded: bool = False


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_campaign` wrote."""

    photos: int
    tag_photos: int
    background_photos: int
    tags: int
    identities: int
    difficult: int = 0
    truncated: int = 0
    occluded: int = 0
    night_photos: int = 0


@dataclass(frozen=True)
class PlannedPhoto:
    """One photo of the campaign before rendering: its name and which codes it shows."""

    index: int
    image: str
    """Path relative to the photos folder, forward slashes."""
    codes: tuple[str, ...]
    camera: str


@dataclass(frozen=True)
class Bird:
    """Geometry of one standing spoonbill, in photo pixels.

    ``legs`` holds (hip, knee, foot) per visible leg, the first one being the leg
    that may carry the tag. ``facing`` is +1 (head to the right) or -1.
    """

    body_center: Point
    body_axes: Point
    body_angle: float
    legs: tuple[tuple[Point, Point, Point], ...]
    unit: float
    """Size scale: the height of a tag on this bird's leg."""
    leg_width: float
    facing: int
    head: Point
    head_radius: float
    neck: tuple[Point, ...]
    bill_tip: Point | None
    blur: float

    def bbox(self) -> tuple[float, float, float, float]:
        """A box holding everything :func:`draw_bird` may change (shadow, blur halo included)."""
        a, b = self.body_axes
        t = math.radians(self.body_angle)
        hw = math.sqrt((a * math.cos(t)) ** 2 + (b * math.sin(t)) ** 2) * 1.15
        hh = math.sqrt((a * math.sin(t)) ** 2 + (b * math.cos(t)) ** 2) * 1.15
        cx, cy = self.body_center
        xs = [cx - hw - 0.5 * a, cx + hw + 0.5 * a]  # tail and fluff
        ys = [cy - hh - 0.4 * b, cy + hh]
        reach = self.head_radius * 1.2
        for x, y in (*self.neck, self.head):
            xs += [x - reach, x + reach]
            ys += [y - reach, y + reach]
        if self.bill_tip is not None:
            xs += [self.bill_tip[0] - 0.3 * b, self.bill_tip[0] + 0.3 * b]
            ys += [self.bill_tip[1] - 0.3 * b, self.bill_tip[1] + 0.3 * b]
        toe = 1.1 * self.unit
        for leg in self.legs:
            for x, y in leg:
                xs += [x - self.leg_width - toe, x + self.leg_width + toe]
                ys += [y - self.leg_width, y + self.leg_width + 0.5 * toe]
        pad = 3.0 * self.blur + 4.0
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad

    @property
    def ground_y(self) -> float:
        """Image row of the lowest foot: larger is closer to the camera."""
        return max(leg[2][1] for leg in self.legs)


# --------------------------------------------------------------------------- codes and plan


def random_code(rng: np.random.Generator) -> str:
    """A random tag code: :data:`CODE_LENGTH` characters of :data:`TAG_ALPHABET`."""
    picks = rng.integers(0, len(TAG_ALPHABET), size=CODE_LENGTH)
    return "".join(TAG_ALPHABET[int(i)] for i in picks)


def distinct_codes(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` different random codes, in drawing order."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = random_code(rng)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def photo_names(count: int) -> list[str]:
    """File names as in a real collection, relative to the photos folder.

    Mostly ``IMAG0001.JPG``; from 6 photos on some are named like ``7mai2018 (3).JPG``
    (spaces and parentheses), and from 5 photos on a fifth lie in ``camera2/``.
    """
    sub = count // 5 if count >= 5 else 0
    spaced = count // 6 if count >= 6 else 0
    plain = count - sub - spaced
    names = [f"IMAG{i + 1:04d}.JPG" for i in range(plain)]
    names += [f"7mai2018 ({k + 1}).JPG" for k in range(spaced)]
    names += [f"{_SUB_FOLDER}/IMAG{k + 107:04d}.JPG" for k in range(sub)]
    return names


def plan_campaign(params: DemoParams, rng: np.random.Generator) -> list[PlannedPhoto]:
    """Decide names, which photos are tag-free and which codes each photo shows.

    The identities are split into nest groups of 1-3 birds (about one group per two
    identities); a tag photo shows 1 to all of the birds of ONE group, so the same
    neighbours are seen together again and again. Each group gets at least 2 tag
    photos (more for bigger groups); each identity appears in 2-4 of its group's
    photos (more only when needed to give every photo of the group a tag).
    """
    n_tag = params.tag_photos
    codes = distinct_codes(rng, params.identities)
    assignment: list[list[str]] = []
    if codes:
        n_id = len(codes)
        n_groups = min(max((n_id + 1) // 2 + int(rng.integers(-1, 2)), -(-n_id // 3)), n_id, n_tag // 2)
        sizes = np.ones(n_groups, dtype=int)
        for _ in range(n_id - n_groups):
            growable = np.flatnonzero(sizes < 3)
            sizes[growable[rng.integers(len(growable))]] += 1
        # 2 photos per group, the other tag photos to the groups in proportion to their size
        extra = rng.choice(np.repeat(np.arange(n_groups), sizes), size=n_tag - 2 * n_groups)
        group_photos = 2 + np.bincount(extra, minlength=n_groups)
        first = 0
        for size, n_photos in zip(sizes, group_photos):
            group, first = codes[first: first + size], first + size
            counts = np.minimum(rng.integers(2, 5, size=size), n_photos)
            while counts.sum() < n_photos:
                growable = np.flatnonzero(counts < n_photos)
                counts[growable[rng.integers(len(growable))]] += 1
            photos: list[list[str]] = [[] for _ in range(n_photos)]
            for code, count in zip(group, counts):  # each bird into its least crowded photos
                ties = rng.random(n_photos)
                for q in sorted(range(n_photos), key=lambda q: (len(photos[q]), ties[q]))[:count]:
                    photos[q].append(code)
            assignment += photos
    names = photo_names(params.photos)
    background = set(int(i) for i in rng.choice(params.photos, size=params.background_photos, replace=False))
    tag_order = rng.permutation(n_tag)
    planned: list[PlannedPhoto] = []
    k = 0
    for index, name in enumerate(names):
        shown: tuple[str, ...] = ()
        if index not in background:
            shown = tuple(assignment[int(tag_order[k])][j] for j in rng.permutation(len(assignment[int(tag_order[k])])))
            k += 1
        camera = "CAM-2" if name.startswith(_SUB_FOLDER + "/") else "CAM-1"
        planned.append(PlannedPhoto(index, name, shown, camera))
    return planned


# --------------------------------------------------------------------------- the tag


@lru_cache(maxsize=256)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _text_column(code: str, length: float, max_width: float) -> np.ndarray:
    """The code rendered horizontally then turned 90 degrees (reads bottom-to-top).

    Returns ink coverage in [0, 1], about ``length`` tall and at most ``max_width`` wide.
    """
    size = max(6, int(round(100 * length / _font(100).getlength(code))))
    for _ in range(40):
        font = _font(size)
        left, top, right, bottom = font.getbbox(code)
        if bottom - top <= max_width or size <= 6:
            break
        size = max(6, int(size * 0.93))
    canvas = Image.new("L", (int(math.ceil(right - left)) + 4, int(math.ceil(bottom - top)) + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), code, fill=255, font=font)
    column = canvas.rotate(90, expand=True)
    ink = np.asarray(column, dtype=np.float32) / 255.0
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    return ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def render_tag(code: str, rng: np.random.Generator, band_height: float, band_width: float,
               angle_deg: float = 0.0, shear: float = 0.0, blur_sigma: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    """Render a white band carrying ``code`` as seen around a leg.

    The code is printed vertically (reading bottom-to-top) 3 to 6 times around the
    band, so one or two copies face the camera; the band is shaded as a cylinder,
    slightly dirty, with a faint seam. It is then turned by ``angle_deg`` (the leg
    direction: positive moves the bottom to the right), slanted by a vertical
    ``shear`` and blurred by ``blur_sigma`` pixels.

    Returns ``(bgr, mask)``: a uint8 BGR image and a float32 coverage mask in [0, 1]
    of the same size, the band centred; composite as ``img*(1-mask) + bgr*mask``.
    """
    s = _SUPERSAMPLE
    hs = max(8, int(round(band_height * s)))
    ws = max(6, int(round(band_width * s)))
    radius = ws / 2.0
    circumference = int(round(math.pi * ws))
    copies = int(rng.integers(3, 7))  # printed 3-6 times around: one or two copies face the camera
    spacing = circumference / copies
    # Ink texture of the unrolled band: the code column repeated around it.
    column = _text_column(code, hs * rng.uniform(0.78, 0.88), min(0.42 * ws, 0.62 * spacing))
    ch, cw = column.shape
    base = np.zeros((hs, circumference), dtype=np.float32)
    top = int(round((hs - ch) / 2 + rng.uniform(-0.03, 0.03) * hs))
    top = min(max(top, 0), hs - ch)
    left = circumference // 2 - cw // 2
    base[top: top + ch, left: left + cw] = column[: hs - top]
    ink = base.copy()
    for k in range(1, copies):
        ink = np.maximum(ink, np.roll(base, int(round(k * spacing)), axis=1))
    seam_u = int(round(circumference / 2 + spacing / 2 + rng.uniform(-0.15, 0.15) * spacing)) % circumference
    seam_w = max(1, s // 2)
    ink[:, seam_u: seam_u + seam_w] = np.maximum(ink[:, seam_u: seam_u + seam_w], rng.uniform(0.2, 0.4))
    # Albedo: dirt (low-frequency) and darker rims at the top and bottom edges.
    dirt_grid = rng.uniform(1.0 - rng.uniform(0.05, 0.2), 1.0, size=(4, 8)).astype(np.float32)
    dirt = cv2.resize(dirt_grid, (circumference, hs), interpolation=cv2.INTER_CUBIC)
    rows = np.arange(hs, dtype=np.float32)
    edge = np.minimum(rows, hs - 1 - rows) / max(1.0, 0.05 * hs)
    rim = (0.78 + 0.22 * np.clip(edge, 0.0, 1.0))[:, None]
    albedo = dirt * rim * (1.0 - ink * rng.uniform(0.82, 0.93))
    albedo = np.concatenate([albedo, albedo[:, :4]], axis=1)
    coverage_tex = np.ones_like(albedo)
    # Project the cylinder: x_out = R sin(theta), arc u = R theta; the front bulges down.
    bulge = rng.uniform(0.0, 0.07) * hs
    out_h = hs + int(math.ceil(bulge)) + 2
    xs = (np.arange(ws, dtype=np.float32) + 0.5 - radius) / radius
    theta = np.arcsin(np.clip(xs, -0.999, 0.999))
    front_offset = rng.uniform(-0.15, 0.15) * ws
    u = np.mod(circumference / 2 + radius * theta - front_offset, circumference).astype(np.float32)
    ys = np.arange(out_h, dtype=np.float32)[:, None]
    map_x = np.broadcast_to(u[None, :], (out_h, ws)).astype(np.float32)
    map_y = (ys - 1.0 - bulge * np.cos(theta)[None, :]).astype(np.float32)
    albedo_img = cv2.remap(albedo, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    coverage = cv2.remap(coverage_tex, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    light = rng.uniform(-0.6, 0.6)
    ambient = rng.uniform(0.45, 0.6)
    shade = ambient + (1.0 - ambient) * np.maximum(0.0, np.cos(theta - light))
    shade += rng.uniform(0.0, 0.12) * np.exp(-(((theta - light / 2) / 0.18) ** 2))
    white = rng.uniform(195.0, 248.0)
    tint = rng.uniform(0.0, 1.0)
    colour = white * np.array([1.0 - 0.12 * tint, 1.0 - 0.04 * tint, 1.0], dtype=np.float32)
    premult = albedo_img[:, :, None] * shade[None, :, None].astype(np.float32) * colour[None, None, :]
    # Turn and slant around the band centre, into a canvas that holds it whole.
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    lin = rot @ np.array([[1.0, 0.0], [shear, 1.0]])
    centre = np.array([ws / 2.0, out_h / 2.0])
    corners = (np.array([[0, 0], [ws, 0], [0, out_h], [ws, out_h]], dtype=np.float64) - centre) @ lin.T
    pad = (3.0 * blur_sigma + 2.0) * s
    half_w = np.abs(corners[:, 0]).max() + pad
    half_h = np.abs(corners[:, 1]).max() + pad
    canvas_w = int(math.ceil(2 * half_w / s)) * s
    canvas_h = int(math.ceil(2 * half_h / s)) * s
    matrix = np.hstack([lin, (np.array([canvas_w / 2.0, canvas_h / 2.0]) - lin @ centre)[:, None]])
    premult = cv2.warpAffine(premult, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    coverage = cv2.warpAffine(coverage, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    small = (canvas_w // s, canvas_h // s)
    premult = cv2.resize(premult, small, interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(coverage, small, interpolation=cv2.INTER_AREA)
    if blur_sigma > 0:
        premult = cv2.GaussianBlur(premult, (0, 0), blur_sigma)
        coverage = cv2.GaussianBlur(coverage, (0, 0), blur_sigma)
    coverage = np.clip(coverage, 0.0, 1.0)
    bgr = premult / np.maximum(coverage, 1e-3)[:, :, None]
    bgr = np.clip(bgr + 0.5, 0, 255).astype(np.uint8)
    return bgr, coverage.astype(np.float32)


def mask_box(mask: np.ndarray, threshold: float = 0.5) -> Box:
    """Tight box ``(x0, y0, x1, y1)`` (exclusive ends) of ``mask > threshold``."""
    inside = mask > threshold
    cols = np.flatnonzero(inside.any(axis=0))
    rows = np.flatnonzero(inside.any(axis=1))
    if cols.size == 0:
        raise ValueError("empty mask")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def composite(image: np.ndarray, bgr: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    """Blend ``bgr`` with coverage ``mask`` into ``image`` (in place), top-left at ``(x, y)``;
    what falls outside the image is dropped."""
    h, w = mask.shape
    height, width = image.shape[:2]
    ax0, ay0, ax1, ay1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if ax1 <= ax0 or ay1 <= ay0:
        return
    roi = image[ay0:ay1, ax0:ax1].astype(np.float32)
    m = mask[ay0 - y:ay1 - y, ax0 - x:ax1 - x, None]
    src = bgr[ay0 - y:ay1 - y, ax0 - x:ax1 - x].astype(np.float32)
    image[ay0:ay1, ax0:ax1] = np.clip(roi * (1.0 - m) + src * m + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- the scene


def _lines(rng: np.random.Generator, count: int, width: int, height: int, length: tuple[float, float],
           bend: float, points: int = 3) -> list[np.ndarray]:
    """Random gently curved polylines (grass blades, twigs) as int32 point arrays (shift 2)."""
    start = rng.uniform([-40, -40], [width + 40, height + 40], size=(count, 2))
    angle = rng.uniform(0, math.pi, size=count)
    size = np.exp(rng.uniform(math.log(length[0]), math.log(length[1]), size=count))
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
    curve = rng.normal(0.0, bend, size=count)
    t = np.linspace(0.0, 1.0, points)
    pts = (start[:, None, :] + direction[:, None, :] * (size[:, None, None] * t[None, :, None])
           + normal[:, None, :] * (curve[:, None, None] * size[:, None, None] * (t * (1 - t))[None, :, None]))
    return list(np.round(pts * 4).astype(np.int32))


def draw_ground(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Dry grass and twigs: grey-brown, patchy, full of thin bright and dark lines. uint8 BGR."""
    s = max(0.4, min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1]))
    # Colour varies along brightness and a grey-to-khaki axis only (never purple or green).
    khaki = np.array([-12.0, 5.0, 13.0])
    base = 110.0 + rng.normal(0.0, 6.0) + rng.uniform(0.3, 1.2) * khaki

    def field(rows: int, cols: int, interpolation: int) -> np.ndarray:
        small = rng.standard_normal((max(2, rows), max(2, cols))).astype(np.float32)
        return cv2.resize(small, (width, height), interpolation=interpolation)

    luma = cv2.addWeighted(field(4, 5, cv2.INTER_CUBIC), 10.0,
                           field(height // 24, width // 24, cv2.INTER_CUBIC), 9.0, 0)
    luma = cv2.addWeighted(luma, 1.0, field(height // 2, width // 2, cv2.INTER_LINEAR), 7.0, 0)
    warmth = field(3, 4, cv2.INTER_CUBIC) * np.float32(0.35)
    channels = [luma + warmth * np.float32(k) + np.float32(b) for k, b in zip(khaki, base, strict=True)]
    img = cv2.merge([np.clip(c, 0, 255).astype(np.uint8) for c in channels])
    area = width * height / 1e6
    # Fine litter: many short blades, dark ones under bright ones.
    palettes: list[tuple[tuple[float, float, float], int]] = [
        ((46, 54, 58), 1), ((60, 70, 76), 1), ((76, 90, 98), 2), ((118, 142, 152), 2),
        ((138, 166, 178), 1), ((160, 190, 202), 1), ((182, 206, 216), 1), ((200, 216, 222), 1)]
    blades = int(2600 * area)
    for colour, thick in palettes:
        jitter = rng.normal(0.0, 7.0, size=3)
        bgr = tuple(float(np.clip(v + j, 0, 255)) for v, j in zip(colour, jitter, strict=True))
        lines = _lines(rng, blades // len(palettes), width, height, (14 * s, 110 * s), 0.25)
        cv2.polylines(img, lines, False, bgr, max(1, int(round(thick * s))), cv2.LINE_AA, shift=2)
    # Twigs: fewer, longer, thicker, dark grey-brown.
    twigs = _lines(rng, int(40 * area) + 3, width, height, (80 * s, 320 * s), 0.15, points=5)
    for twig in twigs:
        shade = float(rng.uniform(40, 85))
        colour = (shade * 0.85, shade * 0.97, shade * 1.05)
        cv2.polylines(img, [twig], False, colour, max(1, int(rng.integers(2, 5) * s)), cv2.LINE_AA, shift=2)
    # Guano splashes and pale pebbles: small whitish blobs.
    for _ in range(int(rng.integers(4, 12) * area) + 1):
        centre = (int(rng.uniform(0, width) * 4), int(rng.uniform(0, height) * 4))
        axes = (max(1, int(rng.uniform(2, 9) * s * 4)), max(1, int(rng.uniform(2, 6) * s * 4)))
        tone = float(rng.uniform(175, 230))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, (tone, tone, tone + 5), -1, cv2.LINE_AA, 2)
    # Depth of field: the far ground (top) is softer.
    far = int(0.45 * height)
    top = img[:far]
    soft = cv2.GaussianBlur(top, (0, 0), 2.2 * s)
    weights = _depth_weights(far, width)
    img[:far] = cv2.blendLinear(soft, top, weights, 1.0 - weights)
    return img


@lru_cache(maxsize=4)
def _depth_weights(rows: int, cols: int) -> np.ndarray:
    ramp = np.clip(1.0 - np.arange(rows, dtype=np.float32) / rows, 0.0, 1.0)
    weights = np.ascontiguousarray(np.broadcast_to(ramp[:, None], (rows, cols)))
    weights.setflags(write=False)
    return weights


def _ellipse_pts(center: Point, axes: Point, angle: float,
                 shift: int = 2) -> tuple[tuple[int, int], tuple[int, int], float]:
    """``cv2.ellipse`` centre, axes and angle in fixed point (``shift`` fractional bits)."""
    f = 1 << shift
    return ((int(round(center[0] * f)), int(round(center[1] * f))),
            (max(1, int(round(axes[0] * f))), max(1, int(round(axes[1] * f)))), angle)


def _point(p: np.ndarray) -> Point:
    return float(p[0]), float(p[1])


def _pt(p: Point, origin: Point, shift: int = 2) -> tuple[int, int]:
    f = 1 << shift
    return int(round((p[0] - origin[0]) * f)), int(round((p[1] - origin[1]) * f))


def make_bird(rng: np.random.Generator, anchor: Point, unit: float, angle: float, band: float | None = None) -> Bird:
    """A standing bird whose first leg passes through ``anchor`` in direction ``angle``.

    ``unit`` is the size scale (the height of a tag on that leg); ``angle`` in radians,
    0 is straight down, positive puts the foot to the right. ``band`` (the tag height)
    keeps the leg straight and bare over the tag and the body clear above it.
    """
    half = 0.5 * (band if band is not None else unit)
    d = np.array([math.sin(angle), math.cos(angle)])
    c = np.array(anchor, dtype=np.float64)
    if rng.random() < 0.7:  # tag on the tarsus, the joint above it
        knee = c - d * (half + unit * rng.uniform(0.35, 1.0))
        foot = c + d * (half + unit * rng.uniform(0.4, 1.1))
        a1 = angle + rng.uniform(-0.35, 0.35)
        hip = knee - np.array([math.sin(a1), math.cos(a1)]) * unit * rng.uniform(0.9, 1.5)
    else:  # on the tibia, the joint below it
        hip = c - d * (half + unit * rng.uniform(0.8, 1.1))
        knee = c + d * (half + unit * rng.uniform(0.35, 0.8))
        a2 = angle + rng.uniform(-0.3, 0.3)
        foot = knee + np.array([math.sin(a2), math.cos(a2)]) * unit * rng.uniform(1.0, 1.7)
    a_axis = unit * rng.uniform(1.9, 2.7)
    b_axis = a_axis * rng.uniform(0.42, 0.58)
    facing = 1 if rng.random() < 0.5 else -1
    body = (float(hip[0] + rng.uniform(-0.3, 0.3) * a_axis), float(hip[1] - b_axis * rng.uniform(0.8, 0.92)))
    body_angle = float(rng.uniform(-12, 12))
    legs = [(hip, knee, foot)]
    if rng.random() < 0.75:  # the other leg (spoonbills often rest on one)
        hip2 = hip + np.array([-facing * rng.uniform(0.2, 0.45) * a_axis, rng.uniform(-0.1, 0.1) * b_axis])
        t1 = rng.uniform(-0.35, 0.35)
        knee2 = hip2 + np.array([math.sin(t1), math.cos(t1)]) * float(np.linalg.norm(knee - hip))
        t2 = rng.uniform(-0.3, 0.3)
        shin = float(np.linalg.norm(foot - knee)) * rng.uniform(0.9, 1.1)
        foot2 = knee2 + np.array([math.sin(t2), math.cos(t2)]) * shin
        legs.append((hip2, knee2, foot2))
    cx, cy = body
    if rng.random() < 0.45:  # asleep: head tucked on the back
        head = (cx + facing * 0.45 * a_axis, cy - 0.8 * b_axis)
        neck: tuple[Point, ...] = ()
        bill = None
        head_radius = 0.42 * b_axis
    else:
        base = np.array([cx + facing * 0.7 * a_axis, cy - 0.35 * b_axis])
        head_arr = base + np.array([facing * rng.uniform(0.1, 0.6) * a_axis, -rng.uniform(0.8, 1.4) * a_axis])
        ctrl = base + np.array([-facing * 0.2 * a_axis, -0.6 * a_axis])
        t = np.linspace(0.0, 1.0, 25)[:, None]
        curve = (1 - t) ** 2 * base + 2 * t * (1 - t) * ctrl + t ** 2 * head_arr
        neck = tuple((float(x), float(y)) for x, y in curve)
        head = (float(head_arr[0]), float(head_arr[1]))
        beta = rng.uniform(-0.3, 1.3)
        bill_len = a_axis * rng.uniform(0.7, 1.0)
        bill = (head[0] + facing * math.cos(beta) * bill_len, head[1] + math.sin(beta) * bill_len)
        head_radius = 0.3 * b_axis
    legs_t = tuple((_point(h), _point(k), _point(f)) for h, k, f in legs)
    return Bird(body, (a_axis, b_axis), body_angle, legs_t, unit, unit * rng.uniform(0.2, 0.27), facing,
                head, head_radius, neck, bill, float(rng.uniform(1.2, 4.5) * unit / 60.0 + 0.6))


def _paint(roi: np.ndarray, alpha: np.ndarray, colour: object, strength: float = 1.0) -> None:
    """Blend into ``roi`` (uint8 BGR, in place) where the uint8 ``alpha`` is non-zero.

    ``colour`` is a BGR triple or a function ``(y0, y1, x0, x1) -> float32 (h, w, 3)``
    giving the colour over that rectangle; only the tight box of ``alpha`` is touched.
    """
    x, y, w, h = cv2.boundingRect(alpha)
    if w == 0 or h == 0:
        return
    a = alpha[y: y + h, x: x + w].astype(np.float32)[:, :, None] * np.float32(strength / 255.0)
    region = roi[y: y + h, x: x + w].astype(np.float32)
    col = colour(y, y + h, x, x + w) if callable(colour) else np.asarray(colour, dtype=np.float32)
    region += a * (col - region)
    region += 0.5
    np.clip(region, 0, 255, out=region)
    roi[y: y + h, x: x + w] = region.astype(np.uint8)


def draw_bird(image: np.ndarray, bird: Bird, rng: np.random.Generator) -> None:
    """Paint ``bird`` into ``image`` (uint8 BGR, in place): shadow, dark legs, white fluffy body."""
    height, width = image.shape[:2]
    bx0, by0, bx1, by1 = bird.bbox()
    x0, y0 = max(0, int(bx0)), max(0, int(by0))
    x1, y1 = min(width, int(math.ceil(bx1))), min(height, int(math.ceil(by1)))
    if x1 <= x0 or y1 <= y0:
        return
    origin = (float(x0), float(y0))
    roi = image[y0:y1, x0:x1]
    h, w = roi.shape[:2]
    a_axis, b_axis = bird.body_axes
    unit = bird.unit
    f = bird.facing
    # Soft shadow on the ground around the feet (separable Gaussian, its own small box).
    feet = np.array([leg[2] for leg in bird.legs])
    sx, sy = float(feet[:, 0].mean()) - x0, float(feet[:, 1].max()) - y0
    sx0, sx1 = max(0, int(sx - 1.8 * a_axis)), min(w, int(sx + 1.8 * a_axis))
    sy0, sy1 = max(0, int(sy - 0.4 * a_axis)), min(h, int(sy + 0.4 * a_axis))
    if sx1 > sx0 and sy1 > sy0:
        ex = np.exp(-2.5 * ((np.arange(sx0, sx1, dtype=np.float32) - sx) / (1.1 * a_axis)) ** 2)
        ey = np.exp(-2.5 * ((np.arange(sy0, sy1, dtype=np.float32) - sy) / (0.22 * a_axis)) ** 2)
        factor = 1.0 - np.float32(rng.uniform(0.25, 0.45)) * np.outer(ey, ex)
        region = roi[sy0:sy1, sx0:sx1].astype(np.float32) * factor[:, :, None]
        roi[sy0:sy1, sx0:sx1] = (region + 0.5).astype(np.uint8)
    # Legs: dark, a faint highlight along them, thin toes.
    legs = np.zeros((h, w), dtype=np.uint8)
    shine = np.zeros((h, w), dtype=np.uint8)
    lw = max(2, int(round(bird.leg_width)))
    toe_w = max(1, int(round(0.4 * bird.leg_width)))
    for hip, knee, foot in bird.legs:
        pts = np.array([_pt(hip, origin), _pt(knee, origin), _pt(foot, origin)], dtype=np.int32)
        cv2.polylines(legs, [pts], False, 255, lw, cv2.LINE_AA, 2)
        cv2.circle(legs, _pt(knee, origin), int(0.6 * lw * 4), 255, -1, cv2.LINE_AA, 2)
        for toe in (-0.9, 0.0, 0.9):
            end = (foot[0] + f * math.cos(toe) * 0.85 * unit, foot[1] + math.sin(toe) * 0.16 * unit)
            cv2.line(legs, _pt(foot, origin), _pt(end, origin), 255, toe_w, cv2.LINE_AA, 2)
        hind = (foot[0] - f * 0.3 * unit, foot[1] - 0.03 * unit)
        cv2.line(legs, _pt(foot, origin), _pt(hind, origin), 255, toe_w, cv2.LINE_AA, 2)
        off = bird.leg_width * 0.22
        shine_pts = np.array([_pt((p[0] - off, p[1]), origin) for p in (hip, knee, foot)], dtype=np.int32)
        cv2.polylines(shine, [shine_pts], False, 255, max(1, lw // 4), cv2.LINE_AA, 2)
    leg_tone = rng.uniform(28, 52)
    leg_colour = (leg_tone, leg_tone * 1.02, leg_tone * 1.06)
    _paint(roi, cv2.GaussianBlur(legs, (0, 0), 0.7), leg_colour)
    _paint(roi, cv2.GaussianBlur(cv2.min(shine, legs), (0, 0), 0.7), tuple(v + 55 for v in leg_colour), 0.35)
    # Body: rounded breast, tapering tail, fluff along the back, folded-wing lines, out of focus.
    layers = np.zeros((h, w, 3), dtype=np.uint8)  # 0: body mask, 1: feather lines, 2: breast tint
    body = np.zeros((h, w), dtype=np.uint8)
    cx, cy = bird.body_center[0] - x0, bird.body_center[1] - y0
    ang = bird.body_angle
    cv2.ellipse(body, *_ellipse_pts((cx, cy), (a_axis, b_axis), ang), 0, 360, 255, -1, cv2.LINE_AA, 2)
    cv2.ellipse(body, *_ellipse_pts((cx + f * 0.5 * a_axis, cy + 0.02 * b_axis), (0.5 * a_axis, 0.95 * b_axis), ang),
                0, 360, 255, -1, cv2.LINE_AA, 2)
    tail = (cx - f * 0.85 * a_axis, cy - 0.08 * b_axis)
    cv2.ellipse(body, *_ellipse_pts(tail, (0.5 * a_axis, 0.26 * b_axis), ang + f * 12), 0, 360, 255, -1,
                cv2.LINE_AA, 2)
    for _ in range(int(rng.integers(3, 7))):
        t = rng.uniform(1.15 * math.pi, 1.9 * math.pi)
        p = (cx + 0.92 * a_axis * math.cos(t), cy + 0.92 * b_axis * math.sin(t))
        r = rng.uniform(0.08, 0.18) * b_axis
        cv2.ellipse(body, *_ellipse_pts(p, (r * 1.6, r), float(rng.uniform(-20, 20))), 0, 360, 255, -1,
                    cv2.LINE_AA, 2)
    for i, p in enumerate(bird.neck):
        r = (0.3 - 0.12 * i / max(1, len(bird.neck) - 1)) * b_axis
        cv2.circle(body, _pt(p, origin), int(r * 4), 255, -1, cv2.LINE_AA, 2)
    cv2.circle(body, _pt(bird.head, origin), int(bird.head_radius * 4), 255, -1, cv2.LINE_AA, 2)
    layers[:, :, 0] = body
    feathers = np.zeros((h, w), dtype=np.uint8)
    thin = max(1, int(round(unit / 30)))
    # The folded wing: its lower edge, and the long primaries towards the tail.
    wing_c = (cx - f * 0.1 * a_axis, cy - 0.15 * b_axis)
    start = 20 if f > 0 else 40
    cv2.ellipse(feathers, *_ellipse_pts(wing_c, (0.85 * a_axis, 0.6 * b_axis), ang), start, start + 120, 255,
                thin + 1, cv2.LINE_AA, 2)
    for _ in range(int(rng.integers(3, 7))):
        p = (cx - f * rng.uniform(0.3, 0.8) * a_axis, cy + rng.uniform(-0.35, 0.3) * b_axis)
        axes = (rng.uniform(0.3, 0.6) * a_axis, rng.uniform(0.06, 0.14) * b_axis)
        cv2.ellipse(feathers, *_ellipse_pts(p, axes, ang + f * float(rng.uniform(-12, 12))), 180 if f > 0 else 0,
                    270 if f > 0 else 90, 255, thin, cv2.LINE_AA, 2)
    layers[:, :, 1] = cv2.min(feathers, body)
    if rng.random() < 0.35:
        tint = np.zeros((h, w), dtype=np.uint8)
        p = (cx + f * 0.6 * a_axis, cy - 0.3 * b_axis)
        cv2.ellipse(tint, *_ellipse_pts(p, (0.3 * a_axis, 0.4 * b_axis), 0.0), 0, 360, 255, -1, cv2.LINE_AA, 2)
        layers[:, :, 2] = cv2.min(tint, body)
    soft = cv2.GaussianBlur(layers, (0, 0), bird.blur)
    white = rng.uniform(224, 248)
    warm = np.array([0.985, 1.0, 1.01], dtype=np.float32) * np.float32(white)
    yellow = np.array([150, 212, 236], dtype=np.float32)
    top = cy - 0.45 * b_axis

    def plumage(ya: int, yb: int, xa: int, xb: int) -> np.ndarray:
        rows = np.arange(ya, yb, dtype=np.float32)
        shade = 1.03 - 0.3 * np.clip((rows - top) / (1.5 * b_axis), 0.0, 1.0)
        colour = shade[:, None, None] * warm[None, None, :]
        lines = soft[ya:yb, xa:xb, 1:2].astype(np.float32) * np.float32(0.2 / 255.0)
        tinted = soft[ya:yb, xa:xb, 2:3].astype(np.float32) * np.float32(0.3 / 255.0)
        colour = colour * (1.0 - lines)
        return colour + tinted * (yellow - colour)

    _paint(roi, np.ascontiguousarray(soft[:, :, 0]), plumage)
    # Bill: dark, spoon-shaped, yellow tip on adults; a red eye.
    if bird.bill_tip is not None:
        bill = np.zeros((h, w), dtype=np.uint8)
        cv2.line(bill, _pt(bird.head, origin), _pt(bird.bill_tip, origin), 255,
                 max(2, int(0.12 * b_axis)), cv2.LINE_AA, 2)
        direction = math.degrees(math.atan2(bird.bill_tip[1] - bird.head[1], bird.bill_tip[0] - bird.head[0]))
        tip = np.zeros((h, w), dtype=np.uint8)
        tip_local = (bird.bill_tip[0] - x0, bird.bill_tip[1] - y0)
        cv2.ellipse(tip, *_ellipse_pts(tip_local, (0.2 * b_axis, 0.11 * b_axis), direction), 0, 360, 255, -1,
                    cv2.LINE_AA, 2)
        sigma = max(0.6, 0.6 * bird.blur)
        _paint(roi, cv2.GaussianBlur(cv2.max(bill, tip), (0, 0), sigma), (48, 50, 56))
        if rng.random() < 0.5:
            _paint(roi, cv2.GaussianBlur(tip, (0, 0), sigma), (70, 165, 200), 0.8)
        eye = np.zeros((h, w), dtype=np.uint8)
        e = (bird.head[0] + f * 0.3 * bird.head_radius, bird.head[1] - 0.2 * bird.head_radius)
        cv2.circle(eye, _pt(e, origin), max(4, int(0.18 * bird.head_radius * 4)), 255, -1, cv2.LINE_AA, 2)
        _paint(roi, cv2.GaussianBlur(eye, (0, 0), 0.8), (40, 40, 150))


def draw_feather(image: np.ndarray, rng: np.random.Generator, center: Point, length: float) -> None:
    """A white feather lying on the ground (a distractor), in place."""
    pad = int(length) + 4
    x0, y0 = max(0, int(center[0]) - pad), max(0, int(center[1]) - pad)
    x1, y1 = min(image.shape[1], int(center[0]) + pad), min(image.shape[0], int(center[1]) + pad)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    local = (center[0] - x0, center[1] - y0)
    cv2.ellipse(mask, *_ellipse_pts(local, (length / 2, length / 7), float(rng.uniform(0, 180))), 0, 360, 255, -1,
                cv2.LINE_AA, 2)
    tone = float(rng.uniform(200, 240))
    _paint(image[y0:y1, x0:x1], cv2.GaussianBlur(mask, (0, 0), 1.0), (tone, tone, tone))


def info_bar(width: int, height: int, when: datetime, temperature_c: int, camera: str) -> np.ndarray:
    """The camera's burned-in bar: black, with temperature, date, time and camera name in white.

    Returns a ``height`` x ``width`` uint8 BGR image.
    """
    bar = Image.new("L", (width, height), 0)
    if height >= 6:
        draw = ImageDraw.Draw(bar)
        font = _font(max(6, int(height * 0.55)))
        mid = height / 2
        fahrenheit = int(round(temperature_c * 9 / 5 + 32))
        margin = max(4, width // 80)
        draw.text((margin, mid), f"{temperature_c}\u00b0C  {fahrenheit}\u00b0F", fill=255, font=font, anchor="lm")
        draw.text((width / 2, mid), when.strftime("%d/%m/%Y  %H:%M:%S"), fill=255, font=font, anchor="mm")
        draw.text((width - margin, mid), camera, fill=255, font=font, anchor="rm")
    grey = np.asarray(bar, dtype=np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


@lru_cache(maxsize=4)
def _vignette(width: int, height: int) -> np.ndarray:
    yy = (np.arange(height, dtype=np.float32) - height / 2) / (height / 2)
    xx = (np.arange(width, dtype=np.float32) - width / 2) / (width / 2)
    r2 = (xx[None, :] ** 2 * 0.6 + yy[:, None] ** 2 * 0.4)
    v = np.repeat((1.0 - 0.14 * r2).astype(np.float32)[:, :, None], 3, axis=2)
    v.setflags(write=False)
    return v


def _overlaps(a: Sequence[float], b: Sequence[float], margin: float = 0.0) -> bool:
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0] or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def draw_litter(image: np.ndarray, rng: np.random.Generator, center: Point, size: float) -> None:
    """A piece of white plastic litter on the ground (a look-alike: white, band-sized, no code), in place."""
    w, h = size * rng.uniform(0.4, 1.0), size * rng.uniform(0.25, 0.7)
    angle = rng.uniform(0, 180)
    corners = cv2.boxPoints(((center[0], center[1]), (w, h), angle))
    corners += rng.normal(0, 0.12 * min(w, h), corners.shape)  # crumpled
    mask = np.zeros(image.shape[:2], np.uint8)
    x0, y0 = np.floor(corners.min(0)).astype(int) - 4
    x1, y1 = np.ceil(corners.max(0)).astype(int) + 4
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 <= x0 or y1 <= y0:
        return
    local = mask[y0:y1, x0:x1]
    cv2.fillPoly(local, [np.round((corners - [x0, y0]) * 4).astype(np.int32)], 255, cv2.LINE_AA, 2)
    tone = float(rng.uniform(205, 245))
    _paint(image[y0:y1, x0:x1], cv2.GaussianBlur(local, (0, 0), 0.8), (tone, tone, tone * rng.uniform(0.97, 1.02)))


def draw_nest_marker(image: np.ndarray, rng: np.random.Generator, center: Point, size: float) -> Box:
    """A yellow nest marker: a plate on a dark stake with a black nest number written across
    (a look-alike of a tag); in place. Returns its box."""
    w = size * rng.uniform(0.8, 1.2)
    h = w * rng.uniform(0.55, 0.8)
    cx, cy = center
    stake = np.zeros(image.shape[:2], np.uint8)
    x0, y0 = int(cx - w), int(cy - h)
    x1, y1 = int(cx + w), int(cy + 2.5 * h)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return (0, 0, 0, 0)
    roi = image[y0:y1, x0:x1]
    local = (cx - x0, cy - y0)
    cv2.line(stake[y0:y1, x0:x1], _pt((local[0], local[1]), (0, 0)), _pt((local[0], local[1] + 2.3 * h), (0, 0)),
             255, max(2, int(0.12 * w)), cv2.LINE_AA, 2)
    _paint(roi, cv2.GaussianBlur(stake[y0:y1, x0:x1], (0, 0), 0.7), (40, 50, 60))
    plate = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(plate).rectangle([local[0] - w / 2, local[1] - h / 2, local[0] + w / 2, local[1] + h / 2], fill=255)
    yellow = (float(rng.uniform(20, 60)), float(rng.uniform(180, 215)), float(rng.uniform(215, 245)))
    _paint(roi, cv2.GaussianBlur(np.asarray(plate), (0, 0), 0.7), yellow)
    digits = Image.new("L", (x1 - x0, y1 - y0), 0)
    number = str(int(rng.integers(1, 100)))
    ImageDraw.Draw(digits).text(local, number, fill=255, font=_font(max(6, int(h * 0.7))), anchor="mm")
    _paint(roi, cv2.GaussianBlur(np.asarray(digits), (0, 0), 0.6), (25, 25, 25))
    return (int(cx - w / 2), int(cy - h / 2), int(math.ceil(cx + w / 2)), int(cy + 2.5 * h))


def occlude(image: np.ndarray, rng: np.random.Generator, box: Box, unit: float) -> str:
    """Hide part of a tag as the colony does: the bird's other leg in front of it, a feather, or
    grass blades over its lower part; at most about a third of the band. In place; returns the kind."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    kind = ("leg", "feather", "grass")[int(rng.integers(0, 3))]
    layer = np.zeros(image.shape[:2], np.uint8)
    if kind == "leg":
        top = (x0 + rng.uniform(-0.6, 1.6) * w, y0 - 0.8 * h)
        bottom = (x0 + rng.uniform(0.1, 0.9) * w, y1 + 0.8 * h)
        cv2.line(layer, _pt(top, (0, 0)), _pt(bottom, (0, 0)), 255, max(2, int(round(0.22 * unit))), cv2.LINE_AA, 2)
        colour: object = (float(rng.uniform(30, 50)),) * 3
    elif kind == "feather":
        corner = (x0 + (0 if rng.random() < 0.5 else w), y0 + rng.uniform(0.2, 0.9) * h)
        axes = (0.55 * w * rng.uniform(0.8, 1.2), 0.18 * h)
        cv2.ellipse(layer, *_ellipse_pts(corner, axes, float(rng.uniform(-50, 50))), 0, 360, 255, -1, cv2.LINE_AA, 2)
        tone = float(rng.uniform(215, 245))
        colour = (tone, tone, tone)
    else:
        for _ in range(int(rng.integers(3, 7))):
            base = (x0 + rng.uniform(-0.3, 1.3) * w, y1 + rng.uniform(0, 0.3) * h)
            tip = (base[0] + rng.uniform(-0.4, 0.4) * w, y1 - rng.uniform(0.2, 0.45) * h)
            cv2.line(layer, _pt(base, (0, 0)), _pt(tip, (0, 0)), 255, max(1, int(round(0.05 * unit))),
                     cv2.LINE_AA, 2)
        shade = float(rng.uniform(110, 180))
        colour = (shade * 0.8, shade * 0.95, shade)
    inside = layer[y0:y1, x0:x1] > 127
    if inside.mean() > 0.35:  # never more than about a third of the band
        return ""
    _paint(image, cv2.GaussianBlur(layer, (0, 0), 0.6), colour)
    return kind


def relight(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Daylight as it changes over a day: exposure, warm or cool light, and often a soft cloud
    shadow over part of the colony. Returns float32 BGR."""
    height, width = image.shape[:2]
    warmth = rng.uniform(-0.06, 0.06)  # along blue-to-orange only, never purple or green
    gain = np.array([1.0 - warmth, 1.0, 1.0 + warmth], np.float32)
    light = np.full((height, width), np.float32(rng.uniform(0.75, 1.12)), np.float32)
    if rng.random() < 0.5:  # a cloud shadow: a soft-edged half-plane
        angle = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        edge = (xx - rng.uniform(0, width)) * math.cos(angle) + (yy - rng.uniform(0, height)) * math.sin(angle)
        soft = 1.0 / (1.0 + np.exp(-edge / (0.08 * max(width, height))))
        light *= (1.0 - np.float32(rng.uniform(0.2, 0.4)) * soft).astype(np.float32)
    return image.astype(np.float32) * light[:, :, None] * gain[None, None, :]


def night_frame(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An infrared night frame: grey, flat, bright whites, grainy. uint8 BGR (three equal channels)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = (grey - 128.0) * np.float32(rng.uniform(1.05, 1.3)) + np.float32(rng.uniform(120, 145))
    grain = rng.normal(0.0, rng.uniform(3.0, 6.0), grey.shape).astype(np.float32)
    grey = np.clip(cv2.GaussianBlur(grey, (0, 0), 0.7) + grain + 0.5, 0, 255).astype(np.uint8)
    return cv2.merge([grey, grey, grey])


def _place_tag(rng: np.random.Generator, code: str, s: float, width: int, usable_bottom: int, attempt: int,
               far: bool = False, border: str = "") -> tuple:
    """A rendered band and where it goes: ``(bgr, mask, local box, ox, oy, band_h, angle)``.

    ``far``: a small, blurred band in the far (upper) half; ``border``: a band cut by the
    ``left``, ``right`` or ``top`` photo border, 45-85% of it inside.
    """
    if far:
        band_h = rng.uniform(16.0, 26.0) * s
        blur = float(rng.uniform(1.4, 2.4) * max(s, 0.6))
    else:
        band_h = max(30.0, rng.uniform(46.0, 92.0) * s * 0.85 ** (attempt // 100))
        blur = float(rng.uniform(0.45, 1.0) * max(s, 0.6))
    band_w = band_h * rng.uniform(0.55, 0.72)
    angle = float(np.clip(rng.normal(0.0, 7.0), -15.0, 15.0))
    bgr, mask = render_tag(code, rng, band_h, band_w, angle, float(rng.uniform(-0.12, 0.12)), blur)
    local = mask_box(mask)
    mh, mw = mask.shape
    bw, bh = local[2] - local[0], local[3] - local[1]
    shown = rng.uniform(0.45, 0.85)
    if border == "left":
        ox = -local[0] - int(round((1 - shown) * bw))
    elif border == "right":
        ox = width - local[0] - int(round(shown * bw))
    else:
        ox = int(rng.integers(4, max(5, width - mw - 4)))
    if border == "top":
        oy = -local[1] - int(round((1 - shown) * bh))
    elif far:
        oy = int(rng.integers(4, max(5, int(0.45 * usable_bottom) - mh)))
    else:
        oy = int(rng.integers(4, max(5, usable_bottom - mh)))
    return bgr, mask, local, ox, oy, band_h, angle


def render_photo(photo: PlannedPhoto, params: DemoParams,
                 rng: np.random.Generator) -> tuple[np.ndarray, list[DemoTag]]:
    """Render one photo; returns the uint8 BGR image and its tags (boxes disjoint)."""
    width, height = params.width, params.height
    s = params.scale
    hard = params.hard_cases
    usable_bottom = height - params.info_bar_px - max(4, int(6 * s))
    image = draw_ground(rng, width, height)
    for _ in range(int(rng.integers(0, 5))):
        draw_feather(image, rng, (rng.uniform(0, width), rng.uniform(0, usable_bottom)), rng.uniform(20, 60) * s)
    tags: list[tuple[Box, str, np.ndarray, np.ndarray, int, int, bool, bool]] = []
    birds: list[Bird] = []
    tag_birds: list[Bird] = []
    gap = 14.0 * s + 4.0
    far = [f"far-{photo.index + 1}-{k + 1}" for k in range(int(hard and bool(photo.codes) and rng.random() < 0.35))]
    for code in (*photo.codes, *far):
        is_far = code.startswith("far-")
        border = ""
        if hard and not is_far and rng.random() < 0.1:
            border = ("left", "right", "top")[int(rng.integers(0, 3))]
        for attempt in range(400):
            if attempt % 25 == 0:  # a new tag now and then, smaller and smaller if space is short
                bgr, mask, local, ox, oy, band_h, angle = _place_tag(rng, code, s, width, usable_bottom, attempt,
                                                                     is_far, border if attempt < 200 else "")
            elif not border or attempt >= 200:
                ox = int(rng.integers(4, max(5, width - mask.shape[1] - 4)))
                top = int(0.45 * usable_bottom) if is_far else usable_bottom
                oy = int(rng.integers(4, max(5, top - mask.shape[0])))
            mh, mw = mask.shape
            if mh + 8 > usable_bottom or (not border and mw + 8 > width):
                continue
            whole = (local[0] + ox, local[1] + oy, local[2] + ox, local[3] + oy)
            box = (max(0, whole[0]), max(0, whole[1]), min(width, whole[2]), min(usable_bottom, whole[3]))
            if box[2] - box[0] < 8 or box[3] - box[1] < 8 or whole[3] > usable_bottom:
                continue
            centre = ((whole[0] + whole[2]) / 2, (whole[1] + whole[3]) / 2)
            bird = make_bird(rng, centre, band_h * rng.uniform(0.9, 1.1), math.radians(angle), band=band_h)
            bb = bird.bbox()
            if any(_overlaps(box, t[0], gap) for t in tags):
                continue
            # A tag stays clear of the other birds; when space is short, a bird standing farther
            # back may be behind it (its body is drawn first, leg and band over it); in photos too
            # small for that, only the tags keep apart (tags are drawn last, always visible).
            strict, loose = attempt < 200, attempt >= 300
            if not loose and any(_overlaps(box, other.bbox()) and (strict or other.ground_y >= bird.ground_y)
                                 for other in tag_birds):
                continue
            if not loose and any(_overlaps(bb, t[0]) and (strict or bird.ground_y >= other.ground_y)
                                 for t, other in zip(tags, tag_birds, strict=True)):
                continue
            tags.append((box, code, bgr, mask, ox, oy, is_far, box != whole))
            tag_birds.append(bird)
            break
        else:
            if is_far:
                continue  # no room for a far bird: the photo goes without
            raise RuntimeError(f"demo: could not place tag {code} in {photo.image}")
    birds.extend(tag_birds)
    # Untagged birds, anywhere (also partly out of frame), never over a tag; now and then a crowd.
    crowd = hard and rng.random() < 0.2
    for _ in range(int(rng.integers(0, 4)) + (1 if not photo.codes else 0) + (int(rng.integers(3, 7)) if crowd else 0)):
        for _attempt in range(30):
            unit = rng.uniform(46.0, 92.0) * s
            anchor = (rng.uniform(-0.05, 1.05) * width, rng.uniform(0.15, 0.95) * height)
            bird = make_bird(rng, anchor, unit, math.radians(float(rng.normal(0.0, 8.0))))
            if any(_overlaps(bird.bbox(), t[0], gap) for t in tags):
                continue
            birds.append(bird)
            break
    lookalikes: list[Box] = []
    if hard:  # litter and nest markers on the ground, clear of the tags
        for kind in ["litter"] * int(rng.integers(0, 4)) + ["marker"] * int(rng.integers(0, 3)):
            size = rng.uniform(30.0, 70.0) * s
            for _attempt in range(20):
                centre = (rng.uniform(0.05, 0.95) * width, rng.uniform(0.1, 0.9) * usable_bottom)
                near = (centre[0] - 2 * size, centre[1] - 2 * size, centre[0] + 2 * size, centre[1] + 3 * size)
                if any(_overlaps(near, t[0], gap) for t in tags) or any(_overlaps(near, b, 0) for b in lookalikes):
                    continue
                if kind == "litter":
                    draw_litter(image, rng, centre, size)
                else:
                    draw_nest_marker(image, rng, centre, size * 0.8)
                lookalikes.append(tuple(int(v) for v in near))
                break
    for bird in sorted(birds, key=lambda b: b.ground_y):
        draw_bird(image, bird, rng)
    found: list[DemoTag] = []
    for (box, code, bgr, mask, ox, oy, is_far, cut), bird in zip(tags, tag_birds, strict=True):
        composite(image, bgr, mask, ox, oy)
        hidden = occlude(image, rng, box, bird.unit) if hard and not is_far and not cut and rng.random() < 0.3 else ""
        found.append(DemoTag(box, code, difficult=is_far, truncated=cut, occluded=bool(hidden)))
    # Light, vignetting and sensor noise (or an infrared night frame), then the burned-in bar.
    night = rng.random() < params.night_fraction
    raw = np.frombuffer(rng.bytes(width * height), dtype=np.uint8).reshape(height, width)
    noise = ((raw & 15) + (raw >> 4)).astype(np.float32)  # triangular, mean 15, sd 6.5
    noise = (noise - np.float32(15.0)) * np.float32(rng.uniform(1.5, 3.0) / 6.5)
    lit = relight(image, rng) if hard else image.astype(np.float32) * np.float32(rng.uniform(0.9, 1.06))
    lit = cv2.multiply(lit, _vignette(width, height), dtype=cv2.CV_32F)
    image = cv2.add(lit, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)
    if night:
        image = night_frame(image, rng)
    if params.info_bar_px > 0:
        when = CAMPAIGN_START + photo.index * PHOTO_INTERVAL
        temperature = 12 + (photo.index * 7) % 13
        image[height - params.info_bar_px:] = info_bar(width, params.info_bar_px, when, temperature, photo.camera)
    return image, sorted(found, key=lambda t: t.box[0])


# --------------------------------------------------------------------------- files


def voc_xml(filename: str, folder: str, path: str, width: int, height: int, boxes: Sequence[Box],
            name: str = "tag", difficult: Sequence[bool] = (), truncated: Sequence[bool] = ()) -> str:
    """A Pascal VOC annotation as labelImg writes it (tab-indented, no XML declaration);
    ``difficult``/``truncated``: the flags of each box (default all 0)."""
    lines = [
        "<annotation>",
        f"\t<folder>{escape(folder)}</folder>",
        f"\t<filename>{escape(filename)}</filename>",
        f"\t<path>{escape(path)}</path>",
        "\t<source>",
        "\t\t<database>Unknown</database>",
        "\t</source>",
        "\t<size>",
        f"\t\t<width>{int(width)}</width>",
        f"\t\t<height>{int(height)}</height>",
        "\t\t<depth>3</depth>",
        "\t</size>",
        "\t<segmented>0</segmented>",
    ]
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        lines += [
            "\t<object>",
            f"\t\t<name>{escape(name)}</name>",
            "\t\t<pose>Unspecified</pose>",
            f"\t\t<truncated>{int(bool(truncated[k])) if truncated else 0}</truncated>",
            f"\t\t<difficult>{int(bool(difficult[k])) if difficult else 0}</difficult>",
            "\t\t<bndbox>",
            f"\t\t\t<xmin>{int(x0)}</xmin>",
            f"\t\t\t<ymin>{int(y0)}</ymin>",
            f"\t\t\t<xmax>{int(x1)}</xmax>",
            f"\t\t\t<ymax>{int(y1)}</ymax>",
            "\t\t</bndbox>",
            "\t</object>",
        ]
    lines.append("</annotation>")
    return "\n".join(lines) + "\n"


def generate_campaign(photos_dir: Path, identities_csv: Path, params: DemoParams) -> DemoSummary:
    """Write the demo campaign: photos with VOC XML beside them, and ``identities_csv``.

    ``photos_dir`` is created; it must not hold anything yet (nothing stale is left
    behind). The output is byte-identical for equal ``params``.
    """
    photos_dir = Path(photos_dir)
    identities_csv = Path(identities_csv)
    photos_dir.mkdir(parents=True, exist_ok=True)
    if any(photos_dir.iterdir()):
        raise FileExistsError(f"demo photos folder {photos_dir} is not empty; remove it first")
    seeds = np.random.SeedSequence(params.seed)
    plan_seed, *photo_seeds = seeds.spawn(params.photos + 1)
    planned = plan_campaign(params, np.random.default_rng(plan_seed))
    rows: list[tuple[str, int, int, int, int, str]] = []
    shown: list[DemoTag] = []
    nights = 0
    for photo, seed in zip(planned, photo_seeds, strict=True):
        image, tags = render_photo(photo, params, np.random.default_rng(seed))
        target = photos_dir / photo.image
        target.parent.mkdir(parents=True, exist_ok=True)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(params.jpeg_quality)])
        if not ok:
            raise RuntimeError(f"demo: JPEG encoding failed for {photo.image}")
        target.write_bytes(encoded.tobytes())
        rel = PurePosixPath(photo.image)
        folder = rel.parent.name if rel.parent.name else FOREIGN_ROOT.name
        xml = voc_xml(rel.name, folder, str(FOREIGN_ROOT / rel), params.width, params.height, [t.box for t in tags],
                      difficult=[t.difficult for t in tags], truncated=[t.truncated for t in tags])
        target.with_suffix(".xml").write_text(xml, encoding="utf-8")
        rows += [(photo.image, *t.box, t.identity) for t in tags]
        shown += tags
        nights += int(bool(np.all(image[:, :, 0] == image[:, :, 2])))
    rows.sort(key=lambda r: (r[0], r[1]))
    identities_csv.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["image", "xmin", "ymin", "xmax", "ymax", "identity"])
    writer.writerows(rows)
    identities_csv.write_text(buffer.getvalue(), encoding="utf-8")
    tag_photos = sum(1 for p in planned if p.codes)
    return DemoSummary(photos=len(planned), tag_photos=tag_photos, background_photos=len(planned) - tag_photos,
                       tags=len(rows), identities=len({t.identity for t in shown if not t.difficult}),
                       difficult=sum(t.difficult for t in shown), truncated=sum(t.truncated for t in shown),
                       occluded=sum(t.occluded for t in shown), night_photos=nights)
