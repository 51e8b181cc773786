"""Pascal VOC XML as labelImg writes it, read with a hardened parser.

The parser resolves no entity, loads no DTD and reaches no network; a document
that declares a DTD at all is refused (labelImg never writes one), which also
closes the door on XXE and entity-expansion ("billion laughs") files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from spatule.geometry import Box
from spatule.problems import SpatuleError


@dataclass(frozen=True)
class VocObject:
    """One ``<object>``; ``defect`` says why its box cannot be used (else ``None``)."""

    index: int
    name: str
    difficult: bool
    truncated: bool
    box: Box | None
    defect: str | None = None


@dataclass(frozen=True)
class VocAnnotation:
    """The parts of a labelImg XML that spatule uses."""

    filename: str | None
    folder: str | None
    path: str | None
    width: int | None
    height: int | None
    objects: tuple[VocObject, ...]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _text(element: etree._Element | None, tag: str) -> str | None:
    if element is None:
        return None
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    text = child.text.strip()
    return text or None


def _flag(element: etree._Element, tag: str) -> bool:
    return _text(element, tag) in ("1", "true", "True")


def _size(root: etree._Element, tag: str) -> int | None:
    raw = _text(root.find("size"), tag)
    try:
        value = int(float(raw)) if raw is not None else None
    except (ValueError, OverflowError):  # "nan" -> ValueError, "inf" -> OverflowError
        return None
    return value if value and value > 0 else None


def parse_box(bndbox: etree._Element | None) -> tuple[Box | None, str | None]:
    """Read ``<bndbox>``: the four numbers, or the reason they are unusable."""
    if bndbox is None:
        return None, "has no <bndbox>"
    values: list[float] = []
    for tag in ("xmin", "ymin", "xmax", "ymax"):
        raw = _text(bndbox, tag)
        if raw is None:
            return None, f"<bndbox> has no <{tag}>"
        try:
            value = float(raw)
        except ValueError:
            return None, f"<{tag}> is not a number: {raw[:40]!r}"
        if not math.isfinite(value):
            return None, f"<{tag}> is not a finite number: {raw[:40]!r}"
        values.append(value)
    return (values[0], values[1], values[2], values[3]), None


def parse_voc(data: bytes, source: str) -> VocAnnotation:
    """Parse one VOC XML document; ``source`` names the file in error messages.

    Raises :class:`SpatuleError` for a document that is not well-formed, declares
    a DTD or entities, or whose root is not ``<annotation>``.
    """
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise SpatuleError(
            f"{source}: the XML declares a DTD or entities; refused "
            "(labelImg never writes one, and entities can read files or expand without bound)"
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise SpatuleError(f"{source}: not well-formed XML ({exc.msg})") from None
    if root is not None and root.getroottree().docinfo.internalDTD is not None:
        raise SpatuleError(f"{source}: the XML declares a DTD; refused (labelImg never writes one)")
    if root is None or root.tag != "annotation":
        tag = None if root is None else root.tag
        raise SpatuleError(f"{source}: root element is <{tag}>, not <annotation> (not a Pascal VOC file)")
    objects = []
    for index, element in enumerate(root.findall("object"), start=1):
        box, defect = parse_box(element.find("bndbox"))
        objects.append(
            VocObject(
                index=index,
                name=_text(element, "name") or "",
                difficult=_flag(element, "difficult"),
                truncated=_flag(element, "truncated"),
                box=box,
                defect=defect,
            )
        )
    return VocAnnotation(
        filename=_text(root, "filename"),
        folder=_text(root, "folder"),
        path=_text(root, "path"),
        width=_size(root, "width"),
        height=_size(root, "height"),
        objects=tuple(objects),
    )


def voc_object(index: int, name: str, box: Box, difficult: bool = False, truncated: bool = False) -> VocObject:
    """A usable ``<object>`` to write (its box in pixels, ``x1``/``y1`` exclusive)."""
    return VocObject(index=index, name=name, difficult=difficult, truncated=truncated, box=box)


def voc_text(annotation: VocAnnotation, database: str = "Unknown", depth: int = 3) -> str:
    """``annotation`` as labelImg writes it: tab-indented, no XML declaration, boxes in whole pixels.

    The one VOC writer of the project (demo labels, synthetic tiles): what it
    writes, :func:`parse_voc` and labelImg read back unchanged.
    """
    lines = [
        "<annotation>",
        f"\t<folder>{escape(annotation.folder or '')}</folder>",
        f"\t<filename>{escape(annotation.filename or '')}</filename>",
        f"\t<path>{escape(annotation.path or '')}</path>",
        "\t<source>",
        f"\t\t<database>{escape(database)}</database>",
        "\t</source>",
        "\t<size>",
        f"\t\t<width>{int(annotation.width or 0)}</width>",
        f"\t\t<height>{int(annotation.height or 0)}</height>",
        f"\t\t<depth>{int(depth)}</depth>",
        "\t</size>",
        "\t<segmented>0</segmented>",
    ]
    for obj in annotation.objects:
        if obj.box is None:
            raise SpatuleError(f"{annotation.filename}: object {obj.index} has no box to write")
        x0, y0, x1, y1 = (int(round(v)) for v in obj.box)
        lines += [
            "\t<object>",
            f"\t\t<name>{escape(obj.name)}</name>",
            "\t\t<pose>Unspecified</pose>",
            f"\t\t<truncated>{int(obj.truncated)}</truncated>",
            f"\t\t<difficult>{int(obj.difficult)}</difficult>",
            "\t\t<bndbox>",
            f"\t\t\t<xmin>{x0}</xmin>",
            f"\t\t\t<ymin>{y0}</ymin>",
            f"\t\t\t<xmax>{x1}</xmax>",
            f"\t\t\t<ymax>{y1}</ymax>",
            "\t\t</bndbox>",
            "\t</object>",
        ]
    lines.append("</annotation>")
    return "\n".join(lines) + "\n"
