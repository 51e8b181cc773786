"""Rule ``split``: identities and background photos dealt to train/val/test, disjoint."""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Mapping

from spatule.config import default
from spatule.identities import describe_sources, identity_sources
from spatule.labels import read_objects_csv
from spatule.problems import SpatuleError
from spatule.split import SPLITS, SplitPlan, assign_groups, assign_identities_to_splits, check_disjoint, photo_splits
from spatule.tables import write_csv
from spatule.tags import read_tags

_log = logging.getLogger("spatule")


def split(objects_csv: Path, tags_csv: Path, split_config: Mapping[str, Any], identities_out: Path,
          backgrounds_out: Path, photos_out: Path, summary_out: Path, log: logging.Logger = _log) -> dict:
    """Assign identities and background photos to train/val/test, disjoint, and write the tables."""
    plan = SplitPlan(float(split_config["val_fraction"]), float(split_config["test_fraction"]),
                     int(split_config["seed"]))
    rows = read_objects_csv(objects_csv)
    crops = read_tags(tags_csv)
    if not crops:
        raise SpatuleError(f"no usable tag in the labels ({objects_csv} has no tag row): "
                           f"{objects_csv.parent / 'problems.csv'} says why each labelled file was not used")
    tag_count = Counter(c.identity for c in crops)
    identity_photos: dict[str, set[str]] = defaultdict(set)
    source = {}
    for crop in crops:
        identity_photos[crop.identity].add(crop.image)
        source[crop.identity] = crop.identity_source
    whole = bool(split_config.get("keep_photos_whole", default("split", "keep_photos_whole")))
    identity_split = assign_identities_to_splits(crops, tag_count, plan, whole, log)
    backgrounds = sorted({r.image for r in rows if r.kind == "background"})
    background_split = assign_groups({b: 1 for b in backgrounds}, plan, "background photos") if backgrounds else {}
    check_disjoint({s: {i for i, v in identity_split.items() if v == s} for s in SPLITS}, "identity")
    check_disjoint({s: {b for b, v in background_split.items() if v == s} for s in SPLITS}, "background photo")
    photos = photo_splits([(c.image, c.identity) for c in crops], identity_split)
    write_csv(identities_out, ["identity", "split", "tags", "photos", "source"],
              [[i, identity_split[i], tag_count[i], len(identity_photos[i]), source[i]]
               for i in sorted(identity_split)])
    write_csv(backgrounds_out, ["image", "split"], [[b, background_split[b]] for b in backgrounds])
    write_csv(photos_out, ["image", "split", "tags"],
                [[p, s, sum(1 for c in crops if c.image == p)] for p, s in photos.items()])
    sources = identity_sources(crops)  # type: ignore[arg-type]
    summary = {
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
    summary_out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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
    return summary
