"""What to label next: the searched photos the models are unsure about, with the reasons for each.

Labelling is the biologist's scarcest hour. A photo may be worth labelling when the models are unsure about it:

* **boxes near the threshold**: detections whose score is within :data:`NEAR` of the detection threshold
  (``detect.score_threshold`` or the one chosen on val): the detector cannot tell tag from look-alike there;
* **unread tags**: tags found but not read as a bird (their visit not read either): the reader needs them;
* **visits whose frames disagree**: frames leaning to different birds (``flag`` in ``visits.csv``);
* **photos unlike the labelled ones**: a photo whose thumbnail (:func:`thumbnail`) is farther from every
  labelled train photo's than :data:`UNLIKE_QUANTILE` of the labelled train photos are from each other (a new
  camera angle, snow, a night frame when none was labelled).

Static boxes (a logo) are never a reason. Each reason adds its weight (:data:`WEIGHTS`) per box, visit or
photo: the photo's ``priority``. The photos are listed camera by camera in time order, **not** ranked: on
the demo, labelling the photos of highest priority first taught the reader no more than labelling as many
photos drawn at random (``bench/to_label.py``, docs/results.md), so no order is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from spatule.reading.registry import UNREAD

NEAR = 0.15
"""A box whose score is less than this above the detection threshold is near it."""

UNLIKE_QUANTILE = 0.95
"""A photo is unlike the labelled ones when its thumbnail is farther from the nearest labelled train photo's
than this quantile of the labelled train photos' own distances to their nearest other one."""

THUMB = (16, 12)
"""The thumbnail a photo is compared by (width, height, grey levels)."""

WEIGHTS = {"near_threshold": 1.0, "unread": 1.0, "visit_disagrees": 2.0, "unlike": 2.0}
"""How much each reason counts (per box, per visit, per photo)."""

TO_LABEL_COLUMNS = ["photo", "camera", "time", "priority", "near_threshold", "unread", "visit_disagrees", "unlike",
                    "reasons"]
"""Columns of ``results/detect/to_label.csv``: one row per photo with a reason, camera by camera in time order."""


@dataclass
class PhotoReasons:
    """What speaks for labelling one photo."""

    near: list[float] = field(default_factory=list)
    unread: int = 0
    disagreeing: list[str] = field(default_factory=list)
    unlike: float | None = None
    """How far its thumbnail is from the nearest labelled train photo's (only when it is unlike them)."""

    @property
    def priority(self) -> float:
        return (WEIGHTS["near_threshold"] * len(self.near) + WEIGHTS["unread"] * self.unread
                + WEIGHTS["visit_disagrees"] * len(self.disagreeing) + WEIGHTS["unlike"] * (self.unlike is not None))

    def text(self) -> str:
        """The reasons in words."""
        parts = []
        if self.near:
            scores = ", ".join(f"{s:.2f}" for s in self.near)
            parts.append(f"{len(self.near)} box(es) near the threshold (score {scores})")
        if self.unread:
            parts.append(f"{self.unread} tag(s) found but not read")
        if self.disagreeing:
            parts.append(f"visit(s) {', '.join(self.disagreeing)}: frames lean to different birds")
        if self.unlike is not None:
            parts.append(f"unlike the labelled photos (thumbnail distance {self.unlike:.1f})")
        return "; ".join(parts)


def thumbnail(path: Path) -> np.ndarray | None:
    """A photo's :data:`THUMB` grey thumbnail (as float32 levels), decoded at an eighth of its size; ``None``
    when it cannot be decoded."""
    import cv2

    grey = cv2.imread(str(path), cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if grey is None:
        return None
    return cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32).ravel()


def nearest_distances(points: np.ndarray, base: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Each row of ``points``' Euclidean distance to its nearest row of ``base``, ``chunk`` rows at a time (a
    season of 17,000 photos against 500 labelled ones never holds more than ``chunk`` x 500 distances)."""
    base_norms = (base * base).sum(axis=1)
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = points[start: start + chunk]
        squared = (block * block).sum(axis=1)[:, None] + base_norms[None, :] - 2.0 * block @ base.T
        out[start: start + chunk] = np.sqrt(np.clip(squared, 0, None).min(axis=1))
    return out


def unlike_photos(new: Mapping[str, np.ndarray], labelled: Sequence[np.ndarray]) -> dict[str, float]:
    """The new photos unlike the labelled ones (see :data:`UNLIKE_QUANTILE`), with their distance; none when
    fewer than 3 labelled thumbnails."""
    if len(labelled) < 3 or not new:
        return {}
    base = np.stack(labelled).astype(np.float64)
    own = np.array([nearest_distances(base[k: k + 1], np.delete(base, k, axis=0))[0] for k in range(len(base))])
    bound = float(np.quantile(own, UNLIKE_QUANTILE))
    names = sorted(new)
    nearest = nearest_distances(np.stack([new[n] for n in names]).astype(np.float64), base)
    return {n: float(d) for n, d in zip(names, nearest) if d > bound}


def photo_reasons(detections: Sequence[Mapping[str, str]], visits: Sequence[Mapping[str, str]], threshold: float,
                  unlike: Mapping[str, float]) -> dict[str, PhotoReasons]:
    """The reasons of each photo: from ``detections.csv`` rows (read, with ``static`` and the visit columns),
    ``visits.csv`` rows, the detection ``threshold`` and the :func:`unlike_photos`."""
    reasons: dict[str, PhotoReasons] = {}
    flagged = {v["visit"] for v in visits if v.get("flag")}
    for row in detections:
        if row.get("static") == "1":
            continue
        mine = reasons.setdefault(row["photo"], PhotoReasons())
        score = float(row["score"])
        if score < threshold + NEAR:
            mine.near.append(score)
        if row.get("visit_match", row.get("registry_match", UNREAD)) == UNREAD:
            mine.unread += 1
        if row.get("visit") in flagged and row["visit"] not in mine.disagreeing:
            mine.disagreeing.append(row["visit"])
    for photo, distance in unlike.items():
        reasons.setdefault(photo, PhotoReasons()).unlike = distance
    return {p: r for p, r in reasons.items() if r.priority > 0}


def reason_rows(reasons: Mapping[str, PhotoReasons], photos: Sequence[Mapping[str, str]]) -> list[list[object]]:
    """The :data:`TO_LABEL_COLUMNS` rows of the photos with a reason, camera by camera in time order (photos
    without a time last, by name)."""
    about = {p["photo"]: p for p in photos}

    def where(photo: str) -> tuple[str, bool, str, str]:
        known = about.get(photo, {})
        return known.get("camera", ""), not known.get("time"), known.get("time", ""), photo

    return [[p, about.get(p, {}).get("camera", ""), about.get(p, {}).get("time", ""), round(reasons[p].priority, 2),
             len(reasons[p].near), reasons[p].unread, len(reasons[p].disagreeing), int(reasons[p].unlike is not None),
             reasons[p].text()] for p in sorted(reasons, key=where)]
