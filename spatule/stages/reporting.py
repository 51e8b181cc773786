"""Rules ``report`` and ``provenance``."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping

from spatule.figures import pr_figure, training_figure
from spatule.report import (
    SPLIT_HEADERS,
    detection_summary,
    identity_warning,
    read_json,
    read_training_scalars,
    relative_link,
    split_table,
    splits_html,
    summary_html,
    summary_markdown,
    summary_notes,
    tile_counts,
)

_log = logging.getLogger("spatule")


def report(evaluations: Mapping[str, Path], split_summary: Path, tiles_json: Mapping[str, Path],
           model_dir: Path, detect_photos: Path | None, out: Mapping[str, Path],
           log: logging.Logger = _log, hard_negatives: Path | None = None, reading: Path | None = None,
           birds: Path | None = None) -> dict[str, Any]:
    """Read the evaluation, split, training, detection and reading outputs and write the report files.

    ``out``: ``summary_md``, ``summary_html``, ``splits_html``, ``splits_csv``, ``pr_curves``,
    ``training_curves``.
    """
    from spatule.tables import read_csv, write_csv

    metrics = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in evaluations.items()}
    summary = json.loads(split_summary.read_text(encoding="utf-8"))
    splits = split_table(summary, {s: tile_counts(json.loads(p.read_text(encoding="utf-8")))
                                   for s, p in tiles_json.items()})
    warning = identity_warning(summary)
    rounds = {"first": model_dir / "metrics.json"}
    if hard_negatives is not None:
        rounds["second (hard negatives)"] = hard_negatives.parent / "metrics.json"
    training = {name: {**read_json(path.parent / "timing.json"), **read_json(path)} for name, path in rounds.items()}
    hard = json.loads(hard_negatives.read_text(encoding="utf-8")) if hard_negatives is not None else None
    train_scalars, val_scalars = read_training_scalars(model_dir, log)
    drawn = training_figure(train_scalars, val_scalars, out["training_curves"])
    pr_figure(metrics, out["pr_curves"])
    detection = detection_summary(read_csv(detect_photos), read_csv(birds) if birds else None) if detect_photos else {}
    read_figures = json.loads(reading.read_text(encoding="utf-8")) if reading else None
    write_csv(out["splits_csv"], list(SPLIT_HEADERS), [[r[k] for k in SPLIT_HEADERS] for r in splits])
    out["splits_html"].write_text(splits_html(splits, warning), encoding="utf-8")
    out["summary_html"].write_text(summary_html(metrics, splits, warning, training, detection, hard, read_figures),
                                   encoding="utf-8")
    figures = [Path(out[k]).name for k in ("pr_curves", "training_curves")]
    figures += [relative_link(p.parent / "sheet.jpg", out["summary_md"].parent) for p in evaluations.values()
                if (p.parent / "sheet.jpg").is_file()]
    if reading:
        figures += [relative_link(reading.parent / "coverage.png", out["summary_md"].parent)]
    if birds:
        figures += [relative_link(birds.parent / name, out["summary_md"].parent) for name in ("timeline.png",
                                                                                                "read_tags.jpg")]
    out["summary_md"].write_text(summary_markdown(metrics, splits, warning, training, detection, figures, hard,
                                                  read_figures), encoding="utf-8")
    if warning:
        log.warning("%s", warning)
    for note in summary_notes(metrics):
        log.warning("%s", note)
    log.info("report: %s (training curves: %s)", out["summary_md"], ", ".join(drawn) or "none")
    return {"metrics": metrics, "splits": splits, "warning": warning, "training_tags": drawn}


def provenance(config: Mapping[str, Any], labels_dir: Path, identities: Path | None, workflow_dir: Path,
               snakemake_version: str, out_json: Path, threads: int = 1, log: logging.Logger = _log) -> dict:
    """What made this run: the config, package versions, seeds, the workflow's source digest and the
    sha256 of every input file."""
    from spatule import provenance as record_of

    record = record_of.provenance_record(config=config, labels_dir=labels_dir, identities=identities,
                                  workflow_dir=workflow_dir, snakemake_version=snakemake_version, threads=threads)
    record_of.write_provenance(out_json, record)
    log.info("%d input file(s) hashed, %d not read; seeds %s; workflow source %s", len(record["inputs"]["files"]),
             len(record["inputs"]["not_read"]), record["seeds"], record["workflow"]["source_sha256"][:16])
    return record
