"""Rule ``to_label``: the searched photos the models are unsure about, and why (:mod:`spatule.detection.to_label`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection

from spatule.tables import read_csv, write_csv

_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class SeasonTables:
    """What ``detect`` wrote about a season: the detections, photos and visits tables."""

    detections_csv: Path
    photos_csv: Path
    visits_csv: Path


def train_photo_paths(split_photos_csv: Path, backgrounds_csv: Path, labels_dir: Any) -> list[Path]:
    """The labelled photos of the train split (with tags, and tag-free ones), where ``labels.dir`` keeps them."""
    from spatule.labels.dirs import LabelDirs

    dirs = LabelDirs.of(labels_dir)
    names = sorted({r["image"] for table in (split_photos_csv, backgrounds_csv) for r in read_csv(table)
                    if r["split"] == "train"})
    return [dirs / name for name in names]


def labelled_photo_paths(objects_csv: Path, labels_dir: Any) -> set[Path]:
    """Every photo the labels hold (``objects.csv``), resolved where ``labels.dir`` keeps it."""
    from spatule.labels.dirs import LabelDirs

    dirs = LabelDirs.of(labels_dir)
    return {(dirs / name).resolve() for name in sorted({r["image"] for r in read_csv(objects_csv)})}


def to_label(season: SeasonTables, card_json: Path, images_dir: Path, train_photos: list[Path], out_csv: Path,
             labelled: Collection[Path] = frozenset(), log: logging.Logger = _log) -> dict[str, int]:
    """``to_label.csv``: the searched photos the models are unsure about (boxes near the detection threshold of
    ``card_json``, unread tags, visits whose frames disagree, photos unlike the ``train_photos``), with the
    reasons of each, camera by camera in time order; photos already ``labelled`` (resolved paths) are left
    out."""
    from spatule.detection.card import card_threshold
    from spatule.detection.to_label import TO_LABEL_COLUMNS, photo_reasons, reason_rows, thumbnail, unlike_photos

    threshold = card_threshold(card_json).score_threshold
    photos = [r for r in read_csv(season.photos_csv)
              if r["status"] == "ok" and (images_dir / r["photo"]).resolve() not in labelled]
    new = {p["photo"]: thumbnail(images_dir / p["photo"]) for p in photos}
    known = [t for t in (thumbnail(p) for p in train_photos) if t is not None]
    unlike = unlike_photos({k: v for k, v in new.items() if v is not None}, known)
    searched = {p["photo"] for p in photos}
    reasons = photo_reasons([r for r in read_csv(season.detections_csv) if r["photo"] in searched],
                            read_csv(season.visits_csv), threshold, unlike)
    rows = reason_rows(reasons, photos)
    write_csv(out_csv, TO_LABEL_COLUMNS, rows)
    log.info("%d of %d searched photo(s) not labelled yet with a reason to label them (%d unlike the %d labelled "
             "train photos) -> %s", len(rows), len(photos), len(unlike), len(train_photos), out_csv)
    return {"photos": len(rows), "unlike": len(unlike)}
