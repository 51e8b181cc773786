"""The ground photos and tag crops of a split, read from the tables the earlier stages wrote."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from spatule.config import default
from spatule.geometry import Rect
from spatule.labels.objects import read_objects_csv
from spatule.problems import doubtful_xml, read_problems
from spatule.synth.specs import Ground, InPlace, TagSource
from spatule.tables import read_csv
from spatule.labels.tags import read_tags

_log = logging.getLogger("spatule")


def synth_sources(split: str, objects_csv: Path, problems_csv: Path, backgrounds_csv: Path, photos_csv: Path,
                  identities_csv: Path, tags_csv: Path, use_labelled_regions: bool,
                  log: logging.Logger = _log,
                  tags_in_place: bool = default("synth", "tags_in_place")) -> tuple[list[Ground], list[TagSource]]:
    """The ground photos and tag crops of one split.

    Ground: the split's background photos, plus (``use_labelled_regions``) the
    split's labelled photos; windows keep clear of their difficult tags, and of all
    their tags unless ``tags_in_place`` (then a window may show them where they are,
    labelled). A labelled photo whose XML had a skipped object that may be a tag
    (:func:`spatule.problems.doubtful_xml`) is not used.
    """
    rows = read_objects_csv(objects_csv)
    first = {}
    for row in rows:
        first.setdefault(row.image, row)
    avoid, in_place = photo_tags(rows, tags_csv, tags_in_place)
    grounds = [Ground(r["image"], first[r["image"]].width, first[r["image"]].height, first[r["image"]].orientation,
                      first[r["image"]].orientation_applied)
               for r in read_csv(backgrounds_csv) if r["split"] == split]
    if use_labelled_regions:
        doubtful = doubtful_xml(read_problems(problems_csv))
        for r in read_csv(photos_csv):
            row = first[r["image"]]
            if r["split"] != split:
                continue
            if row.xml in doubtful:
                log.info("%s: not used as ground (an object of %s was skipped and may be a tag)", row.image, row.xml)
                continue
            grounds.append(Ground(row.image, row.width, row.height, row.orientation, row.orientation_applied,
                                  tuple(avoid[row.image]), tuple(in_place[row.image])))
    return grounds, split_tags(split, rows, identities_csv, tags_csv, log)


def photo_tags(rows: Sequence[Any], tags_csv: Path, tags_in_place: bool
               ) -> tuple[dict[str, list[Rect]], dict[str, list[InPlace]]]:
    """Each labelled photo's tag boxes a window keeps clear of (difficult ones, all unless ``tags_in_place``),
    and the tags it may show where they are."""
    tag_ids = {(c.image, c.object): c.tag_id for c in read_tags(tags_csv)}
    avoid: dict[str, list[Rect]] = defaultdict(list)
    in_place: dict[str, list[InPlace]] = defaultdict(list)
    for row in rows:
        if row.kind != "tag":
            continue
        if row.difficult or not tags_in_place:
            avoid[row.image].append(row.box)
        else:
            in_place[row.image].append(InPlace(tag_ids[(row.image, row.object)], row.identity, row.box))
    return avoid, in_place


def split_tags(split: str, rows: Sequence[Any], identities_csv: Path, tags_csv: Path,
               log: logging.Logger = _log) -> list[TagSource]:
    """The tag crops of the split's identities that may be pasted: not difficult, not cut by the photo border."""
    identity_split = {r["identity"]: r["split"] for r in read_csv(identities_csv)}
    in_split = [c for c in read_tags(tags_csv) if identity_split.get(c.identity) == split]
    difficult = sum(1 for c in in_split if c.difficult)
    if difficult:  # neither positive nor negative: never pasted (and windows keep clear of them)
        log.info("%s: %d difficult tag(s) not pasted", split, difficult)
    by_object = {(r.image, r.object): r for r in rows if r.kind == "tag"}
    cut = {c.tag_id for c in in_split if cut_by_border(by_object[(c.image, c.object)])}
    if cut:  # half a band pasted mid-tile, its cut edge mirrored into context, would teach a wrong box
        log.info("%s: %d tag(s) cut by the photo border not pasted: %s", split, len(cut), ", ".join(sorted(cut)))
    return [TagSource(c.tag_id, c.file, c.identity, c.image, c.crop_x1 - c.crop_x0, c.crop_y1 - c.crop_y0, c.box,
                      c.difficult)
            for c in in_split if not c.difficult and c.tag_id not in cut]


BORDER_PX = 2
"""A labelled tag box this close to the photo border is taken as cut by it."""


def cut_by_border(row: Any) -> bool:
    """Whether a labelled tag (an ``objects.csv`` row) is cut by the photo border: VOC ``truncated``,
    or its box within :data:`BORDER_PX` of a photo side."""
    x0, y0, x1, y1 = row.box
    return bool(row.truncated) or min(x0, y0, row.width - x1, row.height - y1) < BORDER_PX
