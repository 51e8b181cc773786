"""Which bird each tag belongs to: the identity that the split keeps disjoint.

Sources, in order: ``labels.identities`` (CSV ``image,xmin,ymin,xmax,ymax,identity``,
matched by photo and box within a tolerance), then the VOC ``<name>`` when it
carries a code (``tag:AXFD``), else each photo is its own group: the same bird
may then sit in photos of different splits, and the log and report say so.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

from spatule.geometry import Box, box_distance
from spatule.labels.objects import LabelledObject, with_identity
from spatule.problems import Action, Problem, Severity, SpatuleError

IDENTITY_COLUMNS = ("image", "xmin", "ymin", "xmax", "ymax", "identity")
PHOTO_GROUP_PREFIX = "photo:"


@dataclass(frozen=True)
class IdentityRow:
    """One row of an identities CSV; ``line`` is its line number in the file."""

    line: int
    image: str
    box: Box
    identity: str


def read_identities_csv(path: Path) -> tuple[list[IdentityRow], list[Problem]]:
    """Read an identities CSV; bad rows become problems naming file and line.

    A file that cannot be read or lacks a column raises :class:`SpatuleError`.
    """
    name = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SpatuleError(f"labels.identities {name}: cannot read ({exc.strerror})") from None
    rows: list[IdentityRow] = []
    problems: list[Problem] = []
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            missing = [c for c in IDENTITY_COLUMNS if c not in header]
            if missing:
                raise SpatuleError(f"labels.identities {name}: missing column(s) {', '.join(missing)}; "
                                   f"expected the header {','.join(IDENTITY_COLUMNS)}")
            reader.fieldnames = header
            for record in reader:
                line = reader.line_num
                identity = (record.get("identity") or "").strip()
                try:
                    box = tuple(float(record[c]) for c in ("xmin", "ymin", "xmax", "ymax"))
                except (TypeError, ValueError):
                    problems.append(Problem(name, line, "bad_identity_row", Severity.ERROR, Action.SKIPPED,
                                            "a box coordinate is missing or not a number"))
                    continue
                if not identity:
                    problems.append(Problem(name, line, "bad_identity_row", Severity.ERROR, Action.SKIPPED,
                                            "the identity cell is empty"))
                    continue
                image = (record.get("image") or "").strip().replace("\\", "/")
                rows.append(IdentityRow(line, image, box, identity))  # type: ignore[arg-type]
        except UnicodeDecodeError:
            raise SpatuleError(f"labels.identities {name}: not UTF-8 text") from None
        except csv.Error as exc:
            raise SpatuleError(f"labels.identities {name}: not a valid CSV ({exc})") from None
    return rows, problems


def _photo_keys(tags: Sequence[LabelledObject]) -> dict[str, str]:
    """Names by which a CSV may refer to a photo: its relative path, and any trailing part of it when unique
    (its bare name; with several labels.dir folders, its path in its folder)."""
    keys: dict[str, str] = {}
    names = Counter(part for image in {t.image for t in tags} for part in _trailing_parts(image))
    for tag in tags:
        keys[tag.image] = tag.image
        keys.setdefault(tag.image.lower(), tag.image)
        for name in _trailing_parts(tag.image):
            if names[name] == 1:
                keys.setdefault(name, tag.image)
                keys.setdefault(name.lower(), tag.image)
    return keys


def _trailing_parts(image: str) -> list[str]:
    """``a/b/c.jpg`` -> ``c.jpg``, ``b/c.jpg``, ``a/b/c.jpg``: the paths it ends with."""
    parts = PurePosixPath(image).parts
    return ["/".join(parts[-k:]) for k in range(1, len(parts) + 1)]


def match_identities(tags: Sequence[LabelledObject], rows: Sequence[IdentityRow], tolerance_px: float,
                     source: str) -> tuple[dict[int, IdentityRow], list[Problem]]:
    """Pair CSV rows with tags (index into ``tags``) one to one, closest boxes first.

    A row that matches no tag within ``tolerance_px`` becomes a problem.
    """
    keys = _photo_keys(tags)
    candidates: list[tuple[float, int, int]] = []
    problems: list[Problem] = []
    for r, row in enumerate(rows):
        image = keys.get(row.image) or keys.get(row.image.lower())
        if image is None:
            problems.append(Problem(source, row.line, "identity_unmatched", Severity.WARNING, Action.SKIPPED,
                                    f"photo {row.image!r} has no usable tag in the index (missing, skipped or "
                                    f"tag-free); identity {row.identity!r} not used"))
            continue
        for t, tag in enumerate(tags):
            if tag.image == image:
                distance = box_distance(row.box, tag.box)
                if distance <= tolerance_px:
                    candidates.append((distance, r, t))
    matched: dict[int, IdentityRow] = {}
    used_rows: set[int] = set()
    for distance, r, t in sorted(candidates):
        if r in used_rows or t in matched:
            continue
        matched[t] = rows[r]
        used_rows.add(r)
    for r, row in enumerate(rows):
        if r not in used_rows and not any(p.object == row.line for p in problems):
            problems.append(Problem(source, row.line, "identity_unmatched", Severity.WARNING, Action.SKIPPED,
                                    f"no tag of {row.image!r} has a box within {tolerance_px:g} px of "
                                    f"({', '.join(f'{v:g}' for v in row.box)}); identity {row.identity!r} not used"))
    return matched, problems


def assign_identities(tags: Sequence[LabelledObject], rows: Sequence[IdentityRow], tolerance_px: float,
                      source: str) -> tuple[list[LabelledObject], list[Problem]]:
    """Give every tag an identity and say where it came from (``csv``, ``name`` or ``photo``)."""
    matched, problems = match_identities(tags, rows, tolerance_px, source)
    result: list[LabelledObject] = []
    for t, tag in enumerate(tags):
        row = matched.get(t)
        if row is not None:
            if tag.identity and tag.identity != row.identity:
                problems.append(Problem(tag.xml, tag.object, "identity_conflict", Severity.WARNING, Action.USED,
                                        f"<name> says {tag.identity!r} but {source} line {row.line} says "
                                        f"{row.identity!r}; the CSV wins"))
            result.append(with_identity(tag, row.identity, "csv"))
        elif tag.identity:
            result.append(with_identity(tag, tag.identity, "name"))
        else:
            result.append(with_identity(tag, PHOTO_GROUP_PREFIX + tag.image, "photo"))
    return result, problems


def identity_sources(tags: Sequence[LabelledObject]) -> Counter[str]:
    """How many tags got their identity from each source."""
    return Counter(t.identity_source for t in tags)


def describe_sources(tags: Sequence[LabelledObject]) -> str:
    """A plain sentence for the log and report about where identities came from."""
    counts = identity_sources(tags)
    total = sum(counts.values())
    parts = [f"{counts[s]} from {label}" for s, label in
             (("csv", "labels.identities"), ("name", "the VOC <name>"), ("photo", "no identity: grouped by photo"))
             if counts[s]]
    text = f"{total} tag(s): " + ", ".join(parts) if parts else "no tags"
    if counts["photo"]:
        text += (". Tags without a known identity are grouped by photo: the same bird photographed in several "
                 "frames may fall into different splits, so held-out scores can be optimistic.")
    return text
