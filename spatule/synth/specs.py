"""What a plan is made of: the ground photos and tag crops it draws from, the pastes it decides
and the tiles that hold them."""

from __future__ import annotations

from dataclasses import dataclass

from spatule.geometry import Rect

IN_PLACE = "in_place"
"""The ``blend`` of a labelled tag a window shows where it is (nothing is pasted)."""


@dataclass(frozen=True)
class InPlace:
    """A labelled tag of a ground photo, which a tile window may show where it is."""

    tag_id: str
    identity: str
    box: Rect


@dataclass(frozen=True)
class Ground:
    """A photo that can lend ground: its size, pixel frame, boxes to keep away from, and its own
    labelled tags that a window may show in place (``tags``)."""

    image: str
    width: int
    height: int
    orientation: int
    orientation_applied: bool
    avoid: tuple[Rect, ...] = ()
    tags: tuple[InPlace, ...] = ()


@dataclass(frozen=True)
class TagSource:
    """A tag crop of the split: the file, its size, the exact tag box inside it."""

    tag_id: str
    file: str
    identity: str
    image: str
    width: int
    height: int
    box: Rect
    difficult: bool = False


@dataclass(frozen=True)
class Paste:
    """One tag on a tile: its source, the jitter drawn, the blend, where the mask box goes (tile
    pixels; outside the tile for a tag cut by a tile side), the whole tag box there, and the
    label: the part of it inside the tile (``visible``, only set when ``truncated``)."""

    tag_id: str
    identity: str
    source_image: str
    scale: float
    rotation_deg: float
    flip: bool
    brightness: float
    contrast: float
    blur_sigma: float
    blend: str
    mask_x: int
    mask_y: int
    box: Rect
    difficult: bool
    truncated: bool = False
    visible: Rect | None = None

    @property
    def label(self) -> Rect:
        """The box written in the labels: the whole tag, or the part the tile shows."""
        return self.visible if self.visible is not None else self.box


@dataclass(frozen=True)
class TileSpec:
    """Everything needed to render one tile."""

    split: str
    index: int
    image: str
    window_x: int
    window_y: int
    pastes: tuple[Paste, ...]

    @property
    def tile_id(self) -> str:
        """``train-00042``: the file stem of the tile."""
        return f"{self.split}-{self.index:05d}"
