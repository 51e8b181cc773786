"""How photos are searched: the search settings (the ``detect`` config section, the tile size, the
largest labelled tag, the camera's info bar and ``camera.mask``), written once by rule ``search_settings`` and read back
everywhere a photo is searched.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping


from spatule.config import PROVISIONAL_THRESHOLD, default
from spatule.detection.mask import CAMERA_MASK_KEY, Rect, as_mask
from spatule.presets import TILE_SIZE
from spatule.problems import SpatuleError


_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class DetectSettings:
    """How full-size photos are searched (the ``detect`` config section).

    ``tile_size``: side of the tiles fed to the model (``synth.tile_size``, 640);
    ``overlap``: pixels shared by neighbouring tiles (see :func:`seam_overlap`); ``batch_size``:
    tiles per model call; ``score_threshold``: detections kept; ``merge``/``merge_threshold``:
    how tags seen by two tiles come back once (see :mod:`spatule.detection.tiling`); ``whole_photo``:
    add a pass over the whole photo shrunk to one tile (large tags); ``info_bar_px``: rows
    at the bottom not searched (the camera's info bar; 0 with ``detect.search_info_bar``); ``mask``: rectangles
    never searched (``camera.mask``, as configured: :mod:`spatule.detection.mask`).
    """

    tile_size: int = TILE_SIZE
    overlap: int = 224
    batch_size: int = default("detect", "batch_size")
    score_threshold: float = PROVISIONAL_THRESHOLD
    merge: str = default("detect", "merge")
    merge_threshold: float = default("detect", "merge_threshold")
    whole_photo: bool = default("detect", "whole_photo")
    info_bar_px: int = 0
    mask: tuple[Rect, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", as_mask(self.mask))  # a card's lists as tuples, checked

    def with_threshold(self, score_threshold: float) -> "DetectSettings":
        from dataclasses import replace

        return replace(self, score_threshold=float(score_threshold))


def seam_overlap(largest_tag_px: float) -> int:
    """The overlap that lets every tag be seen whole by the tile that owns its centre: the largest
    tag side plus twice :data:`spatule.detection.tiling.SEAM_MARGIN_PX`, rounded up to 8 px."""
    from spatule.detection.tiling import SEAM_MARGIN_PX

    return int(math.ceil((float(largest_tag_px) + 2 * SEAM_MARGIN_PX) / 8.0)) * 8


def largest_tag_side(objects: Iterable[Any]) -> int:
    """The longest side of any labelled tag (``objects.csv`` rows), 0 when there is none."""
    return max((max(r.box[2] - r.box[0], r.box[3] - r.box[1]) for r in objects if r.kind == "tag"), default=0)


def detect_settings(detect: Mapping[str, Any], tile_size: int, largest_tag_px: int = 0, info_bar_px: int = 0,
                    log: logging.Logger = _log, mask: Iterable[Any] | None = None) -> DetectSettings:
    """The settings from the ``detect`` config section, the synthetic tile size, the largest
    labelled tag (for ``detect.overlap: null``), the camera's info bar height and ``mask`` (``camera.mask``;
    None: the rectangles the rules add to the section under :data:`~spatule.detection.mask.CAMERA_MASK_KEY`,
    if any)."""
    defaults = DetectSettings()
    overlap = detect.get("overlap")
    need = seam_overlap(largest_tag_px) if largest_tag_px else defaults.overlap  # no labelled tag: the default
    settings = DetectSettings(
        tile_size=int(tile_size),
        overlap=min(need, int(tile_size) // 2) if overlap is None else int(overlap),
        batch_size=int(detect.get("batch_size", defaults.batch_size)),
        score_threshold=float(detect.get("score_threshold") if detect.get("score_threshold") is not None
                              else defaults.score_threshold),
        merge=str(detect.get("merge", defaults.merge)),
        merge_threshold=float(detect.get("merge_threshold", defaults.merge_threshold)),
        whole_photo=bool(detect.get("whole_photo", defaults.whole_photo)),
        info_bar_px=0 if detect.get("search_info_bar", default("detect", "search_info_bar")) else int(info_bar_px),
        mask=as_mask(detect.get(CAMERA_MASK_KEY) if mask is None else mask),
    )
    if not 0 <= settings.overlap < settings.tile_size:
        raise SpatuleError(f"detect.overlap: {settings.overlap} px must be below the tile size {settings.tile_size}")
    if largest_tag_px and settings.overlap < need:
        log.warning("detect.overlap %d px is below the %d px that the largest labelled tag (%d px) needs%s: a tag "
                    "near a seam may come back cut or twice", settings.overlap, need, largest_tag_px,
                    " (at most half a tile; raise synth.tile_size or use detect.whole_photo for tags that large)"
                    if overlap is None else "")
    log.info("search: %d px tiles overlapping by %d px%s%s, merge %s", settings.tile_size, settings.overlap,
             f", bottom {settings.info_bar_px} px (info bar) left out" if settings.info_bar_px else "",
             f", camera.mask {[list(r) for r in settings.mask]} filled grey and left out" if settings.mask else "",
             settings.merge)
    return settings


def settings_from_labels(detect: Mapping[str, Any], tile_size: int, objects_csv: Path, info_bar_px: int = 0,
                         log: logging.Logger = _log, mask: Iterable[Any] | None = None) -> DetectSettings:
    """:func:`detect_settings` with the largest tag taken from the labels' ``objects.csv``."""
    from spatule.labels.objects import read_objects_csv

    return detect_settings(detect, tile_size, largest_tag_side(read_objects_csv(objects_csv)), info_bar_px, log,
                           mask)
