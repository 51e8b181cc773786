"""``camera.mask``: rectangles of every photo that are never searched (a camera maker's logo, a
timestamp), besides the info bar at the bottom.

A rectangle is ``[x0, y0, x1, y1]`` in pixels of the photo as it is searched (after the EXIF
rotation when that is applied), ``x1``/``y1`` exclusive, the same for every photo of the study.
Values count from the photo's right or bottom edge this way (:func:`resolve_mask`):

* ``x0``, ``y0``: a negative value is ``width + x0`` (``height + y0``): ``-120`` is 120 px before the
  edge;
* ``x1``, ``y1``: zero or a negative value is ``width + x1`` (``height + y1``), so ``0`` is the edge
  itself (``[-300, 0, 0, 50]``: the top-right 300x50 px at any photo size) and ``-40`` 40 px before it.

Resolved, a rectangle must satisfy ``0 <= x0 < x1 <= width`` and ``0 <= y0 < y1 <= height``;
otherwise the first photo it does not fit stops the run, naming the rectangle and the size.

Masked pixels are filled with flat mid-grey (:data:`FILL`, the same in RGB and BGR) before a photo
is cut into tiles, at search time and in training's tiles (synthesis, hard negatives), so the model
sees the same there; and a box lying mostly (at least :data:`MOSTLY` of its area) inside the masked
rectangles is dropped from the search's findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence, TypeVar

from spatule.problems import SpatuleError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

Rect = tuple[int, int, int, int]

FILL = 128
"""The grey level every channel of a masked pixel gets."""

MOSTLY = 0.5
"""A box with at least this share of its area inside the masked rectangles is dropped."""

CAMERA_MASK_KEY = "camera_mask"
"""The key under which the rules hand ``camera.mask`` to a stage, inside the config section they already pass
(``synth``, ``detect``), only when it lists a rectangle (``rules/common.smk``): without a mask the rules' params
stay as they were before ``camera.mask`` existed."""

T = TypeVar("T")


def as_mask(value: Iterable[Any] | None, where: str = "camera.mask") -> tuple[Rect, ...]:
    """``camera.mask`` as a tuple of rectangles, checked as far as no photo size is needed: four integers
    each, and ``x0 < x1`` (``y0 < y1``) where both count from the same edge. ``None`` is no mask."""
    rects = []
    for rect in list(value or ()):
        values = list(rect) if isinstance(rect, (list, tuple)) else [rect]
        if len(values) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise SpatuleError(f"{where}: {rect!r} is not a rectangle [x0, y0, x1, y1] of four integers (pixels)")
        x0, y0, x1, y1 = values
        for low, high in ((x0, x1), (y0, y1)):
            if (low >= 0) == (high > 0) and low >= high:
                raise SpatuleError(f"{where}: rectangle {values} is empty at any photo size (x0 < x1 and y0 < y1 "
                                   "are needed; see docs/configuration.md for negative values)")
        rects.append((x0, y0, x1, y1))
    return tuple(rects)


def resolve_mask(mask: Iterable[Sequence[int]], width: int, height: int, photo: str = "") -> tuple[Rect, ...]:
    """The rectangles in pixels of a ``width`` x ``height`` photo (see the module's note for negative values);
    a :class:`SpatuleError` naming the rectangle, the size and ``photo`` when one does not fit in it."""
    resolved = []
    for rect in mask:
        x0, y0, x1, y1 = (int(v) for v in rect)
        box = (width + x0 if x0 < 0 else x0, height + y0 if y0 < 0 else y0,
               width + x1 if x1 <= 0 else x1, height + y1 if y1 <= 0 else y1)
        if not (0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height):
            named = f"{photo}: " if photo else ""
            raise SpatuleError(f"{named}camera.mask rectangle {[x0, y0, x1, y1]} is {list(box)} on this "
                               f"{width}x{height} photo, not inside it (0 <= x0 < x1 <= {width}, "
                               f"0 <= y0 < y1 <= {height})")
        resolved.append(box)
    return tuple(resolved)


def fill_mask(pixels: "np.ndarray", rects: Sequence[Rect], value: int = FILL) -> "np.ndarray":
    """A copy of ``pixels`` with the (resolved) rectangles filled with ``value``; ``pixels`` itself when there
    is no rectangle (not copied: a study without a mask gets the same bytes as before)."""
    if not rects:
        return pixels
    out = pixels.copy()
    for x0, y0, x1, y1 in rects:
        out[y0:y1, x0:x1] = value
    return out


def masked_share(box: Sequence[float], rects: Sequence[Sequence[float]]) -> float:
    """The share of ``box``'s area inside the union of ``rects`` (overlapping rectangles counted once);
    0 for a box with no area."""
    bx0, by0, bx1, by1 = (float(v) for v in box)
    area = (bx1 - bx0) * (by1 - by0)
    clipped = [(max(bx0, r[0]), max(by0, r[1]), min(bx1, r[2]), min(by1, r[3])) for r in rects]
    clipped = [c for c in clipped if c[0] < c[2] and c[1] < c[3]]
    if area <= 0 or not clipped:
        return 0.0
    xs = sorted({v for c in clipped for v in (c[0], c[2])})
    ys = sorted({v for c in clipped for v in (c[1], c[3])})
    inside = 0.0
    for xa, xb in zip(xs, xs[1:]):
        for ya, yb in zip(ys, ys[1:]):
            cx, cy = (xa + xb) / 2, (ya + yb) / 2
            if any(c[0] <= cx < c[2] and c[1] <= cy < c[3] for c in clipped):
                inside += (xb - xa) * (yb - ya)
    return inside / area


def is_masked(box: Sequence[float], rects: Sequence[Sequence[float]]) -> bool:
    """Whether ``box`` lies mostly (at least :data:`MOSTLY` of its area) inside the rectangles."""
    return bool(rects) and masked_share(box, rects) >= MOSTLY


def drop_masked(found: Iterable[T], rects: Sequence[Sequence[float]]) -> list[T]:
    """The detections (anything with a ``box``) not lying mostly inside the rectangles, in order."""
    return [d for d in found if not is_masked(d.box, rects)]  # type: ignore[attr-defined]
