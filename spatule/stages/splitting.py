"""Rule ``split``: identities and background photos dealt to train/val/test, disjoint."""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from spatule.config import default
from spatule.labels.identities import describe_sources, identity_sources
from spatule.labels.objects import read_objects_csv
from spatule.problems import SpatuleError
from spatule.labels.photos import photo_time
from spatule.split import (SPLITS, SplitPlan, assign_identities_to_splits, background_splits, bursts,
                            bursts_across_splits, photo_splits)
from spatule.tables import write_csv
from spatule.labels.tags import read_tags

_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class SplitTables:
    """What rule split writes: ``identities.csv``, ``backgrounds.csv``, ``photos.csv`` and ``summary.json``."""

    identities: Path
    backgrounds: Path
    photos: Path
    summary: Path


def split(objects_csv: Path, tags_csv: Path, split_config: Mapping[str, Any], outputs: SplitTables,
          log: logging.Logger = _log, labels_dir: Path | None = None) -> dict:
    """Assign identities and background photos to train/val/test, disjoint, bursts whole, and write the tables.

    ``labels_dir``: where the photos are, for their EXIF times (``split.burst_minutes``); without it, or
    with ``burst_minutes`` 0, every photo is a burst of its own."""
    plan = SplitPlan(float(split_config["val_fraction"]), float(split_config["test_fraction"]),
                     int(split_config["seed"]))
    rows = read_objects_csv(objects_csv)
    crops = read_tags(tags_csv)
    if not crops:
        raise SpatuleError(f"no usable tag in the labels ({objects_csv} has no tag row): "
                           f"{objects_csv.parent / 'problems.csv'} says why each labelled file was not used")
    tag_count = Counter(c.identity for c in crops)
    whole = bool(split_config.get("keep_photos_whole", default("split", "keep_photos_whole")))
    minutes = float(split_config.get("burst_minutes", default("split", "burst_minutes")))
    backgrounds = sorted({r.image for r in rows if r.kind == "background"})
    timed = labels_dir is not None and minutes > 0
    times = {p: photo_time(labels_dir / p) if timed else None  # type: ignore[operator]
             for p in sorted({*backgrounds, *(c.image for c in crops)})}
    burst = bursts(times, minutes)
    identity_split = assign_identities_to_splits(crops, tag_count, plan, whole, log, burst if timed else None)
    photos = photo_splits([(c.image, c.identity) for c in crops], identity_split)
    background_split = background_splits(backgrounds, burst, photos, plan, log) if backgrounds else {}
    crossing = bursts_across_splits(burst, {**photos, **background_split})
    if crossing:
        log.warning("%d burst(s) of near-identical frames lie in two splits (too few groups to keep them whole): "
                    "%s", len(crossing), ", ".join(crossing[:5]))
    write_split_tables(outputs, crops, identity_split, photos, backgrounds, background_split)
    summary = split_summary(plan, identity_split, tag_count, photos, background_split, crops)
    summary.update({"burst_minutes": minutes, "bursts": len(set(burst.values())), "bursts_across_splits": crossing,
                    "photos_without_time": sum(1 for t in times.values() if t is None) if timed else None})
    outputs.summary.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log_split(summary, plan, bool(backgrounds), log)
    return summary


def write_split_tables(outputs: SplitTables, crops: list, identity_split: Mapping[str, str],
                       photos: Mapping[str, str], backgrounds: list[str], background_split: Mapping[str, str]) -> None:
    """``identities.csv`` (each identity's split, tags, photos and where it came from), ``backgrounds.csv``
    (``backgrounds`` in that order) and ``photos.csv`` (each labelled photo's split and tags)."""
    tag_count = Counter(c.identity for c in crops)
    identity_photos: dict[str, set[str]] = defaultdict(set)
    source = {}
    for crop in crops:
        identity_photos[crop.identity].add(crop.image)
        source[crop.identity] = crop.identity_source
    write_csv(outputs.identities, ["identity", "split", "tags", "photos", "source"],
              [[i, identity_split[i], tag_count[i], len(identity_photos[i]), source[i]]
               for i in sorted(identity_split)])
    write_csv(outputs.backgrounds, ["image", "split"], [[b, background_split[b]] for b in backgrounds])
    write_csv(outputs.photos, ["image", "split", "tags"],
              [[p, s, sum(1 for c in crops if c.image == p)] for p, s in photos.items()])


def log_split(summary: Mapping[str, Any], plan: SplitPlan, backgrounds: bool, log: logging.Logger = _log) -> None:
    """Log each split's counts, and warn where identities are unknown or a held-out split (or every split:
    ``backgrounds`` False) has no background photo."""
    for name in SPLITS:
        log.info("%-5s: %s", name, summary["splits"][name])
    if not summary["identities_known"]:
        log.warning("%s", summary["identity_note"])
    for name in SPLITS:
        if name != "train" and backgrounds and summary["splits"][name]["background_photos"] == 0 and \
                any(f > 0 for s, f in plan.held_out if s == name):
            log.warning("no background photo in %s", name)
    if not backgrounds:
        log.warning("no background (tag-free) photo at all: synthesis will have no ground to paste tags on")


def split_summary(plan: SplitPlan, identity_split: Mapping[str, str], tag_count: Counter, photos: Mapping[str, str],
                  background_split: Mapping[str, str], crops: list) -> dict[str, Any]:
    """``summary.json``: identities, tags and photos per split, mixed photos, where identities came from."""
    sources = identity_sources(crops)  # type: ignore[arg-type]
    return {
        "seed": plan.seed,
        "fractions": {"val": plan.val_fraction, "test": plan.test_fraction},
        "splits": {
            s: {
                "identities": sum(1 for v in identity_split.values() if v == s),
                "tags": sum(tag_count[i] for i, v in identity_split.items() if v == s),
                "labelled_photos": sum(1 for v in photos.values() if v == s),
                "background_photos": sum(1 for v in background_split.values() if v == s),
            }
            for s in SPLITS
        },
        "mixed_photos": sum(1 for v in photos.values() if v == "mixed"),
        "identity_sources": {k: sources[k] for k in sorted(sources)},
        "identities_known": sources["photo"] == 0,
        "identity_note": describe_sources(crops),  # type: ignore[arg-type]
    }
