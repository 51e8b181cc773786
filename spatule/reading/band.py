"""The reader's band model: a leg band drawn as real ones look, for rendered training crops.

Measured on the real sample's legible tags (``AXFD``, ``ABLF``; ``bench/real_tags.py`` measures them
beside rendered crops): a white band wider than the leg, the code printed twice side by side around
it, both copies running the same way along the leg, a thin dark divider line between them; each copy
a column of the tag font's glyphs, turned to run along the leg; the band seen on a cylinder (glyphs
squeezed toward its edges, the second copy partly round the side), tilted up to about 35 degrees,
dull contrast.

The band is drawn in three steps: :func:`band_texture` unrolls it (its height along the leg, its
circumference across, the two copies and the divider printed on it); :func:`project_band` wraps it
round an elliptic cylinder seen from a yaw, a pitch and a light; :func:`spatule.reading.render`
tilts it, puts it on a leg over ground and cuts the crop as ``detect`` cuts one. Every choice is a
field of :class:`BandLook`, drawn by :func:`sample_look` from ranges measured on real crops.

This draws the reader's training crops only: the demo's photos draw their tags through their own
path (:mod:`spatule.demo.tag`), so that the demo's reading figures measure how the reader generalises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from spatule.reading.glyphs import GlyphSet

SUPERSAMPLE = 2
"""The band is drawn this many times larger than in the photo, then shrunk."""


@dataclass(frozen=True)
class BandLook:
    """How one band looks. Lengths are in photo pixels unless said; angles in radians unless said."""

    height: float
    """Along the leg."""
    width: float
    """Across, as seen (the cylinder's diameter)."""
    depth: float
    """The cross-section's depth over its width: 1 a round band, less a band pressed flat (drawn flatter
    than round as often as not: 0.2 + 0.8 u^2)."""
    copy_arc: float
    """Arc of one copy of the code around the band, over the band's half-width."""
    yaw: float
    """Where the view is centred on the band, in copies from the divider (0: the divider in front,
    0.5: a copy centred, 1: the outer edge of a copy in front)."""
    glyph_fill: float
    """Share of a copy's arc its glyphs' height takes."""
    code_fill: float
    """Share of the band's height the code runs."""
    code_shift: float
    """Where the code sits along the band, as a share of the room left (-1 to 1)."""
    stroke: int
    """Pixels (at the glyphs' height of 64) added to (> 0) or taken from (< 0) each stroke."""
    glyph_warp: float
    """How far each glyph may be slanted, squeezed and shifted (:func:`warped`)."""
    outer_dividers: bool
    """Lines also at the outer edges of the printed pair."""
    divider_px: float
    """The divider's width, in photo pixels."""
    ink: float
    """How dark the ink is (1: black)."""
    divider_ink: float
    white: float
    """The band's grey level where fully lit."""
    tint: float
    """Cold (0) to warm (1) white."""
    light: float
    """The light's angle from the camera, round the leg."""
    ambient: float
    pitch: float
    """The camera above (> 0) or below the band: how much of its rim shows, over the band's depth."""
    dirt: float
    """How much grime darkens the band, in patches (0 to about 0.3)."""
    rim_shade: float
    """How light the inside of the band is, where the rim shows it (a share of the lit white)."""


def _yaw(rng: np.random.Generator) -> float:
    """Where the view is centred round the band: the divider in front (as ``AXFD``) or a copy in front
    (as ``ABLF``) four times in ten each, anywhere else the rest."""
    kind = rng.random()
    if kind < 0.4:
        return float(rng.normal(0.0, 0.12))
    if kind < 0.8:
        return float(rng.choice([-0.5, 0.5]) + rng.normal(0.0, 0.12))
    return float(rng.uniform(-1.05, 1.05))


def sample_look(rng: np.random.Generator, height: float | None = None) -> BandLook:
    """A band as real ones are seen (ranges measured on the real sample's crops), ``height`` photo pixels
    tall along the leg (drawn, log-uniform over 40-200, when ``None``)."""
    h = height if height is not None else float(math.exp(rng.uniform(math.log(40.0), math.log(200.0))))
    return BandLook(
        height=h, width=h * float(rng.uniform(0.5, 0.85)), depth=float(0.2 + 0.8 * rng.uniform(0.0, 1.0) ** 2),
        copy_arc=float(rng.uniform(0.8, 1.7)), yaw=_yaw(rng),
        glyph_fill=float(rng.uniform(0.65, 0.98)), code_fill=float(rng.uniform(0.55, 0.9)),
        code_shift=float(rng.uniform(-0.8, 0.8)), stroke=int(rng.integers(-3, 2)),
        glyph_warp=float(rng.uniform(0.0, 0.25)), outer_dividers=bool(rng.random() < 0.4),
        divider_px=float(rng.uniform(0.006, 0.02) * h + 0.6),
        ink=float(rng.uniform(0.55, 0.95)), divider_ink=float(rng.uniform(0.3, 0.85)),
        white=float(rng.uniform(185.0, 250.0)), tint=float(rng.uniform(0.0, 1.0)),
        light=float(rng.uniform(-1.1, 1.1)), ambient=float(rng.uniform(0.45, 0.8)),
        pitch=float(rng.uniform(-0.2, 0.3)), dirt=float(rng.uniform(0.0, 0.3)), rim_shade=float(rng.uniform(0.15, 0.8)))


def at_most(look: BandLook, height: float) -> BandLook:
    """``look`` drawn no taller than ``height``: the same band in a photo taken from farther away."""
    if look.height <= height:
        return look
    f = height / look.height
    return replace(look, height=height, width=look.width * f, divider_px=max(0.6, look.divider_px * f))


def stroked(ink: np.ndarray, stroke: int) -> np.ndarray:
    """A glyph's ink with each stroke ``stroke`` pixels thicker (> 0) or thinner (< 0)."""
    if stroke == 0:
        return ink
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(stroke) + 1,) * 2)
    return (cv2.dilate if stroke > 0 else cv2.erode)(ink, kernel)


def glyph_centres(code: str, glyphs: GlyphSet, along: int) -> list[float]:
    """Where the centre of each glyph of ``code`` lies along a :func:`code_column` ``along`` pixels long,
    from its bottom end (where the first glyph is)."""
    gap = max(1, glyphs.ink[0].shape[0] // 7)
    widths = [glyphs.glyph(c).shape[1] for c in code]
    total = sum(widths) + gap * (len(code) - 1)
    starts = np.cumsum([0] + [w + gap for w in widths[:-1]])
    return [float((start + w / 2) * along / total) for start, w in zip(starts, widths)]


def warped(ink: np.ndarray, rng: np.random.Generator, warp: float) -> np.ndarray:
    """A glyph's ink slanted, squeezed or stretched and shifted a little within its own cell (by up to
    ``warp``): a printed glyph is never quite the sheet's."""
    if warp <= 0:
        return ink
    h, w = ink.shape
    slant, tall = rng.uniform(-warp, warp), 1.0 + rng.uniform(-warp, warp) / 2
    shift = rng.uniform(-warp, warp) * h / 4
    matrix = np.array([[1.0, slant, -slant * h / 2], [0.0, tall, (1 - tall) * h / 2 + shift]], np.float32)
    return cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)


def code_column(code: str, glyphs: GlyphSet, along: int, across: int, stroke: int = 0,
                rng: np.random.Generator | None = None, warp: float = 0.0) -> np.ndarray:
    """The code as printed on a band: its glyphs side by side (each :func:`warped` by ``warp`` when ``rng``
    is given), stretched to ``along`` x ``across`` pixels, then turned so that it reads bottom-to-top
    (``[along, across]``, ink in [0, 1])."""
    gap = np.zeros((glyphs.ink[0].shape[0], max(1, glyphs.ink[0].shape[0] // 7)), np.float32)
    parts: list[np.ndarray] = []
    for char in code:
        ink = stroked(glyphs.glyph(char), stroke)
        parts += [warped(ink, rng, warp) if rng is not None else ink, gap]
    row = np.concatenate(parts[:-1], axis=1)
    row = cv2.resize(row, (max(1, along), max(1, across)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.rot90(row))


def perimeter_arcs(half_width: float, depth: float, samples: int = 721) -> tuple[np.ndarray, np.ndarray]:
    """The elliptic cross-section ``x = a sin t, z = b cos t`` (``a = half_width``, ``b = depth * a``):
    angles ``t`` over a full turn from ``-pi`` and the arc length from ``t = 0`` at each."""
    a, b = half_width, depth * half_width
    t = np.linspace(-math.pi, math.pi, samples)
    speed = np.sqrt((a * np.cos(t)) ** 2 + (b * np.sin(t)) ** 2)
    arc = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(t))])
    return t, arc - np.interp(0.0, t, arc)


def band_texture(code: str, glyphs: GlyphSet, look: BandLook, rng: np.random.Generator
                 ) -> tuple[np.ndarray, float, list[float]]:
    """The unrolled band at :data:`SUPERSAMPLE` times the photo's scale: its albedo (``[height, perimeter]``,
    1 white, the printed pair centred), the perimeter in texture pixels and the row of each glyph's
    centre (the first glyph lowest)."""
    s = SUPERSAMPLE
    a = look.width / 2.0
    _, arc = perimeter_arcs(a, look.depth)
    perimeter = float(arc[-1] - arc[0]) * s
    hs, ps = max(8, int(round(look.height * s))), max(8, int(round(perimeter)))
    copy_px = min(look.copy_arc * a * s, 0.46 * ps)
    across = max(3, int(round(copy_px * look.glyph_fill)))
    along = max(4, int(round(hs * look.code_fill)))
    column = code_column(code, glyphs, along, across, look.stroke, rng, look.glyph_warp)
    ink = np.zeros((hs, ps), np.float32)
    centre = ps / 2.0
    top = int(round((hs - along) / 2 * (1 + look.code_shift)))
    top = min(max(0, top), hs - along)
    for side in (-1, 1):  # the two copies, either side of the divider, running the same way
        left = int(round(centre + side * copy_px / 2 - across / 2))
        left = min(max(0, left), ps - across)
        ink[top: top + along, left: left + across] = np.maximum(ink[top: top + along, left: left + across],
                                                                 column * look.ink)
    lines = [centre] + ([centre - copy_px, centre + copy_px] if look.outer_dividers else [])
    half = max(0.5, look.divider_px * s / 2)
    u = np.arange(ps, dtype=np.float32) + 0.5
    for x in lines:
        ink = np.maximum(ink, np.clip(half + 0.5 - np.abs(u - x), 0, 1)[None, :] * look.divider_ink)
    grime = cv2.resize(rng.uniform(1.0 - look.dirt, 1.0, size=(3, 6)).astype(np.float32), (ps, hs),
                       interpolation=cv2.INTER_CUBIC)
    rows = [top + along - y for y in glyph_centres(code, glyphs, along)]
    return np.clip(grime * (1.0 - ink), 0.0, 1.0), perimeter, rows


def project_band(albedo: np.ndarray, perimeter: float, look: BandLook) -> tuple[np.ndarray, np.ndarray, float]:
    """The band seen from the front, upright (the leg vertical, the code reading bottom-to-top), at
    :data:`SUPERSAMPLE` times the photo's scale: premultiplied BGR (float32) and coverage. The rim the
    camera sees over the band's top (or under its bottom) edge, when it looks down (or up), is the
    shaded inside of the band. Third: how far down a texture row is seen at the band's front."""
    s = SUPERSAMPLE
    hs, ps = albedo.shape
    a, b = look.width / 2.0, look.depth * look.width / 2.0
    t_all, arc = perimeter_arcs(a, look.depth)
    ws = max(4, int(round(2 * a * s)))
    x = ((np.arange(ws, dtype=np.float64) + 0.5) / s - a) / a
    t = np.arcsin(np.clip(x, -0.9995, 0.9995))
    front = look.yaw * look.copy_arc * a * s  # arc (texture px) from the divider to the view's centre
    u = (ps / 2.0 + front + np.interp(t, t_all, arc) * s * ps / perimeter) % ps
    z = b * np.cos(t)
    lift = look.pitch * b * s  # the rim: front points move down by pitch * z, back ones up
    rim = int(math.ceil(abs(lift))) + 2
    out_h = hs + 2 * rim
    ys = np.arange(out_h, dtype=np.float64)[:, None]
    map_y = (ys - rim - lift * z[None, :] / b).astype(np.float32)
    map_x = np.broadcast_to(u[None, :], (out_h, ws)).astype(np.float32)
    wrapped = np.concatenate([albedo, albedo[:, :2]], axis=1)  # the seam interpolates across
    seen = cv2.remap(wrapped, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    cover = cv2.remap(np.ones_like(wrapped), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                      borderValue=0)
    normal_x, normal_z = b * np.sin(t), a * np.cos(t)
    norm = np.hypot(normal_x, normal_z)
    lit = np.maximum(0.0, (normal_x * math.sin(look.light) + normal_z * math.cos(look.light)) / norm)
    shade = (look.ambient + (1.0 - look.ambient) * lit).astype(np.float32)
    # the inside of the back wall, between the back edge and the front edge of the rim shown
    edge = rim if lift >= 0 else rim + hs  # the top edge seen from above, the bottom one from below
    back_y, front_y = edge - lift * z / b, edge + lift * z / b
    lo, hi = np.minimum(back_y, front_y), np.maximum(back_y, front_y)
    inside = ((ys >= lo[None, :]) & (ys < hi[None, :])).astype(np.float32) * (1.0 - cover)
    colour = look.white * np.array([1.0 - 0.1 * look.tint, 1.0 - 0.03 * look.tint, 1.0], np.float32)
    premult = (seen * shade[None, :])[:, :, None] * colour[None, None, :]
    premult += (inside * look.ambient * look.rim_shade)[:, :, None] * colour[None, None, :]
    return premult.astype(np.float32), np.clip(cover + inside, 0.0, 1.0).astype(np.float32), rim + lift


def shrink(premult: np.ndarray, coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From :data:`SUPERSAMPLE` times the photo's scale back to photo pixels: ``(premultiplied BGR, coverage)``."""
    h, w = coverage.shape
    size = (max(1, int(round(w / SUPERSAMPLE))), max(1, int(round(h / SUPERSAMPLE))))
    return (cv2.resize(premult, size, interpolation=cv2.INTER_AREA),
            cv2.resize(coverage, size, interpolation=cv2.INTER_AREA))


def draw_band(code: str, glyphs: GlyphSet, look: BandLook, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The band of :class:`BandLook` ``look`` carrying ``code``, upright, in photo pixels: premultiplied
    BGR (float32), coverage in [0, 1], and the centre of each glyph (``[len(code), 2]`` x, y: on the
    band's axis, where the glyph lies along it)."""
    albedo, perimeter, rows = band_texture(code, glyphs, look, rng)
    premult, cover, down = project_band(albedo, perimeter, look)
    premult, cover = shrink(premult, cover)
    centres = np.array([[cover.shape[1] / 2.0, (row + down) / SUPERSAMPLE] for row in rows], np.float64)
    return premult, cover, centres
