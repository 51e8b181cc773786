"""TensorBoard event files read without TensorFlow: the report draws the training curves in the data
environment, which has none.

An event file is a TFRecord file (each record: its length as a little-endian uint64, a 4-byte CRC, the data,
a 4-byte CRC) of ``tensorflow.Event`` protocol buffers. Only the fields a scalar needs are decoded here,
from the protobuf wire format: ``Event.wall_time`` (1), ``step`` (2), ``summary`` (5); ``Summary.value`` (1);
``Value.tag`` (1), ``simple_value`` (2), ``tensor`` (8); a ``TensorProto``'s dtype (1), shape (2) and numbers
(``tensor_content`` (4) or the typed repeated fields). The values are those TensorFlow's
``summary_iterator`` and ``make_ndarray`` give (tests/test_layout.py writes an event file with
``tensorboard``'s writer and reads it back here, TensorFlow never imported; tests/test_evaluate.py reads
back what TensorFlow wrote). :mod:`spatule.model` reads its own training's events with it too.
"""

from __future__ import annotations

import glob
import logging
import os
import struct
from pathlib import Path
from typing import Iterator

_log = logging.getLogger("spatule")

Scalars = dict[str, list[tuple[int, float, float]]]
"""Tag -> ``[(step, wall_time, value)]``."""

_NUMBERS = {1: ("f", 5), 2: ("d", 6), 3: ("i", 7), 4: ("B", 7), 5: ("h", 7), 6: ("b", 7), 9: ("q", 10),
            17: ("H", 7), 19: ("e", 13), 22: ("I", 16), 23: ("Q", 17)}
"""TensorFlow dtype -> (``struct`` format of one number, the TensorProto field holding them when not in
``tensor_content``): float, double, int32, uint8, int16, int8, int64, uint16, half, uint32, uint64. Other
dtypes (strings, bools, complex numbers) are no scalar to draw."""

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` of a protobuf message: an int for varints, bytes otherwise."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, at = _varint(data, at)
            yield number, wire, value
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            yield number, wire, data[at: at + size]
            at += size
        elif wire == _BYTES:
            size, at = _varint(data, at)
            yield number, wire, data[at: at + size]
            at += size
        else:
            raise ValueError(f"protobuf wire type {wire} is not read here")


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _repeated(wire: int, value: int | bytes, kind: str) -> list[float]:
    """The numbers of one occurrence of a repeated TensorProto field, packed or not."""
    if kind in "fd":
        raw = value if isinstance(value, bytes) else b""
        return list(struct.unpack(f"<{len(raw) // struct.calcsize(kind)}{kind}", raw))
    numbers = [int(value)] if isinstance(value, int) else []
    at = 0
    while isinstance(value, bytes) and at < len(value):  # packed varints
        number, at = _varint(value, at)
        numbers.append(number)
    if kind == "e":  # halves travel as the int32 of their 16 bits
        return [struct.unpack("<e", struct.pack("<H", n & 0xFFFF))[0] for n in numbers]
    if kind == "q":
        return [_signed(n, 64) for n in numbers]
    return [_signed(n & 0xFFFFFFFF, 32) for n in numbers] if kind in "ihb" else [float(n) for n in numbers]


def _tensor_scalar(data: bytes) -> float | None:
    """The number a ``TensorProto`` of one element holds (0 when it lists none, as ``make_ndarray``);
    ``None`` for a tensor of another size or of no number."""
    dtype, size, content = 0, 1, b""
    fields = list(_fields(data))
    for number, _, value in fields:
        if number == 1:
            dtype = int(value)  # type: ignore[arg-type]
        elif number == 2:  # the shape: each dim's size
            for dim in (v for n, _, v in _fields(value) if n == 2):  # type: ignore[arg-type]
                size *= _signed(next((int(s) for k, _, s in _fields(dim) if k == 1), 0), 64)  # type: ignore
        elif number == 4:
            content = value  # type: ignore[assignment]
    if dtype not in _NUMBERS or size != 1:
        return None
    kind, field = _NUMBERS[dtype]
    if content:
        return float(struct.unpack_from(f"<{kind}", content)[0])
    typed = [n for number, wire, value in fields if number == field for n in _repeated(wire, value, kind)]
    return float(typed[0]) if typed else 0.0


def _event_scalars(data: bytes) -> Iterator[tuple[str, int, float, float]]:
    """``(tag, step, wall_time, value)`` of each value of an ``Event``'s summary: a tensor's one number
    (tensors of another size or no number skipped), else ``simple_value`` (0 when unset)."""
    wall, step, summaries = 0.0, 0, []
    for number, _, value in _fields(data):
        if number == 1:
            wall = struct.unpack("<d", value)[0]  # type: ignore[arg-type]
        elif number == 2:
            step = _signed(int(value), 64)  # type: ignore[arg-type]
        elif number == 5:
            summaries.append(value)
    for summary in summaries:
        for number, _, value in _fields(summary):  # type: ignore[arg-type]
            if number != 1:
                continue
            tag, simple, tensor = "", 0.0, None
            for k, _, v in _fields(value):  # type: ignore[arg-type]
                if k == 1:
                    tag = v.decode("utf-8")  # type: ignore[union-attr]
                elif k == 2:
                    simple = struct.unpack("<f", v)[0]  # type: ignore[arg-type]
                elif k == 8:
                    tensor = v
            number_of = _tensor_scalar(tensor) if tensor is not None else simple  # type: ignore[arg-type]
            if number_of is not None:
                yield tag, step, wall, float(number_of)


def records(path: Path) -> Iterator[bytes]:
    """The records of a TFRecord file, in order (a truncated last record, one still being written, ends it)."""
    data = Path(path).read_bytes()
    at = 0
    while at + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        if at + 12 + length + 4 > len(data):
            return
        yield data[at + 12: at + 12 + length]
        at += 12 + length + 4


def read_scalars(events_dir: str | Path) -> Scalars:
    """Scalars of the TensorBoard event files in ``events_dir``: tag -> [(step, wall_time, value)]."""
    scalars: Scalars = {}
    for path in sorted(glob.glob(os.path.join(str(events_dir), "events.out.tfevents.*"))):
        for record in records(Path(path)):
            for tag, step, wall, value in _event_scalars(record):
                scalars.setdefault(tag, []).append((step, wall, value))
    return scalars


def training_scalars(model_dir: Path, log: logging.Logger = _log) -> tuple[Scalars, Scalars]:
    """The scalars of ``model_dir/train`` and ``model_dir/validation`` (empty when absent, with a warning)."""
    out = []
    for sub in ("train", "validation"):
        folder = model_dir / sub
        scalars = read_scalars(folder) if folder.is_dir() else {}
        if not scalars:
            log.warning("no TensorBoard scalars in %s", folder)
        out.append(scalars)
    return out[0], out[1]
