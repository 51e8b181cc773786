"""Build small labelled-photo folders inside ``tmp_path`` for tests.

Photos are written with OpenCV (or Pillow when EXIF is needed); XML is written
the way labelImg writes Pascal VOC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

import cv2
import numpy as np
from PIL import Image

BGR = tuple[int, int, int]


def write_photo(path: Path, w: int, h: int, color: BGR = (90, 140, 60)) -> Path:
    """Write a plain ``w`` x ``h`` photo (format from the suffix) filled with a BGR colour."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((h, w, 3), color, dtype=np.uint8)
    if not cv2.imwrite(str(path), pixels):
        raise RuntimeError(f"cv2.imwrite failed for {path}")
    return path


def write_noise_jpeg(path: Path, w: int, h: int, seed: int = 0) -> Path:
    """A JPEG full of noise (so it is big enough to truncate meaningfully)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    if not cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise RuntimeError(f"cv2.imwrite failed for {path}")
    return path


def truncate_file(path: Path, keep: float = 0.5) -> Path:
    """Cut a file to the first ``keep`` fraction of its bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path


def write_exif_jpeg(path: Path, w: int, h: int, orientation: int,
                    corner_rgb: tuple[int, int, int] = (255, 0, 0), block: int = 16) -> Path:
    """A stored ``w`` x ``h`` JPEG with an EXIF orientation tag (written with Pillow).

    The stored top-left ``block`` x ``block`` corner is ``corner_rgb`` (RGB),
    the rest mid grey, so a test can see where the corner goes once rotated.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((h, w, 3), 128, dtype=np.uint8)
    pixels[:block, :block] = corner_rgb
    image = Image.fromarray(pixels, "RGB")
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def obj_xml(name: str, box: Sequence[object] | None, difficult: int = 0, truncated: int = 0) -> str:
    """One labelImg ``<object>``; ``box`` None writes no ``<bndbox>``; values are written as given."""
    bndbox = ""
    if box is not None:
        xmin, ymin, xmax, ymax = box
        bndbox = (f"\t\t<bndbox>\n\t\t\t<xmin>{xmin}</xmin>\n\t\t\t<ymin>{ymin}</ymin>\n"
                  f"\t\t\t<xmax>{xmax}</xmax>\n\t\t\t<ymax>{ymax}</ymax>\n\t\t</bndbox>\n")
    return (f"\t<object>\n\t\t<name>{escape(name)}</name>\n\t\t<pose>Unspecified</pose>\n"
            f"\t\t<truncated>{truncated}</truncated>\n\t\t<difficult>{difficult}</difficult>\n"
            f"{bndbox}\t</object>\n")


def voc_xml(filename: str | None, w: int | None, h: int | None, boxes: Iterable[Sequence[object]] = (),
            names: str | Sequence[str] = "tag", path: str | None = None, folder: str = "test-data") -> str:
    """labelImg-style Pascal VOC text.

    ``boxes``: ``(xmin, ymin, xmax, ymax)`` per object (``None`` for an object with no
    ``<bndbox>``); ``names``: one class name for all objects or one per object;
    ``path``: the ``<path>`` text (default: a path on the labeller's machine).
    ``filename``/``w``/``h`` None leave the element out.
    """
    boxes = list(boxes)
    if isinstance(names, str):
        names = [names] * len(boxes)
    if len(names) != len(boxes):
        raise ValueError("one name per box")
    if path is None and filename is not None:
        path = f"/home/antoine/PycharmProjects/spatule-birds-tags/{folder}/{filename}"
    parts = ['<annotation verified="yes">\n', f"\t<folder>{escape(folder)}</folder>\n"]
    if filename is not None:
        parts.append(f"\t<filename>{escape(filename)}</filename>\n")
    if path is not None:
        parts.append(f"\t<path>{escape(path)}</path>\n")
    parts.append("\t<source>\n\t\t<database>Unknown</database>\n\t</source>\n")
    if w is not None or h is not None:
        parts.append("\t<size>\n")
        if w is not None:
            parts.append(f"\t\t<width>{w}</width>\n")
        if h is not None:
            parts.append(f"\t\t<height>{h}</height>\n")
        parts.append("\t\t<depth>3</depth>\n\t</size>\n")
    parts.append("\t<segmented>0</segmented>\n")
    parts.extend(obj_xml(name, box) for name, box in zip(names, boxes))
    parts.append("</annotation>\n")
    return "".join(parts)


def write_xml(path: Path, text: str) -> Path:
    """Write XML text (UTF-8), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def labelled_photo(folder: Path, photo_name: str, w: int, h: int, boxes: Iterable[Sequence[object]] = (),
                   names: str | Sequence[str] = "tag", xml_name: str | None = None,
                   color: BGR = (90, 140, 60)) -> tuple[Path, Path]:
    """Write a photo and its labelImg XML (named like the photo unless ``xml_name``)."""
    photo = write_photo(folder / photo_name, w, h, color)
    xml = folder / (xml_name or (Path(photo_name).stem + ".xml"))
    write_xml(xml, voc_xml(Path(photo_name).name, w, h, boxes, names=names))
    return photo, xml


def write_glyph_sheet(path: Path, glyphs, order: str, gap: int = 12) -> Path:
    """A tag-font sheet as a user scans one: ``glyphs`` (a :class:`spatule.reading.glyphs.GlyphSet`) in
    ``order``, black in a row on white, with a little noise."""
    parts = []
    for char in order:
        ink = glyphs.glyph(char)
        parts += [ink, np.zeros((ink.shape[0], gap), np.float32)]
    row = np.pad(np.concatenate(parts, axis=1), 20)
    pixels = 255 - 255 * row + np.random.default_rng(0).normal(0, 4, row.shape)
    cv2.imwrite(str(path), np.clip(pixels, 0, 255).astype(np.uint8))
    return path


def megadetector_problems(results: dict) -> list[str]:
    """What breaks the MegaDetector batch output format's rules (https://lila.science/megadetector-output-format)
    in a results file: required keys and their types, category ids, box ranges, classifications."""
    problems = []
    version = results.get("info", {}).get("format_version")
    try:
        float(version)
        assert isinstance(version, str)
    except (TypeError, ValueError, AssertionError):
        problems.append(f"info.format_version {version!r} is no string-formatted float")
    for key in ("detection_categories", "classification_categories"):
        for cid, name in results.get(key, {}).items():
            if not (isinstance(cid, str) and cid.isdigit()) or not (isinstance(name, str) and name.strip()):
                problems.append(f"{key}: {cid!r} -> {name!r}")
    if "detection_categories" not in results or not isinstance(results.get("images"), list):
        problems.append("no detection_categories or no images list")
        return problems
    for image in results["images"]:
        where = image.get("file")
        if not isinstance(where, str) or not where:
            problems.append(f"an image without a file: {image}")
        if isinstance(image.get("failure"), str):
            if image.get("detections") not in (None,):
                problems.append(f"{where}: failed but has detections")
            continue
        if not isinstance(image.get("detections"), list):
            problems.append(f"{where}: no detections list")
            continue
        for det in image["detections"]:
            box, conf = det.get("bbox"), det.get("conf")
            if det.get("category") not in results["detection_categories"]:
                problems.append(f"{where}: category {det.get('category')!r}")
            if not (isinstance(conf, float) and 0 <= conf <= 1):
                problems.append(f"{where}: conf {conf!r}")
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, float) and 0 <= v <= 1 for v in box)
                    and box[0] + box[2] <= 1 and box[1] + box[3] <= 1):
                problems.append(f"{where}: bbox {box!r}")
            scores = [c[1] for c in det.get("classifications", [])]
            if scores != sorted(scores, reverse=True) or any(
                    c[0] not in results.get("classification_categories", {}) for c in det.get("classifications", [])):
                problems.append(f"{where}: classifications {det.get('classifications')!r}")
    return problems
