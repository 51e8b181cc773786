"""The score threshold that ``detect``, ``spatule detect`` and the held-out figures use: chosen on the real
val photos for a target precision (:func:`choose_threshold`), set in the config, or the provisional default;
the model card carries it (:mod:`spatule.detection.card`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from spatule.metrics import ImageDetections, ImageTruth, match_detections


@dataclass(frozen=True)
class ThresholdChoice:
    """The score threshold that ``detect``, ``spatule detect`` and the held-out figures use, and where it
    came from: ``val`` (the lowest score whose precision on the real val photos reaches
    ``target_precision``), ``config`` (``detect.score_threshold`` set) or ``default``
    (:data:`spatule.config.PROVISIONAL_THRESHOLD`: no countable tag on the val photos); ``note`` says
    why when the target could not be met."""

    score_threshold: float
    source: str
    target_precision: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"score_threshold": self.score_threshold, "source": self.source,
                "target_precision": self.target_precision, "note": self.note}


def score_outcomes(truth: Mapping[str, ImageTruth],
                   detections: Mapping[str, ImageDetections]) -> list[tuple[float, int]]:
    """Every detection's score and outcome (1 a tag found, 0 a false box, -1 ignored on a difficult tag).
    Matching goes best score first, so a detection's outcome is the same at every threshold that keeps
    it: the counts at any threshold are sums over this list."""
    return [(float(score), int(o)) for name, t in truth.items()
            for score, o in zip(detections.get(name, ImageDetections()).scores,
                                match_detections(t, detections.get(name, ImageDetections()))[0])]


def choose_threshold(truth: Mapping[str, ImageTruth], detections: Mapping[str, ImageDetections],
                     target_precision: float) -> ThresholdChoice:
    """The lowest detection score at which precision on these photos reaches ``target_precision`` (so
    the most recall at that precision). Where no threshold reaches it, the one with the best precision
    (the lowest among ties), said in the note; with no countable tag, or only false boxes,
    :data:`~spatule.config.PROVISIONAL_THRESHOLD`."""
    from spatule.config import PROVISIONAL_THRESHOLD

    tags = sum(1 for t in truth.values() for h in t.difficult if not h)
    if not tags:
        return ThresholdChoice(PROVISIONAL_THRESHOLD, "default", target_precision,
                               f"no countable tag on the val photos: the threshold was not chosen, "
                               f"{PROVISIONAL_THRESHOLD:g} is used (set detect.score_threshold, or label val photos)")
    outcomes = sorted(score_outcomes(truth, detections), key=lambda so: -so[0])
    best: tuple[float, float] | None = None  # (precision, threshold)
    reached: float | None = None
    tp = fp = 0
    for i, (score, outcome) in enumerate(outcomes):
        tp, fp = tp + (outcome == 1), fp + (outcome == 0)
        if (i + 1 < len(outcomes) and outcomes[i + 1][0] == score) or not tp + fp:
            continue  # a threshold keeps every detection of its score; none counted yet: no precision
        precision = tp / (tp + fp)
        if precision >= target_precision:
            reached = score
        if best is None or precision >= best[0]:
            best = (precision, score)
    if reached is not None:
        return ThresholdChoice(reached, "val", target_precision)
    if best is not None and best[0] == 0:
        return ThresholdChoice(PROVISIONAL_THRESHOLD, "default", target_precision,
                               f"every box on the val photos is false (precision 0 at every score): "
                               f"{PROVISIONAL_THRESHOLD:g} is used")
    if best is None:
        return ThresholdChoice(PROVISIONAL_THRESHOLD, "default", target_precision,
                               f"no detection on the val photos: {PROVISIONAL_THRESHOLD:g} is used")
    return ThresholdChoice(best[1], "val", target_precision,
                           f"no threshold reaches precision {target_precision:g} on the val photos: the best, "
                           f"{best[0]:.3f}, is reached from score {best[1]:.4f}")
