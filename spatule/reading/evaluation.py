"""Measuring the reader on held-out tags whose code is known: exact-code and per-glyph accuracy, and
the accuracy of the accepted codes against coverage (the share of tags accepted) over thresholds."""

from __future__ import annotations

from typing import Sequence


def glyph_hits(read: str, truth: str) -> int:
    """Glyphs read right, position by position (a reading of another length gets none: its glyphs
    cannot be lined up with the code's)."""
    return sum(a == b for a, b in zip(read, truth)) if len(read) == len(truth) else 0


def coverage_curve(scored: Sequence[tuple[float, bool]]) -> list[dict[str, float]]:
    """For each distinct score as the threshold (highest first): the tags accepted, the coverage and
    the exact-code accuracy of the accepted. ``scored``: ``(match score, right)`` per tag."""
    ordered = sorted(scored, key=lambda s: -s[0])
    curve, right = [], 0
    for k, (score, ok) in enumerate(ordered, start=1):
        right += int(ok)
        if k < len(ordered) and ordered[k][0] == score:
            continue  # ties: all or none of them pass
        curve.append({"threshold": float(score), "accepted": k, "coverage": k / len(ordered),
                      "accuracy": right / k})
    return curve


def at_threshold(scored: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float]:
    """What passes ``threshold``: accepted tags, coverage, accuracy, wrong codes and their share."""
    accepted = [ok for score, ok in scored if score >= threshold]
    wrong = sum(1 for ok in accepted if not ok)
    return {"threshold": threshold, "accepted": len(accepted),
            "coverage": len(accepted) / len(scored) if scored else 0.0,
            "accuracy": (len(accepted) - wrong) / len(accepted) if accepted else 0.0, "wrong": wrong,
            "wrong_share": wrong / len(accepted) if accepted else 0.0}


def at_coverage(curve: Sequence[dict[str, float]], coverage: float) -> dict[str, float]:
    """The curve's first point reaching ``coverage`` (the highest threshold that accepts that share)."""
    for point in curve:
        if point["coverage"] >= coverage - 1e-9:
            return dict(point)
    return {}


def calibration(scored: Sequence[tuple[float, bool]], edges: Sequence[float] = (0.0, 0.01, 0.1, 0.5, 0.9, 1.0)
                ) -> list[dict[str, float]]:
    """Per score bin ``[edges[k], edges[k + 1])`` (the last one closed): tags, their mean score and the share
    right. A calibrated reader is right about as often as its score says."""
    bins = []
    for k, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        last = k == len(edges) - 2
        inside = [(s, ok) for s, ok in scored if low <= s < high or (last and s == high)]
        bins.append({"from": low, "to": high, "tags": len(inside),
                     "mean_score": sum(s for s, _ in inside) / len(inside) if inside else 0.0,
                     "right": sum(ok for _, ok in inside) / len(inside) if inside else 0.0})
    return bins
