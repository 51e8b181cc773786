"""Rules ``report`` and ``provenance``."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from spatule.events import training_scalars
from spatule.figures import pr_figure, training_figure
from spatule.report import (
    SPLIT_HEADERS,
    detection_summary,
    identity_warning,
    split_table,
    splits_html,
    summary_html,
    summary_markdown,
    summary_notes,
    tile_counts,
)

_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class ReportInputs:
    """What the report reads: each evaluation's ``metrics.json`` (by set name), the split summary, each
    split's tiles JSON, the first model's folder (``metrics.json``, ``timing.json``, TensorBoard events),
    ``detect``'s ``photos.csv``; and when they were made, the second round's ``hard_negatives.json``, the
    reading evaluation's ``metrics.json`` and ``detect``'s ``birds.csv``."""

    evaluations: Mapping[str, Path]
    split_summary: Path
    tiles_json: Mapping[str, Path]
    model_dir: Path
    detect_photos: Path | None = None
    hard_negatives: Path | None = None
    reading: Path | None = None
    birds: Path | None = None


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file's object, or ``{}`` when there is no such file."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def relative_link(path: Path, start: Path) -> str:
    """``path`` relative to the folder ``start``, with forward slashes (a Markdown link)."""
    return Path(os.path.relpath(path, start)).as_posix()


def training_rounds(inputs: ReportInputs) -> dict[str, dict[str, Any]]:
    """Each training round's ``metrics.json`` with its ``timing.json``, by round name."""
    rounds = {"first": inputs.model_dir / "metrics.json"}
    if inputs.hard_negatives is not None:
        rounds["second (hard negatives)"] = inputs.hard_negatives.parent / "metrics.json"
    return {name: {**read_json(path.parent / "timing.json"), **read_json(path)} for name, path in rounds.items()}


def report_figures(inputs: ReportInputs, out: Mapping[str, Path]) -> list[str]:
    """The figures the Markdown summary links to, relative to it: the PR and training curves, each
    evaluation's contact sheet, the reading's coverage curve, the timeline and the sheet of read tags."""
    here = out["summary_md"].parent
    figures = [Path(out[k]).name for k in ("pr_curves", "training_curves")]
    figures += [relative_link(p.parent / "sheet.jpg", here) for p in inputs.evaluations.values()
                if (p.parent / "sheet.jpg").is_file()]
    if inputs.reading:
        figures += [relative_link(inputs.reading.parent / "coverage.png", here)]
    if inputs.birds:
        figures += [relative_link(inputs.birds.parent / name, here) for name in ("timeline.png", "read_tags.jpg")]
    return figures


def report(inputs: ReportInputs, out: Mapping[str, Path], log: logging.Logger = _log) -> dict[str, Any]:
    """Read the evaluation, split, training, detection and reading outputs and write the report files.

    ``out``: ``summary_md``, ``summary_html``, ``splits_html``, ``splits_csv``, ``pr_curves``,
    ``training_curves``.
    """
    from spatule.tables import read_csv, write_csv

    metrics = {name: json.loads(path.read_text(encoding="utf-8")) for name, path in inputs.evaluations.items()}
    summary = json.loads(inputs.split_summary.read_text(encoding="utf-8"))
    splits = split_table(summary, {s: tile_counts(json.loads(p.read_text(encoding="utf-8")))
                                   for s, p in inputs.tiles_json.items()})
    warning = identity_warning(summary)
    training = training_rounds(inputs)
    hard = json.loads(inputs.hard_negatives.read_text(encoding="utf-8")) if inputs.hard_negatives else None
    train_scalars, val_scalars = training_scalars(inputs.model_dir, log)
    drawn = training_figure(train_scalars, val_scalars, out["training_curves"])
    pr_figure(metrics, out["pr_curves"])
    detection = (detection_summary(read_csv(inputs.detect_photos), read_csv(inputs.birds) if inputs.birds else None)
                 if inputs.detect_photos else {})
    read_figures = json.loads(inputs.reading.read_text(encoding="utf-8")) if inputs.reading else None
    write_csv(out["splits_csv"], list(SPLIT_HEADERS), [[r[k] for k in SPLIT_HEADERS] for r in splits])
    out["splits_html"].write_text(splits_html(splits, warning), encoding="utf-8")
    out["summary_html"].write_text(summary_html(metrics, splits, warning, training, detection, hard, read_figures),
                                   encoding="utf-8")
    out["summary_md"].write_text(summary_markdown(metrics, splits, warning, training, detection,
                                                  report_figures(inputs, out), hard, read_figures), encoding="utf-8")
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
