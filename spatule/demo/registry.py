"""The demo's registry of banded birds: every code photographed in the demo campaign and others
banded but never photographed (as in a real colony), with the year each was banded."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from spatule.code_space import is_code, random_code

REGISTRY_COLUMNS = ["code", "banded"]


def registry_rows(photographed: Sequence[str], banded: int, seed: int) -> list[list[object]]:
    """``banded`` birds (at least the photographed ones), sorted by code: the photographed codes and
    new distinct ones drawn from ``seed``, each with a banding year 2012-2017."""
    rng = np.random.default_rng([seed, 16])
    codes = {c for c in photographed if is_code(c)}
    while len(codes) < banded:
        codes.add(random_code(rng))
    ordered = sorted(codes)
    years = rng.integers(2012, 2018, size=len(ordered))
    return [[code, int(year)] for code, year in zip(ordered, years)]
