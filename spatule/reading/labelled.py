"""The tags the reader learns from and is measured on: the labelled tags whose identity is a code (rule
``extract_tags``'s crops, each identity's split), and, in self-training, the detected tags read with
confidence."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from spatule.code_space import is_code
from spatule.problems import SpatuleError
from spatule.reading.registry import UNREAD

BOX_COLUMNS = ("box_x0", "box_y0", "box_x1", "box_y1")
"""The tag's box in its crop, in ``tags.csv``."""


@dataclass(frozen=True)
class LabelledTags:
    """Where the labelled tags are: ``tags.csv`` and its crops (rule extract_tags), each identity's split."""

    tags_csv: Path
    crops_dir: Path
    identities_csv: Path


def coded_tags(labelled: LabelledTags, alphabet: str, code_length: int, splits: Sequence[str] = ("test",)
               ) -> list[dict[str, str]]:
    """The ``tags.csv`` rows of ``splits`` whose identity is a code (any other identity cannot be read)."""
    from spatule.tables import read_csv

    chosen = {r["identity"] for r in read_csv(labelled.identities_csv) if r["split"] in splits}
    return [r for r in read_csv(labelled.tags_csv)
            if r["identity"] in chosen and is_code(r["identity"], alphabet, code_length)]


def readable(tags: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The tags a person could read (not ``difficult``)."""
    return [t for t in tags if t["difficult"] != "1"]


def _crop(path: Path, why: str) -> Any:
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if pixels is None:
        raise SpatuleError(f"{path}: {why}")
    return pixels


def read_tags(reader: Any, tags: Sequence[dict[str, str]], crops_dir: Path) -> list[Any]:
    """Each tag of ``tags.csv`` rows read from its crop (its labelled box) by a
    :class:`~spatule.reading.codes.CodeReader`."""
    crops = [_crop(crops_dir / tag["file"], "tag crop cannot be read") for tag in tags]
    return reader.read(crops, [tuple(int(tag[k]) for k in BOX_COLUMNS) for tag in tags])


def real_tags(labelled: LabelledTags, alphabet: str, code_length: int, splits: Sequence[str]
              ) -> tuple[list[Any], list[str]]:
    """The labelled tags of ``splits`` whose identity is a code and that are not ``difficult``, as
    :class:`~spatule.reading.train.RealTag` (their crops as ``extract_tags`` cut them, as ``detect`` cuts
    one), and the split of each."""
    from spatule.reading.train import RealTag
    from spatule.tables import read_csv

    split_of = {r["identity"]: r["split"] for r in read_csv(labelled.identities_csv)}
    out, where = [], []
    for row in readable(coded_tags(labelled, alphabet, code_length, splits)):
        pixels = _crop(labelled.crops_dir / row["file"], "tag crop cannot be read (rerun rule extract_tags)")
        box = tuple(int(row[k]) for k in BOX_COLUMNS)
        out.append(RealTag(pixels, box, row["identity"], row["tag_id"]))  # type: ignore[arg-type]
        where.append(split_of[row["identity"]])
    return out, where


def pseudo_labelled(jobs: Sequence[tuple[Path, Path]], acceptance: Any, held_out: frozenset[str] = frozenset()
                    ) -> list[Any]:
    """The detected tags of ``jobs`` (``(detections.csv, crops folder)`` of each detect job, read by the first
    reader) whose reading ``acceptance`` (:meth:`~spatule.reading.codes.Acceptance.of_row`) takes as a bird,
    but none read as a bird of ``held_out`` (the val and test splits' identities: they choose the threshold
    and measure the reader, so it never learns them): each crop with its box, labelled with that code."""
    from spatule.reading.train import RealTag
    from spatule.tables import read_csv

    out = []
    for detections, crops_dir in jobs:
        for row in read_csv(detections):
            code = acceptance.of_row(row)
            if code == UNREAD or code in held_out:
                continue
            pixels = _crop(crops_dir / row["crop"], "detection crop cannot be read (rerun its detect_job)")
            cx, cy = float(row["crop_x0"]), float(row["crop_y0"])
            box = tuple(int(round(float(row[k]) - o)) for k, o in (("x0", cx), ("y0", cy), ("x1", cx), ("y1", cy)))
            out.append(RealTag(pixels, box, code, f"{crops_dir.name}/{row['crop']}"))  # type: ignore[arg-type]
    return out
