"""The synthesis settings: the ``synth.*`` config keys, checked, and the per-paste jitter ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from spatule.config import default
from spatule.detection.mask import CAMERA_MASK_KEY, Rect, as_mask
from spatule.presets import TILE_SIZE
from spatule.problems import SpatuleError

BLENDS = ("normal", "mixed", "alpha", "feather")


@dataclass(frozen=True)
class Jitter:
    """Ranges of the optional per-paste jitter; the defaults change nothing."""

    scale: tuple[float, float] = (1.0, 1.0)
    rotation_deg: float = 0.0
    flip: bool = False
    brightness: float = 0.0
    contrast: float = 0.0
    blur_sigma: float = 0.0


@dataclass(frozen=True)
class SynthSettings:
    """The ``synth.*`` config keys, and the camera's: ``info_bar_px`` and ``mask`` (``camera.mask`` as
    configured: filled grey on every ground photo, no tag pasted over it; :mod:`spatule.detection.mask`)."""

    tile_size: int = TILE_SIZE
    info_bar_px: int = 0
    mask: tuple[Rect, ...] = ()
    tags_in_place: bool = default("synth", "tags_in_place")
    edge_windows: float = default("synth", "edge_windows")
    cut_tags: float = default("synth", "cut_tags")
    use_labelled_regions: bool = default("synth", "use_labelled_regions")
    tags_per_tile: tuple[float, ...] = tuple(default("synth", "tags_per_tile"))
    blend: str = default("synth", "blend")
    blend_mix: Mapping[str, float] = field(default_factory=lambda: dict(default("synth", "blend_mix")))
    clone_pad_px: int = default("synth", "clone_pad_px")
    gap_px: int = default("synth", "gap_px")
    jitter: Jitter = Jitter()
    jpeg_quality: int = default("synth", "jpeg_quality")
    tries: int = 30

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", as_mask(self.mask))
        if self.blend not in (*BLENDS, "mix"):
            raise SpatuleError(f"synth.blend must be one of {', '.join(BLENDS)}, mix; not {self.blend!r}")
        if not self.tags_per_tile or min(self.tags_per_tile) < 0 or sum(self.tags_per_tile) <= 0:
            raise SpatuleError("synth.tags_per_tile must list non-negative weights for 0, 1, 2, ... tags per tile")
        if not (0 <= self.edge_windows <= 1 and 0 <= self.cut_tags <= 1):
            raise SpatuleError("synth.edge_windows and synth.cut_tags are shares between 0 and 1")
        unknown = set(self.blend_mix) - set(BLENDS)
        if unknown or sum(self.blend_mix.values()) <= 0:
            raise SpatuleError(f"synth.blend_mix needs positive weights over {', '.join(BLENDS)}; "
                               f"got {dict(self.blend_mix)}")


def synth_settings(synth: Mapping[str, Any], info_bar_px: int = 0, mask: Iterable[Any] | None = None) -> SynthSettings:
    """The synthesis settings from the ``synth`` config section, the camera's info bar height and ``mask``
    (``camera.mask``; None: the rectangles the rules add to the section under
    :data:`~spatule.detection.mask.CAMERA_MASK_KEY`, if any)."""
    jitter = dict(synth.get("jitter") or {})
    if "scale" in jitter:
        jitter["scale"] = tuple(float(v) for v in jitter["scale"])
    defaults = SynthSettings()
    return SynthSettings(
        tile_size=int(synth.get("tile_size", defaults.tile_size)),
        info_bar_px=int(info_bar_px),
        mask=as_mask(synth.get(CAMERA_MASK_KEY) if mask is None else mask),
        tags_in_place=bool(synth.get("tags_in_place", defaults.tags_in_place)),
        edge_windows=float(synth.get("edge_windows", defaults.edge_windows)),
        cut_tags=float(synth.get("cut_tags", defaults.cut_tags)),
        use_labelled_regions=bool(synth.get("use_labelled_regions", defaults.use_labelled_regions)),
        tags_per_tile=tuple(float(v) for v in synth.get("tags_per_tile", defaults.tags_per_tile)),
        blend=str(synth.get("blend", defaults.blend)),
        blend_mix=dict(synth.get("blend_mix", defaults.blend_mix)),
        clone_pad_px=int(synth.get("clone_pad_px", defaults.clone_pad_px)),
        gap_px=int(synth.get("gap_px", defaults.gap_px)),
        jitter=Jitter(**jitter),
        jpeg_quality=int(synth.get("jpeg_quality", defaults.jpeg_quality)),
    )
