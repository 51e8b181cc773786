"""The registry of banded birds (``read.registry``): a CSV with a ``code`` column (other columns kept),
and matching a reading to it.

A reading is the reader's probabilities for each position over the alphabet. Each registry code
gets the probability the reader gives to exactly that code (the product of its glyphs'
probabilities at their positions): glyphs the reader confuses share probability, so a code one
confusable glyph away from the reading keeps a fair share, a code two clear glyphs away none.
The likeliest registry code is accepted when that probability reaches the threshold; otherwise
the tag is ``unread``. A code that is not in the registry is never given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from spatule.problems import SpatuleError

UNREAD = "unread"


@dataclass(frozen=True)
class Bird:
    """A registry row: its code and every other column, as written."""

    code: str
    columns: dict[str, str]


def read_registry(path: Path, alphabet: str, code_length: int = 4) -> list[Bird]:
    """The birds of the registry CSV; a :class:`SpatuleError` names the file, line and defect of a code
    that cannot be on a tag (wrong length, a glyph not in ``alphabet``) or appears twice."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SpatuleError(f"{path}: cannot read the registry ({exc.strerror})") from None
    if not rows or "code" not in rows[0]:
        raise SpatuleError(f"{path}: the registry needs a 'code' column (one bird per row)")
    birds, seen = [], {}
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        wrong = sorted({c for c in code if c not in alphabet})
        if len(code) != code_length or wrong:
            why = (f"{len(code)} glyphs, not {code_length}" if len(code) != code_length
                   else f"glyphs {wrong} are not in {alphabet}")
            raise SpatuleError(f"{path}:{line}: code {row.get('code')!r} cannot be on a tag ({why})")
        if code in seen:
            raise SpatuleError(f"{path}:{line}: code {code} is already on line {seen[code]}")
        seen[code] = line
        birds.append(Bird(code, {k: v for k, v in row.items() if k != "code"}))
    return birds


def code_probabilities(probabilities: np.ndarray, alphabet: str, codes: Sequence[str]) -> np.ndarray:
    """The reader's probability of each code: ``prod_i p_i(code[i])`` (``probabilities``: ``[L, A]``)."""
    index = np.array([[alphabet.index(c) for c in code] for code in codes], np.int64).reshape(len(codes), -1)
    positions = np.arange(probabilities.shape[0])
    return np.exp(np.log(np.clip(probabilities, 1e-12, 1.0))[positions[None, :], index].sum(axis=1))


def match_registry(probabilities: np.ndarray, alphabet: str, codes: Sequence[str],
                   threshold: float) -> tuple[str, float]:
    """The likeliest registry code and its probability, or ``(UNREAD, p)`` below ``threshold``."""
    if not codes:
        return UNREAD, 0.0
    scores = code_probabilities(probabilities, alphabet, codes)
    best = int(scores.argmax())
    return (codes[best] if scores[best] >= threshold else UNREAD), float(scores[best])
