"""Static boxes: what a detector finds at the same pixels in a large share of one camera's frames.

A camera maker's logo, a sign post, a white stone: a look-alike that never moves comes back in every frame
of its camera, while a bird stays a few frames at most. As MegaDetector's repeat-detection elimination
does, boxes of one camera that overlap (IoU at least ``detect.static_iou``) in at least
``detect.static_share`` of that camera's searched frames (and in :data:`MIN_FRAMES` frames or more) are
**static**, unless most of them are read as a bird of the registry (a bird on its nest all day): marked in
``detections.csv``, kept out of sightings, visits, the labelImg pre-labels and the MegaDetector file's
detections, and listed for review in ``static.csv`` (one row per place). To never search such a place at
all, give it to ``camera.mask``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from spatule.geometry import Box, iou_matrix

MIN_FRAMES = 5
"""A place is static only when its boxes come back in at least this many frames (a short season or a camera
with few frames has no static box)."""

STATIC_COLUMNS = ["camera", "x0", "y0", "x1", "y1", "frames", "camera_frames", "share", "mean_score",
                  "example_photo"]
"""Columns of ``results/detect/static.csv``: one row per static place of a camera, its median box."""


@dataclass(frozen=True)
class StaticPlace:
    """Boxes of one camera at one place: which detections (indices into the caller's list) and in how
    many of the camera's frames."""

    camera: str
    box: Box
    members: tuple[int, ...]
    frames: int
    camera_frames: int
    mean_score: float
    example_photo: str

    def row(self) -> list[object]:
        """The :data:`STATIC_COLUMNS` values."""
        return [self.camera, *(round(v, 1) for v in self.box), self.frames, self.camera_frames,
                round(self.frames / max(1, self.camera_frames), 4), round(self.mean_score, 4), self.example_photo]


def places(boxes: Sequence[Box], min_iou: float) -> list[list[int]]:
    """Boxes (of one camera) grouped by place: each box, in order, joins the first group whose first box it
    overlaps at ``min_iou`` or more, else starts one."""
    groups: list[list[int]] = []
    firsts = np.zeros((0, 4))
    for k, box in enumerate(boxes):
        hits = np.flatnonzero(iou_matrix(firsts, np.asarray([box], dtype=float))[:, 0] >= min_iou)
        if hits.size:
            groups[int(hits[0])].append(k)
        else:
            groups.append([k])
            firsts = np.vstack([firsts, np.asarray(box, dtype=float)])
    return groups


def static_places(boxes: Sequence[Box], photos: Sequence[str], cameras: Sequence[str], scores: Sequence[float],
                  camera_frames: Mapping[str, int], min_iou: float, min_share: float,
                  read: Sequence[bool] = ()) -> list[StaticPlace]:
    """The static places among detections (``boxes``, ``photos``, ``cameras``, ``scores``: one per detection;
    ``camera_frames``: each camera's searched frames): places whose boxes come back in at least ``min_share``
    of their camera's frames and :data:`MIN_FRAMES`, unless most of their boxes are ``read`` (each read alone as
    a bird of the registry: a bird on its nest all day is a bird); by camera, then place. ``min_share`` above
    1: none."""
    found: list[StaticPlace] = []
    for camera in sorted(set(cameras)):
        mine = sorted((k for k, c in enumerate(cameras) if c == camera), key=lambda k: (photos[k], boxes[k]))
        total = int(camera_frames.get(camera, 0))
        for group in places([boxes[k] for k in mine], min_iou):
            members = [mine[g] for g in group]
            frames = len({photos[k] for k in members})
            birds = sum(1 for k in members if read and read[k])
            if frames >= MIN_FRAMES and total and frames >= min_share * total and 2 * birds <= len(members):
                median = tuple(float(v) for v in np.median(np.array([boxes[k] for k in members]), axis=0))
                found.append(StaticPlace(camera, median, tuple(sorted(members)), frames, total,  # type: ignore[arg-type]
                                         float(np.mean([scores[k] for k in members])), photos[members[0]]))
    return sorted(found, key=lambda p: (p.camera, p.box))
