"""Small CSV tables, written the same way everywhere: UTF-8, ``\\n`` line ends,
booleans as 0/1, missing values as empty cells."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence


def cell(value: object) -> object:
    """How one value is written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a table with its header (always present, even without rows)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([cell(v) for v in row] for row in rows)


def write_records(path: Path, header: Sequence[str], records: Iterable[object]) -> None:
    """Write dataclass-like records, one column per attribute named in ``header``."""
    write_csv(path, header, ([getattr(r, c) for c in header] for r in records))


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a table as dictionaries of strings."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
