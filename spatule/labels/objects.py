"""The objects table: one row per labelled tag or background photo (``objects.csv``), read from one
photo's labelImg XML with its defects as :class:`~spatule.problems.Problem` rows.

Real collections are messy (see ``../shared/data/spatule-sample``): boxes on the border, names that
do not follow the pattern. Each defect becomes a problem; what can be used becomes a
:class:`LabelledObject`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Iterable, Sequence

from spatule.config import compile_name_pattern, default
from spatule.geometry import Box, Rect
from spatule.labels.photos import PhotoInfo, label_frame, oriented_size
from spatule.problems import Action, Problem, Severity, SpatuleError
from spatule.tables import read_csv, write_records
from spatule.labels.voc import VocAnnotation, VocObject


DEFAULT_NAME_PATTERN = default("labels", "name_pattern")
"""VOC ``<name>`` pattern: ``tag`` or ``tag:AXFD`` (class, optional identity)."""


@dataclass(frozen=True)
class IndexSettings:
    """The ``labels.*`` config keys that govern reading."""

    class_name: str = default("labels", "class_name")
    name_pattern: str = DEFAULT_NAME_PATTERN
    border_tolerance_px: int = default("labels", "border_tolerance_px")
    unlabelled_as_background: bool = default("labels", "unlabelled_as_background")
    exif_orientation: str = default("labels", "exif_orientation")
    verify_pixels: bool = default("labels", "verify_pixels")

    def __post_init__(self) -> None:
        compile_name_pattern(self.name_pattern)
        if self.exif_orientation not in ("auto", "raw", "apply"):
            raise SpatuleError(f"labels.exif_orientation must be auto, raw or apply, not {self.exif_orientation!r}")


@dataclass(frozen=True)
class LabelledObject:
    """One row of ``objects.csv``: a tag, or a background (tag-free) photo.

    Paths are relative to the labels folder, with ``/``. Boxes are integer
    pixels in the labels' frame, ``xmax``/``ymax`` exclusive. For a background
    the object and box fields are empty.
    """

    image: str
    xml: str
    kind: str
    object: int | None
    name: str
    identity: str
    identity_source: str
    xmin: int | None
    ymin: int | None
    xmax: int | None
    ymax: int | None
    difficult: bool
    truncated: bool
    width: int
    height: int
    orientation: int
    orientation_applied: bool

    @property
    def box(self) -> Rect:
        """The tag box; raises for a background row."""
        if self.xmin is None or self.ymin is None or self.xmax is None or self.ymax is None:
            raise ValueError(f"{self.image}: a background row has no box")
        return self.xmin, self.ymin, self.xmax, self.ymax


OBJECT_COLUMNS = [f.name for f in fields(LabelledObject)]


def _problem(file: str, obj: int | None, code: str, severity: Severity, action: Action, detail: str) -> Problem:
    return Problem(file, obj, code, severity, action, detail)


def parse_name(name: str, pattern: re.Pattern[str]) -> tuple[str, str]:
    """Split a VOC ``<name>`` into (class, identity or '') with ``labels.name_pattern``.

    Without a ``class`` group in the pattern, a matching name is of the tag class.
    A name that does not match is its own class, with no identity.
    """
    match = pattern.fullmatch(name.strip())
    if not match:
        return name.strip(), ""
    groups = match.groupdict()
    identity = (groups.get("identity") or "").strip()
    if "class" in pattern.groupindex:
        return (groups.get("class") or "").strip(), identity
    return "", identity


def _px(value: float) -> int:
    return int(math.floor(value + 0.5))


def check_box(box: Box, width: int, height: int,
              tolerance_px: int) -> tuple[Rect | None, str, str]:
    """Validate a box against the image: ``(box, code, detail)``.

    Returns the integer box (clipped when it overshoots the border by at most
    ``tolerance_px``) with code ``ok`` or ``box_clipped``; or ``None`` with the
    defect: ``inverted_box``, ``empty_box``, ``box_outside``.
    """
    x0, y0, x1, y1 = (_px(v) for v in box)
    if x0 > x1 or y0 > y1:
        detail = f"xmin {x0} > xmax {x1}" if x0 > x1 else f"ymin {y0} > ymax {y1}"
        return None, "inverted_box", f"inverted box: {detail}"
    if x0 == x1 or y0 == y1:
        return None, "empty_box", f"zero-area box ({x1 - x0}x{y1 - y0} px)"
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        return None, "box_outside", f"box ({x0},{y0},{x1},{y1}) lies outside the {width}x{height} photo"
    overshoot = {"left": -x0, "top": -y0, "right": x1 - width, "bottom": y1 - height}
    worst_side, worst = max(overshoot.items(), key=lambda kv: kv[1])
    if worst > tolerance_px:
        return None, "box_outside", (f"box ({x0},{y0},{x1},{y1}) extends {worst} px beyond the {worst_side} border "
                                     f"of the {width}x{height} photo (more than "
                                     f"labels.border_tolerance_px={tolerance_px})")
    clipped = (max(x0, 0), max(y0, 0), min(x1, width), min(y1, height))
    if clipped != (x0, y0, x1, y1):
        return clipped, "box_clipped", (f"box ({x0},{y0},{x1},{y1}) overshoots the border by {worst} px; "
                                        f"clipped to {clipped}")
    return clipped, "ok", ""


def read_objects(xml_rel: str, photo_rel: str, annotation: VocAnnotation, info: PhotoInfo,
                 settings: IndexSettings) -> tuple[list[LabelledObject], list[Problem]]:
    """Turn one parsed XML + its photo into rows, and the problems met on the way."""
    problems: list[Problem] = []
    apply, reason = label_frame(info, (annotation.width, annotation.height), settings.exif_orientation)
    width, height = oriented_size(info) if apply else (info.stored_width, info.stored_height)
    if info.orientation != 1:
        problems.append(_problem(photo_rel, None, "exif_orientation", Severity.WARNING, Action.USED, reason))
    if annotation.width is None or annotation.height is None:
        problems.append(_problem(xml_rel, None, "size_missing", Severity.WARNING, Action.USED,
                                 f"<size> missing or invalid; the photo's real size {width}x{height} is used"))
    elif (annotation.width, annotation.height) != (width, height):
        problems.append(_problem(xml_rel, None, "size_mismatch", Severity.WARNING, Action.USED,
                                 f"<size> says {annotation.width}x{annotation.height} but {photo_rel} is "
                                 f"{width}x{height}; the real size is used"))
    common = dict(image=photo_rel, xml=xml_rel, width=width, height=height,
                  orientation=info.orientation, orientation_applied=apply)
    if not annotation.objects:
        return [LabelledObject(kind="background", object=None, name="", identity="", identity_source="",
                               xmin=None, ymin=None, xmax=None, ymax=None, difficult=False, truncated=False,
                               **common)], problems
    pattern = compile_name_pattern(settings.name_pattern)
    rows: list[LabelledObject] = []
    seen: dict[Rect, int] = {}
    for obj in annotation.objects:
        row, problem = _object_row(obj, pattern, settings, width, height, seen, common)
        if problem is not None:
            problems.append(problem)
        if row is not None:
            seen[row.box] = obj.index
            rows.append(row)
    if not rows:
        problems.append(_problem(photo_rel, None, "no_usable_tag", Severity.INFO, Action.SKIPPED,
                                 f"none of the {len(annotation.objects)} object(s) in {xml_rel} is a usable "
                                 f"'{settings.class_name}'; a photo with objects is not used as a tag-free background"))
    return rows, problems


def _object_row(obj: VocObject, pattern: re.Pattern[str], settings: IndexSettings, width: int, height: int,
                seen: dict[Rect, int],
                common: dict) -> tuple[LabelledObject | None, Problem | None]:
    xml_rel = common["xml"]
    name = obj.name.strip()
    if not name:
        return None, _problem(xml_rel, obj.index, "bad_name", Severity.ERROR, Action.SKIPPED, "empty <name>")
    if not pattern.fullmatch(name) and name.casefold().startswith(settings.class_name.casefold()) \
            and name.casefold() != settings.class_name.casefold():
        return None, _problem(xml_rel, obj.index, "bad_name", Severity.ERROR, Action.SKIPPED,
                              f"<name> {name!r} looks like a {settings.class_name!r} but does not match "
                              f"labels.name_pattern {pattern.pattern!r}")
    cls, identity = parse_name(obj.name, pattern)
    if "class" not in pattern.groupindex:  # no class group: a matching name is of the tag class (see parse_name)
        cls = settings.class_name if pattern.fullmatch(obj.name.strip()) else cls
    if cls != settings.class_name:
        near = cls.casefold().strip() == settings.class_name.casefold() or bool(
            re.match(rf"{re.escape(settings.class_name)}\W", cls, flags=re.IGNORECASE))
        return None, _problem(
            xml_rel, obj.index, "class_near_miss" if near else "other_class",
            Severity.ERROR if near else Severity.INFO, Action.SKIPPED,
            f"class {cls!r} looks like labels.class_name {settings.class_name!r} but differs (case, spaces or "
            "a code not in labels.name_pattern's form)"
            if near else f"class {cls!r} is not labels.class_name {settings.class_name!r}")
    if obj.box is None:
        return None, _problem(xml_rel, obj.index, "bad_box", Severity.ERROR, Action.SKIPPED, f"object {obj.defect}")
    box, code, detail = check_box(obj.box, width, height, settings.border_tolerance_px)
    if box is None:
        return None, _problem(xml_rel, obj.index, code, Severity.ERROR, Action.SKIPPED, detail)
    if box in seen:
        return None, _problem(xml_rel, obj.index, "duplicate_object", Severity.WARNING, Action.SKIPPED,
                              f"same box as object {seen[box]}; counted once")
    row = LabelledObject(kind="tag", object=obj.index, name=obj.name, identity=identity,
                         identity_source="name" if identity else "", xmin=box[0], ymin=box[1], xmax=box[2],
                         ymax=box[3], difficult=obj.difficult, truncated=obj.truncated, **common)
    problem = None
    if code == "box_clipped":
        problem = _problem(xml_rel, obj.index, code, Severity.WARNING, Action.CLIPPED, detail)
    return row, problem


def too_small_for_tiles(rows: Sequence[LabelledObject], tile_size: int,
                        labelled_ground: bool = True) -> tuple[list[LabelledObject], list[Problem]]:
    """Photos that cannot hold one ``tile_size`` tile window.

    A background photo that small is of no use to synthesis: its row is dropped
    (recorded, ``photo_smaller_than_tile``), so that the split does not spend a
    held-out slot on it. A labelled photo that small keeps its tags; when
    ``labelled_ground`` (``synth.use_labelled_regions``) it is recorded as
    lending no ground.
    """
    def small(row: LabelledObject) -> bool:
        return row.width < tile_size or row.height < tile_size

    kept: list[LabelledObject] = []
    problems: list[Problem] = []
    noted: set[str] = set()
    for row in rows:
        if not small(row):
            kept.append(row)
            continue
        size = f"{row.width}x{row.height} is smaller than a {tile_size} px tile (synth.tile_size)"
        if row.kind == "background":
            labelled_by = f" ({row.xml} has no box)" if row.xml else ""
            problems.append(_problem(row.image, None, "photo_smaller_than_tile", Severity.INFO, Action.SKIPPED,
                                     f"tag-free photo{labelled_by} not used: {size}"))
            continue
        kept.append(row)
        if labelled_ground and row.image not in noted:
            noted.add(row.image)
            problems.append(_problem(row.image, None, "photo_smaller_than_tile", Severity.INFO, Action.USED,
                                     f"its tags are used, but it lends no ground to tiles: {size}"))
    return kept, problems


def write_objects(path: Path, rows: Iterable[LabelledObject]) -> None:
    """Write ``objects.csv`` (booleans as 0/1, empty cells for missing values)."""
    write_records(path, OBJECT_COLUMNS, rows)


def read_objects_csv(path: Path) -> list[LabelledObject]:
    """Read ``objects.csv`` back into rows."""
    def opt_int(text: str) -> int | None:
        return int(text) if text != "" else None

    return [
        LabelledObject(
            image=r["image"], xml=r["xml"], kind=r["kind"], object=opt_int(r["object"]), name=r["name"],
            identity=r["identity"], identity_source=r["identity_source"], xmin=opt_int(r["xmin"]),
            ymin=opt_int(r["ymin"]), xmax=opt_int(r["xmax"]), ymax=opt_int(r["ymax"]),
            difficult=r["difficult"] == "1", truncated=r["truncated"] == "1", width=int(r["width"]),
            height=int(r["height"]), orientation=int(r["orientation"]),
            orientation_applied=r["orientation_applied"] == "1",
        )
        for r in read_csv(path)
    ]


def with_identity(row: LabelledObject, identity: str, source: str) -> LabelledObject:
    """A copy of a tag row with its identity set."""
    return replace(row, identity=identity, identity_source=source)
