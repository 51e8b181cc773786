"""Photos on disk: probing size and EXIF orientation, decoding in the labels' frame.

labelImg shows (and so labels) the pixels as stored in the file, without applying
the EXIF orientation; other tools rotate first. :func:`label_frame` decides which
frame a label file used, and :func:`read_photo` decodes pixels in that frame.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from spatule.problems import SpatuleError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
"""Photo file extensions spatule reads, compared case-insensitively."""

_SWAPS_AXES = {5, 6, 7, 8}


@dataclass(frozen=True)
class PhotoInfo:
    """What a photo file holds: stored size, EXIF orientation (1-8), mode and format."""

    stored_width: int
    stored_height: int
    orientation: int
    mode: str
    format: str


def probe_photo(path: Path, verify: bool = True) -> PhotoInfo:
    """Read size and EXIF orientation; with ``verify`` decode every pixel.

    Raises :class:`SpatuleError` naming the file for a file that is not an image,
    is truncated or is corrupt.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                orientation = int(image.getexif().get(0x0112, 1) or 1)
                mode, fmt = image.mode, image.format or "?"
                if verify:
                    image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise SpatuleError(f"{path}: cannot read the photo ({exc})") from None
    if orientation not in range(1, 9):
        orientation = 1
    return PhotoInfo(width, height, orientation, mode, fmt)


def oriented_size(info: PhotoInfo) -> tuple[int, int]:
    """Width and height after applying the EXIF orientation."""
    if info.orientation in _SWAPS_AXES:
        return info.stored_height, info.stored_width
    return info.stored_width, info.stored_height


def label_frame(info: PhotoInfo, xml_size: tuple[int | None, int | None], policy: str) -> tuple[bool, str]:
    """Decide whether labels refer to the EXIF-rotated frame.

    ``policy``: ``raw`` (stored pixels, as labelImg), ``apply`` (rotated), or
    ``auto``: rotated only when the XML ``<size>`` matches the rotated size and
    not the stored one, else raw. Returns ``(apply_orientation, reason)``.
    """
    if info.orientation == 1:
        return False, "no EXIF rotation"
    if policy == "raw":
        return False, f"EXIF orientation {info.orientation} ignored (labels.exif_orientation: raw)"
    if policy == "apply":
        return True, f"EXIF orientation {info.orientation} applied (labels.exif_orientation: apply)"
    stored = (info.stored_width, info.stored_height)
    rotated = oriented_size(info)
    if tuple(xml_size) == rotated and rotated != stored:
        return True, (f"EXIF orientation {info.orientation} applied: the XML <size> "
                      f"{rotated[0]}x{rotated[1]} matches the rotated photo")
    return False, (f"EXIF orientation {info.orientation} ignored: labels read in the stored pixel frame, "
                   "as labelImg shows it (set labels.exif_orientation: apply if your tool rotated the photo)")


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/flip stored pixels as the EXIF orientation tag says."""
    ops = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1, :],
    }
    return np.ascontiguousarray(ops.get(orientation, ops[1])(pixels))


def read_photo(path: Path, orientation: int = 1, apply: bool = False) -> np.ndarray:
    """Decode a photo as uint8 BGR (3 channels) in the labels' frame.

    Grey, 16-bit, palette and CMYK files are converted to 8-bit BGR. Raises
    :class:`SpatuleError` naming the file when it cannot be decoded.
    """
    data = np.fromfile(str(path), dtype=np.uint8)
    pixels = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION) if data.size else None
    if pixels is None:
        raise SpatuleError(f"{path}: cannot decode the photo")
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise SpatuleError(f"{path}: decoded to {pixels.dtype} {pixels.shape}, expected 8-bit BGR")
    return apply_orientation(pixels, orientation) if apply else pixels


DATETIME_ORIGINAL = 0x9003
"""EXIF ``DateTimeOriginal`` (in the Exif IFD, ``0x8769``): when the camera took the photo."""


def exif_time(text: str) -> str | None:
    """An EXIF date (``YYYY:MM:DD HH:MM:SS``) as ``YYYY-MM-DDTHH:MM:SS``; None for one that is no real
    time (``0000:00:00 00:00:00`` from a camera whose clock was never set, blanks, garbage)."""
    from datetime import datetime

    try:
        return datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


MODEL, BODY_SERIAL_NUMBER = 0x0110, 0xA431
"""EXIF tags: the camera model (IFD0) and its serial number (Exif IFD)."""


def photo_time(path: Path) -> str | None:
    """When the photo was taken, from EXIF ``DateTimeOriginal``, as ``YYYY-MM-DDTHH:MM:SS``; None when
    the photo has none or an unreadable one (never the file's time: a copy or a download changes that)."""
    return photo_exif(path)[0]


def _text(value: object) -> str:
    return (value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")).strip("\x00 ")


def photo_exif(path: Path) -> tuple[str | None, str | None]:
    """When (:func:`photo_time`) and with which camera the photo was taken, from one read of its EXIF block:
    the camera's model, and its serial number where the camera writes one (``"<model> <serial>"``); None for
    what it does not say (or a broken block: never a failed job)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            extra = exif.get_ifd(0x8769)
            raw, model, serial = extra.get(DATETIME_ORIGINAL), exif.get(MODEL), extra.get(BODY_SERIAL_NUMBER)
    except Exception:  # noqa: BLE001 - a broken EXIF block of any kind means no time, never a failed job
        return None, None
    camera = " ".join(w for w in (_text(model), _text(serial)) if w)
    return exif_time(_text(raw)), camera or None


def exif_segment(when: str, camera: str) -> bytes:
    """An EXIF APP1 payload saying when (``YYYY:MM:DD HH:MM:SS``) and with which camera a photo was taken."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0110] = camera  # Model
    exif.get_ifd(0x8769)[DATETIME_ORIGINAL] = when
    return exif.tobytes()


def with_exif(jpeg: bytes, payload: bytes) -> bytes:
    """JPEG bytes with an EXIF APP1 segment (``payload`` from :func:`exif_segment`) right after SOI."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG: no SOI marker")
    if not payload.startswith(b"Exif\x00\x00"):
        payload = b"Exif\x00\x00" + payload
    return jpeg[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]
