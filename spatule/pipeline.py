"""The workflow's stages as plain functions over files: what each script calls.

Each takes paths and config values, writes its outputs, logs what it did and
returns a short summary; the Snakemake scripts only unpack the ``snakemake``
object. Tests call these directly too.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Mapping

from spatule.identities import assign_identities, describe_sources, identity_sources, read_identities_csv
from spatule.labels import IndexSettings, index_labels, read_objects_csv, write_objects
from spatule.problems import Severity, enforce_policy, write_problems
from spatule.split import SPLITS, SplitPlan, assign_groups, check_disjoint, photo_splits, write_table
from spatule.tags import extract_tags, read_tags, write_tags

_log = logging.getLogger("spatule")


def index_settings(labels: Mapping[str, Any]) -> IndexSettings:
    """The reading settings from the ``labels`` config section."""
    defaults = IndexSettings()
    return IndexSettings(
        class_name=labels.get("class_name", defaults.class_name),
        name_pattern=labels.get("name_pattern", defaults.name_pattern),
        border_tolerance_px=int(labels.get("border_tolerance_px", defaults.border_tolerance_px)),
        unlabelled_as_background=bool(labels.get("unlabelled_as_background", defaults.unlabelled_as_background)),
        exif_orientation=labels.get("exif_orientation", defaults.exif_orientation),
        verify_pixels=bool(labels.get("verify_pixels", defaults.verify_pixels)),
    )


def index_stage(labels_dir: Path, identities: Path | None, labels_config: Mapping[str, Any], objects_csv: Path,
                problems_csv: Path, threads: int = 1, log: logging.Logger = _log) -> dict[str, int]:
    """Index the labels folder, resolve identities, write objects.csv and problems.csv.

    With ``labels.on_problem: error`` any defect fails the stage, after
    problems.csv has been written, with one message naming every bad file.
    """
    rows, problems = index_labels(labels_dir, index_settings(labels_config), threads=threads)
    tags = [r for r in rows if r.kind == "tag"]
    id_rows = []
    if identities is not None:
        id_rows, bad = read_identities_csv(identities)
        problems.extend(bad)
        log.info("read %d identity row(s) from %s", len(id_rows), identities)
    tolerance = float(labels_config.get("identity_tolerance_px", 4))
    named, found = assign_identities(tags, id_rows, tolerance, str(identities) if identities else "")
    problems.extend(found)
    by_key = {(t.image, t.object): t for t in named}
    rows = [by_key.get((r.image, r.object), r) if r.kind == "tag" else r for r in rows]
    write_objects(objects_csv, rows)
    write_problems(problems_csv, problems)
    counts = Counter(r.kind for r in rows)
    severities = Counter(p.severity for p in problems)
    log.info("%s: %d tag(s) in %d photo(s), %d background photo(s)", labels_dir, counts["tag"],
             len({t.image for t in tags}), counts["background"])
    log.info("identities: %s", describe_sources(named))
    log.info("problems.csv: %d defect(s), %d warning(s), %d note(s)", severities[Severity.ERROR],
             severities[Severity.WARNING], severities[Severity.INFO])
    for problem in problems:
        if problem.severity is not Severity.INFO:
            log.warning("%s (%s): %s", problem.action.value, problem.code, problem.describe())
    enforce_policy(problems, str(labels_config.get("on_problem", "skip")), f"labels.dir {labels_dir}")
    return {"tags": counts["tag"], "backgrounds": counts["background"], "problems": len(problems)}


def extract_stage(labels_dir: Path, objects_csv: Path, crops_dir: Path, tags_csv: Path, margin_px: int,
                  margin_fraction: float, threads: int = 1, log: logging.Logger = _log) -> int:
    """Cut every indexed tag with its context margin; write the crops and tags.csv."""
    tags = [r for r in read_objects_csv(objects_csv) if r.kind == "tag"]
    crops = extract_tags(labels_dir, tags, crops_dir, margin_px, margin_fraction, threads)
    write_tags(tags_csv, crops)
    narrow = [c for c in crops if min(c.box_x0, c.box_y0, c.crop_x1 - c.crop_x0 - c.box_x1,
                                      c.crop_y1 - c.crop_y0 - c.box_y1) < 2]
    log.info("cut %d tag crop(s) from %d photo(s) into %s", len(crops), len({c.image for c in crops}), crops_dir)
    for crop in narrow:
        log.warning("%s: tag touches the photo border, less than 2 px of context on one side", crop.tag_id)
    return len(crops)


def split_stage(objects_csv: Path, tags_csv: Path, split_config: Mapping[str, Any], identities_out: Path,
                backgrounds_out: Path, photos_out: Path, summary_out: Path, log: logging.Logger = _log) -> dict:
    """Assign identities and background photos to train/val/test, disjoint, and write the tables."""
    plan = SplitPlan(float(split_config["val_fraction"]), float(split_config["test_fraction"]),
                     int(split_config["seed"]))
    rows = read_objects_csv(objects_csv)
    crops = read_tags(tags_csv)
    tag_count = Counter(c.identity for c in crops)
    identity_photos: dict[str, set[str]] = defaultdict(set)
    source = {}
    for crop in crops:
        identity_photos[crop.identity].add(crop.image)
        source[crop.identity] = crop.identity_source
    identity_split = assign_groups(dict(tag_count), plan, "tag identities")
    backgrounds = sorted({r.image for r in rows if r.kind == "background"})
    background_split = assign_groups({b: 1 for b in backgrounds}, plan, "background photos") if backgrounds else {}
    check_disjoint({s: {i for i, v in identity_split.items() if v == s} for s in SPLITS}, "identity")
    check_disjoint({s: {b for b, v in background_split.items() if v == s} for s in SPLITS}, "background photo")
    photos = photo_splits([(c.image, c.identity) for c in crops], identity_split)
    write_table(identities_out, ["identity", "split", "tags", "photos", "source"],
                [[i, identity_split[i], tag_count[i], len(identity_photos[i]), source[i]] for i in sorted(identity_split)])
    write_table(backgrounds_out, ["image", "split"], [[b, background_split[b]] for b in backgrounds])
    write_table(photos_out, ["image", "split", "tags"],
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
    for split in SPLITS:
        log.info("%-5s: %s", split, summary["splits"][split])
    if not summary["identities_known"]:
        log.warning("%s", summary["identity_note"])
    for split in SPLITS:
        if split != "train" and backgrounds and summary["splits"][split]["background_photos"] == 0 and \
                any(f > 0 for s, f in plan.held_out if s == split):
            log.warning("no background photo in %s", split)
    if not backgrounds:
        log.warning("no background (tag-free) photo at all: synthesis will have no ground to paste tags on")
    return summary
