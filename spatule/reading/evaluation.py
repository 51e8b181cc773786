"""Measuring the reader on tags whose code is known: exact-code and per-glyph accuracy, the accuracy of
the accepted codes against coverage (the share of tags accepted) over thresholds, the threshold chosen on
validation tags for a target accuracy, and the figures of a set of tags with their 95% intervals."""

from __future__ import annotations

from typing import Any, Sequence

from spatule.intervals import rate

THRESHOLD_FLOOR = 1e-3
"""The least threshold validation may choose: a code the reader gives less than one chance in a thousand
is never accepted, however well the validation tags went."""
FALLBACK_THRESHOLD = 0.1
"""The threshold when it cannot be chosen on validation (no validation tag has a code)."""


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


def choose_threshold(scored: Sequence[tuple[float, bool]], target: float) -> tuple[float, str]:
    """The least threshold (at least :data:`THRESHOLD_FLOOR`) at which the accepted validation tags are
    right at least ``target`` of the time, and how it was chosen. ``scored``: ``(match score, right)`` of
    each validation tag that passes the margin (the others are unread whatever the threshold). Without any,
    :data:`FALLBACK_THRESHOLD`; when no threshold reaches the target, one above every score (nothing read)."""
    if not scored:
        return FALLBACK_THRESHOLD, "fallback: no validation tag with a code passes the margin"
    candidates = sorted({THRESHOLD_FLOOR} | {s for s, _ in scored if s > THRESHOLD_FLOOR})
    for threshold in candidates:
        accepted = [ok for s, ok in scored if s >= threshold]
        if accepted and sum(accepted) / len(accepted) >= target:
            return float(threshold), (f"validation: {sum(accepted)} of {len(accepted)} accepted tag(s) right at "
                                      f"this threshold (target {target:g})")
    return float(min(1.0, max(s for s, _ in scored) * 1.000001)), \
        f"validation: no threshold reaches the target accuracy {target:g}: none accepted"


def set_figures(reads: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The figures of a set of tags whose code is known, from ``(code, what it was read as)`` pairs (the
    accepted code or ``unread``): ``n``, ``accepted`` and ``wrong`` counts; ``coverage`` (accepted of n),
    ``accuracy`` (right of accepted), ``wrong_share`` (wrong of accepted) and ``read_right`` (right of n),
    each a :func:`spatule.intervals.rate` with its 95% interval."""
    from spatule.reading.registry import UNREAD

    n = len(reads)
    accepted = [(truth, read) for truth, read in reads if read != UNREAD]
    right = sum(truth == read for truth, read in accepted)
    return {"n": n, "accepted": len(accepted), "right": right, "wrong": len(accepted) - right,
            "coverage": rate(len(accepted), n), "accuracy": rate(right, len(accepted)),
            "wrong_share": rate(len(accepted) - right, len(accepted)), "read_right": rate(right, n)}
