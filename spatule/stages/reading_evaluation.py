"""Rule ``evaluate_reading``: the reader's figures on rendered crops, on each split's labelled tags whose
identity is a code, and on the searched photos whose tags are known (the demo's new day)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from spatule.reading.check import past_margin
from spatule.reading.codes import significant
from spatule.reading.labelled import LabelledTags, coded_tags, read_tags
from spatule.reading.registry import UNREAD
from spatule.stages.reading import ReaderFiles

_log = logging.getLogger("spatule")

READING_ROW_COLUMNS = ["tag_id", "image", "identity", "split", "difficult", "trained_on", "code", "code_score",
                       "registry_match", "match_score", "likeliest", "runner_up", "runner_up_score", "upward", "right"]


@dataclass(frozen=True)
class NewDay:
    """Where the tags of the searched photos really are (a truth CSV ``image,xmin,ymin,xmax,ymax,identity,
    difficult``: the demo's new day), and what ``detect`` found and read there."""

    truth_csv: Path
    detections_csv: Path


def rows_by_photo(path: Path, key: str) -> dict[str, list[dict[str, str]]]:
    """The rows of a CSV grouped by the photo named in column ``key``."""
    from spatule.tables import read_csv

    out: dict[str, list[dict[str, str]]] = {}
    for row in read_csv(path):
        out.setdefault(row[key], []).append(row)
    return out


def matched(tags: list[dict[str, str]], boxes: list[dict[str, str]], iou: float) -> tuple[list[tuple[int, int]], Any]:
    """The ``(box, tag)`` pairs of one photo at ``iou`` or more, best first, each used once, and the IoU
    matrix (boxes x tags)."""
    import numpy as np

    from spatule.geometry import iou_matrix

    overlap = (iou_matrix(np.array([[float(b[k]) for k in ("x0", "y0", "x1", "y1")] for b in boxes]),
                          np.array([[float(t[k]) for k in ("xmin", "ymin", "xmax", "ymax")] for t in tags]))
               if tags and boxes else np.zeros((len(boxes), len(tags))))
    pairs: list[tuple[int, int]] = []
    used_box, used_tag = set(), set()
    for flat in np.argsort(-overlap, axis=None, kind="stable"):
        b, t = (int(v) for v in np.unravel_index(int(flat), overlap.shape))
        if overlap[b, t] < iou or b in used_box or t in used_tag:
            continue
        used_box.add(b)
        used_tag.add(t)
        pairs.append((b, t))
    return pairs, overlap


def new_day_reads(new_day: NewDay, iou: float = 0.5) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Each legible tag of the truth that ``detect`` found (a detection at ``iou`` or more, best first, each
    used once): ``(identity, what it was read as)``; and the counts of legible tags not found, of the other
    boxes read as a bird they do not show (``false_boxes_read``: on no tag, or on another bird's tag), and of
    the other boxes read as the bird whose tag they overlap (``extra_boxes_read_right``: a second or loose box
    on a tag, below ``iou``, still the right bird)."""
    truth, found = rows_by_photo(new_day.truth_csv, "image"), rows_by_photo(new_day.detections_csv, "photo")
    pairs, missed, false_read, extra_right = [], 0, 0, 0
    for photo in sorted(set(truth) | set(found)):
        tags, boxes = truth.get(photo, []), found.get(photo, [])
        these, overlap = matched(tags, boxes, iou)
        pairs += [(tags[t]["identity"], boxes[b]["registry_match"]) for b, t in these if tags[t]["difficult"] != "1"]
        used_box, used_tag = {b for b, _ in these}, {t for _, t in these}
        missed += sum(1 for t, tag in enumerate(tags) if t not in used_tag and tag["difficult"] != "1")
        for b, box in enumerate(boxes):
            if b in used_box or box["registry_match"] == UNREAD:
                continue
            shown_birds = {tags[t]["identity"] for t in range(len(tags)) if overlap[b, t] > 0}
            if box["registry_match"] in shown_birds:
                extra_right += 1
            else:
                false_read += 1
    return pairs, {"missed": missed, "false_boxes_read": false_read, "extra_boxes_read_right": extra_right}


def new_day_visit_reads(new_day: NewDay, iou: float = 0.5) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """With visits (``detections.csv`` has ``visit_match``): each legible tag found, as its visit reads it
    (``(identity, visit's code)``, the same tags as :func:`new_day_reads`), and each visit with a legible tag
    found: ``(the identity most of its tags show, the visit's code)``. Empty without visits."""
    truth, found = rows_by_photo(new_day.truth_csv, "image"), rows_by_photo(new_day.detections_csv, "photo")
    frames: list[tuple[str, str]] = []
    shown: dict[str, list[str]] = {}
    code: dict[str, str] = {}
    for photo in sorted(set(truth) & set(found)):
        tags, boxes = truth[photo], found[photo]
        if "visit_match" not in boxes[0]:
            return [], []
        for b, t in matched(tags, boxes, iou)[0]:
            if tags[t]["difficult"] == "1":
                continue
            frames.append((tags[t]["identity"], boxes[b]["visit_match"]))
            if boxes[b]["visit"]:
                shown.setdefault(boxes[b]["visit"], []).append(tags[t]["identity"])
                code[boxes[b]["visit"]] = boxes[b]["visit_match"]
    visits = [(max(sorted(set(ids)), key=ids.count), code[name]) for name, ids in sorted(shown.items())]
    return frames, visits


def evaluate_reading(labelled: LabelledTags, reader_files: ReaderFiles, acceptance_json: Path, out_dir: Path,
                     new_day: NewDay | None = None, threads: int | None = None,
                     log: logging.Logger = _log) -> dict[str, Any]:
    """The reader's figures, each with n and 95% intervals (``metrics.json``): on rendered crops it never saw;
    on the labelled tags with a code of each split (train: it learnt from them; val: they chose the
    threshold; test: only measured), at the threshold and margin of ``acceptance_json``; and on the searched
    photos whose tags are known (``new_day``). Also ``readings.csv`` (every labelled tag with a code),
    ``curve.csv`` and ``coverage.png`` (accuracy against coverage over thresholds, test tags)."""
    from spatule.intervals import rate
    from spatule.reading.codes import read_acceptance, reader_info
    from spatule.reading.evaluation import set_figures
    from spatule.tables import read_csv

    reader = reader_files.load(threads, log)
    acceptance = read_acceptance(acceptance_json)
    info = reader_info(reader_files.folder)
    tags = coded_tags(labelled, reader.alphabet, reader.code_length, ("train", "val", "test"))
    split_of = {r["identity"]: r["split"] for r in read_csv(labelled.identities_csv)}
    reads = read_tags(reader, tags, labelled.crops_dir)
    taken = [acceptance.of_read(r) for r in reads]
    write_readings(out_dir / "readings.csv", tags, reads, taken, split_of, set(info.get("trained_on", [])))
    rows: dict[str, Any] = {"rendered": {"what": "rendered crops the reader never saw (greedy reading, exact code)",
                                         **rate(int(info.get("rendered_right", 0)), int(info.get("rendered_val", 0)))}}
    for split in ("train", "val", "test"):
        these = [(t["identity"], took) for t, took in zip(tags, taken)
                 if split_of[t["identity"]] == split and t["difficult"] != "1"]
        rows[f"labelled_{split}"] = set_figures(these)
    if new_day is not None:
        pairs, new_day_counts = new_day_reads(new_day)
        rows["new_day"] = {**set_figures(pairs), **new_day_counts}
        frames, visits = new_day_visit_reads(new_day)
        if frames:
            rows["new_day_by_visit"] = set_figures(frames)
            rows["new_day_visits"] = set_figures(visits)
    test = [(t, r) for t, r in zip(tags, reads) if split_of[t["identity"]] == "test" and t["difficult"] != "1"]
    write_curve(out_dir, past_margin([t for t, _ in test], [r for _, r in test], acceptance.margin),
                acceptance.threshold)
    metrics = {"threshold": acceptance.threshold, "margin": acceptance.margin, "threshold_source": acceptance.source,
               "registry_codes": len(reader.codes), "reader": info, "rows": rows}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name, figures in rows.items():
        if "accuracy" in figures:
            log.info("reading, %s: %d tag(s), %d accepted, %d wrong", name, figures["n"], figures["accepted"],
                     figures["wrong"])
    return metrics


def write_readings(path: Path, tags: Sequence[dict[str, str]], reads: Sequence[Any], taken: Sequence[str],
                   split_of: Mapping[str, str], trained_on: set[str]) -> None:
    """``readings.csv``: each labelled tag with a code, its split, whether the reader learnt from it, its
    reading and what it was taken as (``registry_match``)."""
    from spatule.tables import write_csv

    write_csv(path, READING_ROW_COLUMNS,
              [[t["tag_id"], t["image"], t["identity"], split_of[t["identity"]], t["difficult"],
                int(t["tag_id"] in trained_on), r.code, significant(r.code_score), took, significant(r.match_score),
                r.likeliest, r.runner_up, significant(r.runner_up_score), int(r.upward), int(took == t["identity"])]
               for t, r, took in zip(tags, reads, taken)])


def write_curve(out_dir: Path, test: Sequence[tuple[float, bool]], threshold: float) -> None:
    """``curve.csv`` and ``coverage.png``: accuracy against coverage over thresholds, on the test tags whose
    reading passes the margin (``(match score, right)`` each), the threshold marked."""
    from spatule.reading.evaluation import coverage_curve
    from spatule.reading.figures import coverage_figure
    from spatule.tables import write_csv

    curve = coverage_curve(test)
    write_csv(out_dir / "curve.csv", ["threshold", "accepted", "coverage", "accuracy"],
              [[significant(p["threshold"]), p["accepted"], round(p["coverage"], 4), round(p["accuracy"], 4)]
               for p in curve])
    coverage_figure(curve, threshold, out_dir / "coverage.png", f"Reading {len(test)} test tag(s) that pass the margin")
