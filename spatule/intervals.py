"""Rates with their count and a 95% interval: every share a figure reports (precision, recall, accuracy,
coverage) is ``k`` of ``n``, and with a few dozen held-out tags the interval says how far it may be off."""

from __future__ import annotations

import math

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95% interval."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``k`` successes in ``n`` trials (``(0, 1)`` when ``n`` is 0): unlike
    ``p +- z sqrt(p(1-p)/n)`` it stays inside [0, 1] and does not shrink to nothing at 0 of n or n of n
    (0 of 7 gives an upper bound of 0.35)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes in {n} trials")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


def rate(k: int, n: int, digits: int = 4) -> dict[str, float | int | None]:
    """``k`` of ``n`` as a figure: ``{"k", "n", "rate", "low", "high"}`` (``rate`` is ``None`` when ``n`` is 0:
    no tag, no rate), the interval :func:`wilson`'s 95%."""
    low, high = wilson(k, n)
    return {"k": int(k), "n": int(n), "rate": round(k / n, digits) if n else None, "low": round(low, digits),
            "high": round(high, digits)}


def shown(figure: dict[str, float | int | None]) -> str:
    """A :func:`rate` as text: ``0.933 (28/30, 0.787-0.982)``; ``- (0/0)`` without any."""
    if not figure["n"]:
        return "- (0/0)"
    return f"{figure['rate']:.3f} ({figure['k']}/{figure['n']}, {figure['low']:.3f}-{figure['high']:.3f})"
