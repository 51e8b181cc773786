"""The glyphs a tag code is drawn with: from a TrueType font or from a sheet image of the tag font.

A :class:`GlyphSet` maps each character of the alphabet to its ink (float32 in [0, 1], 1 = black
ink, cropped to the glyph) at a common height. A sheet is one row of black glyphs on white in the
alphabet's order (the real one: ``../shared/data/spoo-font/SPOO-FONT.jpg``); it is cut where
columns hold no ink.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from spatule.problems import SpatuleError

GLYPH_HEIGHT = 64
"""Height in pixels at which glyphs are kept (drawn smaller later)."""


@dataclass(frozen=True)
class GlyphSet:
    """The ink of each character of ``alphabet``, all :data:`GLYPH_HEIGHT` tall (widths differ)."""

    alphabet: str
    ink: tuple[np.ndarray, ...]
    source: str = ""

    def glyph(self, char: str) -> np.ndarray:
        """The ink of ``char`` (a :class:`SpatuleError` naming the alphabet when it is not in it)."""
        if char not in self.alphabet:
            raise SpatuleError(f"{char!r} is not in the tag alphabet {self.alphabet} ({self.source})")
        return self.ink[self.alphabet.index(char)]


def _normalise(ink: np.ndarray, height: int = GLYPH_HEIGHT) -> np.ndarray:
    """Ink cropped to its inked rows and columns, resized to ``height`` rows (aspect kept)."""
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    ink = ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    width = max(1, round(ink.shape[1] * height / ink.shape[0]))
    return np.clip(cv2.resize(ink, (width, height), interpolation=cv2.INTER_AREA), 0.0, 1.0).astype(np.float32)


def glyphs_from_font(font_path: Path, alphabet: str) -> GlyphSet:
    """The alphabet drawn with a TrueType font (the demo's: :data:`spatule.demo.FONT_PATH`)."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font_path), 4 * GLYPH_HEIGHT)
    inks = []
    for char in alphabet:
        left, top, right, bottom = face.getbbox(char)
        canvas = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(canvas).text((4 - left, 4 - top), char, fill=255, font=face)
        inks.append(_normalise(np.asarray(canvas, dtype=np.float32) / 255.0))
    return GlyphSet(alphabet, tuple(inks), str(font_path))


def sheet_columns(ink: np.ndarray, min_gap: int = 2) -> list[tuple[int, int]]:
    """``[start, end)`` column runs holding ink, split by at least ``min_gap`` blank columns."""
    inked = ink.max(axis=0) > 0.35
    runs: list[tuple[int, int]] = []
    start, blank = None, 0
    for x, on in enumerate(inked):
        if on:
            if start is None:
                start = x
            blank = 0
        elif start is not None:
            blank += 1
            if blank >= min_gap:
                runs.append((start, x - blank + 1))
                start, blank = None, 0
    if start is not None:
        runs.append((start, len(inked) - blank))
    return runs


def cut_glyph_sheet(sheet: Path, alphabet: str) -> GlyphSet:
    """The glyphs of a tag-font sheet: one row of dark glyphs on a light ground, in ``alphabet``'s order.

    Raises :class:`SpatuleError` naming the file when it cannot be read or when the number of glyphs
    found differs from the alphabet's length.
    """
    grey = cv2.imread(str(sheet), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise SpatuleError(f"{sheet}: not an image OpenCV can read (read.glyph_sheet)")
    ink = 1.0 - grey.astype(np.float32) / 255.0
    if float(np.median(ink)) > 0.5:  # light glyphs on a dark ground: turn it round
        ink = 1.0 - ink
    runs = [r for r in sheet_columns(ink) if r[1] - r[0] >= max(2, ink.shape[0] // 40)]  # specks are not glyphs
    if len(runs) != len(alphabet):
        raise SpatuleError(f"{sheet}: {len(runs)} glyph(s) found, but read.alphabet has {len(alphabet)} "
                           f"({alphabet}); the sheet must hold one row of glyphs in that order, apart from each other")
    return GlyphSet(alphabet, tuple(_normalise(ink[:, a:b]) for a, b in runs), str(sheet))


def glyph_turns(glyphs: GlyphSet, least_match: float = 0.96, tolerance_px: int = 2) -> dict[str, str]:
    """Each glyph that, turned by 180 degrees, looks like a glyph of the set (itself, as S or X, or
    another, as 6 and 9): the glyph it looks like. Looks alike: at one size, at least ``least_match`` of
    each one's ink lies within ``tolerance_px`` of the other's (at :data:`GLYPH_HEIGHT`; measured on the
    real sheet and the demo's font, this finds H N S X Z 6 9, and not A for V, whose bar differs)."""
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance_px + 1,) * 2)
    turns: dict[str, str] = {}
    for char, ink in zip(glyphs.alphabet, glyphs.ink):
        upside_down = (ink[::-1, ::-1] > 0.5).astype(np.uint8)
        best, match = "", 0.0
        for other, other_ink in zip(glyphs.alphabet, glyphs.ink):
            same = (cv2.resize(other_ink, upside_down.shape[::-1], interpolation=cv2.INTER_AREA) > 0.5).astype(np.uint8)
            inside = (upside_down & cv2.dilate(same, near)).sum() / max(1, upside_down.sum())
            covered = (same & cv2.dilate(upside_down, near)).sum() / max(1, same.sum())
            if min(inside, covered) > match:
                best, match = other, float(min(inside, covered))
        if match >= least_match:
            turns[char] = best
    return turns
