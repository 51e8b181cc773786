"""Rules ``index_labels`` and ``extract_tags``: the labelled photos read into tables, the tags cut out."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

from spatule.labels.dirs import LabelDirs
from spatule.labels.index import read_labels
from spatule.config import default
from spatule.labels.identities import assign_identities, describe_sources, read_identities_csv
from spatule.labels.objects import IndexSettings, read_objects_csv, too_small_for_tiles, write_objects
from spatule.problems import Severity, enforce_policy, write_problems
from spatule.labels.tags import cut_tags, write_tags

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


def index_labels(labels_dir: Path | LabelDirs, identities: Path | None, labels_config: Mapping[str, Any],
                 objects_csv: Path, problems_csv: Path, threads: int = 1, log: logging.Logger = _log,
                 synth_config: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Index the labels folder (``labels.dir``: a folder, or :class:`~spatule.labels.dirs.LabelDirs`), resolve
    identities, write objects.csv and problems.csv.

    With ``synth_config``, photos too small for one tile are recorded (see
    :func:`spatule.labels.objects.too_small_for_tiles`). With ``labels.on_problem: error``
    any defect fails the stage, after problems.csv has been written, with one
    message naming every bad file.
    """
    rows, problems = read_labels(LabelDirs.of(labels_dir), index_settings(labels_config), threads=threads)
    if synth_config is not None:
        whole = synth_config.get("use_labelled_regions", default("synth", "use_labelled_regions"))
        rows, small = too_small_for_tiles(rows, int(synth_config["tile_size"]), bool(whole))
        problems.extend(small)
    tags = [r for r in rows if r.kind == "tag"]
    id_rows = []
    if identities is not None:
        id_rows, bad = read_identities_csv(identities)
        problems.extend(bad)
        log.info("read %d identity row(s) from %s", len(id_rows), identities)
    tolerance = float(labels_config.get("identity_tolerance_px", default("labels", "identity_tolerance_px")))
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
    policy = str(labels_config.get("on_problem", default("labels", "on_problem")))
    enforce_policy(problems, policy, f"labels.dir {labels_dir}")
    return {"tags": counts["tag"], "backgrounds": counts["background"], "problems": len(problems)}


def extract_tags(labels_dir: Path | LabelDirs, objects_csv: Path, crops_dir: Path, tags_csv: Path, margin_px: int,
                 margin_fraction: float, threads: int = 1, log: logging.Logger = _log) -> int:
    """Cut every indexed tag with its context margin; write the crops and tags.csv."""
    tags = [r for r in read_objects_csv(objects_csv) if r.kind == "tag"]
    crops = cut_tags(labels_dir, tags, crops_dir, margin_px, margin_fraction, threads)
    write_tags(tags_csv, crops)
    narrow = [c for c in crops if min(c.box_x0, c.box_y0, c.crop_x1 - c.crop_x0 - c.box_x1,
                                      c.crop_y1 - c.crop_y0 - c.box_y1) < 2]
    log.info("cut %d tag crop(s) from %d photo(s) into %s", len(crops), len({c.image for c in crops}), crops_dir)
    for crop in narrow:
        log.warning("%s: tag touches the photo border, less than 2 px of context on one side", crop.tag_id)
    return len(crops)
