"""The registry of banded birds (``read.registry``): a CSV with a ``code`` column (other columns kept),
and the reader's probability of each registry code.

A reading is the reader's probabilities at each CTC step over blank + the alphabet. Each registry
code gets the probability the reader gives to exactly that code (:func:`ctc_probability`: the sum
over every alignment of the code to the steps): glyphs the reader confuses share probability, so a
code one confusable glyph away from the reading keeps a fair share, a code two clear glyphs away
none. :mod:`spatule.reading.codes` takes the likeliest and applies the threshold; a code that is not
in the registry is never given.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from spatule.code_space import CODE_LENGTH
from spatule.problems import SpatuleError

UNREAD = "unread"


@dataclass(frozen=True)
class Bird:
    """A registry row: its code and every other column, as written."""

    code: str
    columns: dict[str, str]


def read_registry(path: Path, alphabet: str, code_length: int = CODE_LENGTH) -> list[Bird]:
    """The birds of the registry CSV; a :class:`SpatuleError` names the file, line and defect of a code
    that cannot be on a tag (wrong length, a glyph not in ``alphabet``) or appears twice."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows, columns = list(reader), reader.fieldnames or []
    except OSError as exc:
        raise SpatuleError(f"{path}: cannot read the registry ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SpatuleError(f"{path}: the registry is not a UTF-8 CSV ({exc}); save it as CSV UTF-8") from None
    if "code" not in columns:
        raise SpatuleError(f"{path}: the registry needs a 'code' column (one bird per row)")
    if not rows:
        raise SpatuleError(f"{path}: the registry lists no bird (a 'code' column, one bird per row)")
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


def turned_code(code: str, turns: dict[str, str]) -> str | None:
    """What ``code`` reads as when the tag is turned upside down (the glyphs in reverse order, each
    turned: ``turns`` maps a glyph to the glyph it looks like turned by 180 degrees, e.g. 6 -> 9,
    S -> S); ``None`` when one of its glyphs looks like no glyph turned."""
    if any(c not in turns for c in code):
        return None
    return "".join(turns[c] for c in reversed(code))


def turned_pairs(codes: Sequence[str], turns: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of different registry codes where one reads as the other upside down: on a tag read without
    knowing its way round, the reader cannot tell them apart (``read.margin`` keeps such tags unread)."""
    known = set(codes)
    pairs = {tuple(sorted((code, other))) for code in codes
             if (other := turned_code(code, turns)) is not None and other != code and other in known}
    return sorted(pairs)  # type: ignore[arg-type]


def ctc_probability(steps: np.ndarray, labels: Sequence[int]) -> float:
    """``p(labels | steps)`` under CTC: ``steps`` ``[T, 1 + A]`` probabilities (blank 0), ``labels`` the
    code's glyph indices + 1. The forward algorithm, in log space."""
    extended = [0]
    for label in labels:
        extended += [int(label), 0]
    logp = np.log(np.clip(steps, 1e-30, 1.0))
    alpha = np.full(len(extended), -np.inf)
    alpha[0] = logp[0, 0]
    if len(extended) > 1:
        alpha[1] = logp[0, extended[1]]
    for t in range(1, len(steps)):
        previous = alpha.copy()
        for s in range(len(extended)):
            options = [previous[s]]
            if s >= 1:
                options.append(previous[s - 1])
            if s >= 2 and extended[s] != 0 and extended[s] != extended[s - 2]:
                options.append(previous[s - 2])
            alpha[s] = np.logaddexp.reduce(options) + logp[t, extended[s]]
    return float(np.exp(np.logaddexp(alpha[-1], alpha[-2]) if len(extended) > 1 else alpha[-1]))


def ctc_code_probabilities(steps: np.ndarray, alphabet: str, codes: Sequence[str]) -> np.ndarray:
    """:func:`ctc_probability` of each code (equal-length codes), all at once: one forward pass over the
    steps for the whole registry. ``steps`` ``[T, 1 + A]`` gives ``[codes]``; a batch of readings
    ``[..., T, 1 + A]`` gives ``[..., codes]``."""
    batch = steps.shape[:-2]
    if not codes:
        return np.zeros((*batch, 0))
    labels = np.array([[alphabet.index(c) + 1 for c in code] for code in codes], np.int64)
    n, length = labels.shape
    extended = np.zeros((n, 2 * length + 1), np.int64)
    extended[:, 1::2] = labels
    skip = np.zeros(extended.shape, bool)  # may jump from s - 2: a glyph unlike the one two back
    skip[:, 2:] = (extended[:, 2:] != 0) & (extended[:, 2:] != extended[:, :-2])
    # the forward pass in probabilities, each code's row scaled back to a sum of 1 at every step (the scales'
    # logs summed apart): exact, and far cheaper than adding logarithms
    probs = np.clip(steps, 1e-30, 1.0).astype(np.float64)  # [..., T, 1 + A]
    alpha = np.zeros((*batch, *extended.shape))
    alpha[..., 0] = probs[..., 0, :1]
    alpha[..., 1] = probs[..., 0, :][..., extended[:, 1]]
    total = alpha.sum(axis=-1, keepdims=True)
    alpha /= total
    log_scale = np.log(total[..., 0])
    for t in range(1, steps.shape[-2]):
        step = alpha.copy()
        step[..., 1:] += alpha[..., :-1]
        step[..., 2:] += np.where(skip[:, 2:], alpha[..., :-2], 0.0)
        step *= probs[..., t, :][..., extended]
        total = step.sum(axis=-1, keepdims=True)
        alpha = step / total
        log_scale += np.log(total[..., 0])
    return np.exp(np.log(alpha[..., -1] + alpha[..., -2]) + log_scale)
