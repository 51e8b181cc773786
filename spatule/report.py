"""The evaluation report: contact sheets of detections vs truth, precision-recall and training
curves (matplotlib, Agg), the split table, and a summary (Markdown on disk, HTML in the
Snakemake report).

Every function takes plain values (dicts read from the JSON/CSV outputs) so tests can feed
small fake inputs; :func:`report_stage` reads the files and writes ``results/report/``.
"""

from __future__ import annotations

import html
import json
import logging
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.metrics import ImageDetections, ImageTruth

_log = logging.getLogger("spatule")

TRUTH_BGR = (60, 200, 60)
DIFFICULT_BGR = (0, 220, 240)
DETECTION_BGR = (40, 40, 230)

SPLITS = ("train", "val", "test")

TRAIN_LOSSES = ("total_loss", "cls_loss", "box_loss")
VAL_METRICS = ("AP", "AP50", "AP75", "ARmax100")

Scalars = Mapping[str, Sequence[tuple[int, float, float]]]
"""TensorBoard scalars: tag -> [(step, wall_time, value)] (:func:`spatule.model.read_scalars`)."""


# --- images ------------------------------------------------------------------------------------

def write_image(path: Path, pixels: np.ndarray, quality: int = 90) -> None:
    """Write a BGR image (JPEG quality ``quality``, PNG lossless by suffix)."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"could not write {path}")


CAPTION_PX = 20
"""Height of the caption bar above each cell of a contact sheet."""


def comparison_cell(image: np.ndarray, truth: ImageTruth, detections: ImageDetections, caption: str,
                    cell: int = 320, height: int | None = None) -> np.ndarray:
    """One image scaled to ``cell`` px wide (and at most ``height`` high, default ``cell``) under a
    caption bar: true boxes green (difficult yellow), detections red with their score."""
    import cv2

    height = height or cell
    scale = min(cell / image.shape[1], height / image.shape[0])
    small = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    canvas = np.full((CAPTION_PX + height, cell, 3), 255, np.uint8)
    canvas[CAPTION_PX:CAPTION_PX + small.shape[0], :small.shape[1]] = small
    view = canvas[CAPTION_PX:]

    def rect(box: Sequence[float], colour: tuple[int, int, int], grow: int = 0) -> tuple[int, int]:
        x0, y0 = int(box[0] * scale) - grow, int(box[1] * scale) - grow
        x1, y1 = int(math.ceil(box[2] * scale)) - 1 + grow, int(math.ceil(box[3] * scale)) - 1 + grow
        cv2.rectangle(view, (x0, y0), (max(x0 + 1, x1), max(y0 + 1, y1)), colour, 2)
        return x0, y0

    for box, hard in zip(truth.boxes, truth.difficult):
        rect(box, DIFFICULT_BGR if hard else TRUTH_BGR, grow=2)
    for box, score in zip(detections.boxes, detections.scores):
        x0, y0 = rect(box, DETECTION_BGR)
        cv2.putText(view, f"{score:.2f}", (min(max(0, x0), cell - 30), max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, DETECTION_BGR, 1, cv2.LINE_AA)
    cv2.rectangle(canvas, (0, 0), (cell - 1, CAPTION_PX - 1), (40, 40, 40), -1)
    text = caption if len(caption) <= 46 else "..." + caption[-43:]
    cv2.putText(canvas, text, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


def comparison_sheet(items: Sequence[tuple[np.ndarray, ImageTruth, ImageDetections, str]], columns: int = 4,
                     cell: int = 320, title: str = "") -> np.ndarray:
    """A grid of :func:`comparison_cell` images under a title line (a sheet saying so when empty);
    rows are as high as the tallest image scaled to ``cell`` px wide (at most ``cell``)."""
    import cv2

    columns = max(1, min(columns, len(items) or 1))
    rows = max(1, math.ceil(len(items) / columns))
    height = max([min(cell, round(cell * im.shape[0] / im.shape[1])) for im, *_ in items] or [cell // 4])
    head, row = 28, CAPTION_PX + height
    sheet = np.full((head + rows * row, max(columns * cell, 640), 3), 255, np.uint8)
    cv2.putText(sheet, title[:110] or "no image", (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for n, (image, truth, found, caption) in enumerate(items):
        r, c = divmod(n, columns)
        sheet[head + r * row:head + (r + 1) * row, c * cell:(c + 1) * cell] = comparison_cell(
            image, truth, found, caption, cell, height)
        if c:
            sheet[head + r * row:head + (r + 1) * row, c * cell] = 255  # a thin gap between cells
    return sheet


# --- plots --------------------------------------------------------------------------------------

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pr_figure(curves: Mapping[str, Mapping[str, Any]], path: Path) -> None:
    """Precision against recall over score thresholds, one line per evaluation set, the chosen
    threshold marked. ``curves``: set name -> its ``metrics.json`` (``pr_curve``, ``score_threshold``,
    ``coco``, ``note``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    drawn = 0
    for name, m in curves.items():
        points = m.get("pr_curve") or []
        if not m.get("available") or not points:
            continue
        recall = [p["recall"] for p in points]
        precision = [p["precision"] for p in points]
        ap = (m.get("coco") or {}).get("AP50", -1)
        line, = ax.plot(recall, precision, marker=".", label=f"{name} (AP50 {ap:.2f})")
        at = m.get("at_threshold") or {}
        if at:
            ax.plot([at["recall"]], [at["precision"]], "o", ms=9, mfc="none", color=line.get_color(),
                    label=f"{name} at score {m.get('score_threshold', 0):g}")
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no evaluation set with tags to draw", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall (IoU >= 0.5)")
    ax.set_ylabel("precision")
    ax.set_title("Precision-recall over score thresholds 0.05-0.95")
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(loc="lower left", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def training_figure(train: Scalars, validation: Scalars, path: Path) -> list[str]:
    """Training losses and validation AP/losses against the step; returns the tags drawn."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    drawn = []
    for tag in TRAIN_LOSSES:
        points = sorted(train.get(tag, []))
        if points:
            left.plot([p[0] for p in points], [p[2] for p in points], label=f"train {tag}")
            drawn.append(f"train/{tag}")
    for tag in ("total_loss", "validation_loss"):
        points = sorted(validation.get(tag, []))
        if points:
            left.plot([p[0] for p in points], [p[2] for p in points], "o--", label=f"validation {tag}")
            drawn.append(f"validation/{tag}")
            break
    for tag in VAL_METRICS:
        points = sorted(validation.get(tag, []))
        if points:
            right.plot([p[0] for p in points], [p[2] for p in points], "o-", label=tag)
            drawn.append(f"validation/{tag}")
    right.set_ylim(-0.02, 1.02)
    for ax, title in ((left, "losses"), (right, "validation (synthetic val tiles)")):
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no TensorBoard scalars found", ha="center", va="center", transform=ax.transAxes)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return drawn


# --- tables and summary ---------------------------------------------------------------------------

def split_table(split_summary: Mapping[str, Any], tiles: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """One row per split: identities, tags, labelled and background photos, synthetic tiles and tags."""
    rows = []
    for split in SPLITS:
        s = (split_summary.get("splits") or {}).get(split, {})
        t = tiles.get(split, {})
        rows.append({"split": split, "identities": s.get("identities", 0), "tags": s.get("tags", 0),
                     "labelled_photos": s.get("labelled_photos", 0), "background_photos": s.get("background_photos", 0),
                     "tiles": t.get("tiles", 0), "tile_tags": t.get("tags", 0)})
    return rows


SPLIT_HEADERS = {"split": "split", "identities": "identities (birds)", "tags": "tags", "labelled_photos":
                 "labelled photos", "background_photos": "background photos", "tiles": "synthetic tiles",
                 "tile_tags": "tags on tiles"}


def identity_warning(split_summary: Mapping[str, Any]) -> str:
    """A plain warning when tag identities were not known for every tag, else ''."""
    if split_summary.get("identities_known", True):
        return ""
    note = split_summary.get("identity_note") or "some tag identities are unknown"
    return (f"Warning: {note} Tags without a known bird were grouped by photo, so the same bird may sit in "
            "two splits and the held-out figures may be optimistic.")


def tile_counts(dataset: Mapping[str, Any]) -> dict[str, int]:
    """Tiles and tags of a COCO dataset."""
    return {"tiles": len(dataset.get("images", [])), "tags": len(dataset.get("annotations", []))}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if value < 0 else f"{value:.3f}"
    return str(value)


def metrics_rows(evaluations: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """One row per evaluation set with its headline figures (n/a where not measurable)."""
    rows = []
    for name, m in evaluations.items():
        coco, at, orig = m.get("coco") or {}, m.get("at_threshold") or {}, m.get("original") or {}
        available = bool(m.get("available"))
        rows.append({
            "set": name, "images": _fmt(m.get("images", 0)), "tags": _fmt(m.get("tags", 0)),
            "AP": _fmt(coco.get("AP", -1.0)), "AP50": _fmt(coco.get("AP50", -1.0)),
            "AP75": _fmt(coco.get("AP75", -1.0)), "AR100": _fmt(coco.get("AR100", -1.0)),
            "threshold": _fmt(m.get("score_threshold", "")),
            "precision": _fmt(at.get("precision", -1.0)) if at.get("tp", 0) + at.get("fp", 0) else "n/a",
            "recall": _fmt(at.get("recall", -1.0)) if available else "n/a",
            "tp/fp/fn": f"{at.get('tp', 0)}/{at.get('fp', 0)}/{at.get('fn', 0)}",
            "pixel IoU": _fmt(orig.get("pixel_iou", -1.0)), "count exact": _fmt(orig.get("count_exact", -1.0)),
        })
    return rows


def markdown_table(rows: Sequence[Mapping[str, Any]], headers: Mapping[str, str] | None = None) -> str:
    """A GitHub-flavoured Markdown table (empty string without rows)."""
    if not rows:
        return ""
    keys = list(rows[0])
    names = [(headers or {}).get(k, k) for k in keys]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def html_table(rows: Sequence[Mapping[str, Any]], headers: Mapping[str, str] | None = None) -> str:
    """An HTML table (escaped)."""
    if not rows:
        return "<p>(none)</p>"
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(str((headers or {}).get(k, k)))}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[k]))}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = ("body{font-family:sans-serif;margin:1.2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0 1.2em}"
        "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#eee}"
        ".warn{background:#fff3cd;border:1px solid #e0b000;padding:.6em}.note{color:#555}")


def summary_notes(evaluations: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The plain notes of the evaluations (e.g. no real held-out photo)."""
    return [f"{name}: {m['note']}" for name, m in evaluations.items() if m.get("note")]


def summary_markdown(evaluations: Mapping[str, Mapping[str, Any]], splits: Sequence[Mapping[str, Any]],
                     warning: str, training: Mapping[str, Any], detection: Mapping[str, Any],
                     figures: Sequence[str], hard: Mapping[str, Any] | None = None) -> str:
    """``results/report/summary.md``."""
    parts = ["# spatule evaluation report", ""]
    if warning:
        parts += [f"> **{warning}**", ""]
    parts += ["## Held-out evaluation", "",
              "Birds never seen in training: `synthetic` = the test split's synthetic tiles, `real` = labelled "
              "photos whose tags are all in the test split plus the test background photos, searched at full "
              "size like new photos. Difficult boxes are ignored; precision and recall at IoU >= 0.5.", "",
              markdown_table(metrics_rows(evaluations)), ""]
    parts += [f"- {n}" for n in summary_notes(evaluations)] + [""]
    parts += ["## Splits", "", markdown_table(splits, SPLIT_HEADERS), ""]
    parts += ["## Training", "", markdown_table(_training_rows(training)), ""]
    if hard:
        parts += ["## Hard negatives", "", HARD_NOTE.format(**hard), "", markdown_table(hard_rows(hard)), ""]
    parts += ["## Detection on new photos", "", markdown_table([dict(detection)]) if detection else "(not run)", ""]
    parts += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figures] + [""]
    return "\n".join(parts)


def _training_rows(training: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per training round (``training``: round name -> its metrics.json)."""
    return [{"round": name, "final step": _fmt(t.get("final_step")), "loss": _fmt(t.get("loss")),
             "val AP": _fmt(t.get("AP")), "val AP50": _fmt(t.get("AP50")),
             "steps/s": _fmt(t.get("steps_per_second")), "seconds": _fmt(t.get("seconds"))}
            for name, t in training.items()]


HARD_NOTE = ("False boxes (score >= {score}, matching no labelled tag) per photo of the first model (before) and of "
             "the second round trained with {tiles} tag-free tiles cut around the first model's false boxes "
             "(after): on the train split's photos the tiles came from, and on the held-out test photos.")


def hard_rows(hard: Mapping[str, Any]) -> list[dict[str, str]]:
    """The before/after table of ``results/model-hard/hard_negatives.json``."""
    names = {"mining": "train photos (mined)", "held_out": "held-out test photos"}
    return [{"photos": names[k], "count": _fmt(hard["before"][k]["photos"]),
             "false boxes before": _fmt(hard["before"][k]["false_boxes"]),
             "per photo before": _fmt(hard["before"][k]["per_photo"]),
             "false boxes after": _fmt(hard["after"][k]["false_boxes"]),
             "per photo after": _fmt(hard["after"][k]["per_photo"])} for k in names if k in hard["before"]]


def summary_html(evaluations: Mapping[str, Mapping[str, Any]], splits: Sequence[Mapping[str, Any]], warning: str,
                 training: Mapping[str, Any], detection: Mapping[str, Any],
                 hard: Mapping[str, Any] | None = None) -> str:
    """``results/report/summary.html``: the headline tables, self-contained (shown in the Snakemake report)."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in summary_notes(evaluations))
    return "\n".join([
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>spatule summary</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<p class='warn'>{html.escape(warning)}</p>" if warning else "",
        "<h2>Held-out evaluation</h2>",
        "<p class='note'>synthetic = test-split synthetic tiles; real = labelled photos whose tags are all in the "
        "test split + test background photos, at full size through the tiled detector. Difficult boxes ignored; "
        "IoU &ge; 0.5.</p>",
        html_table(metrics_rows(evaluations)),
        f"<ul>{notes}</ul>" if notes else "",
        "<h2>Splits</h2>", html_table(splits, SPLIT_HEADERS),
        "<h2>Training</h2>", html_table(_training_rows(training)),
        *(["<h2>Hard negatives</h2>", f"<p class='note'>{html.escape(HARD_NOTE.format(**hard))}</p>",
            html_table(hard_rows(hard))] if hard else []),
        "<h2>Detection on new photos</h2>", html_table([dict(detection)]) if detection else "<p>(not run)</p>",
        "</body></html>", ""])


def splits_html(splits: Sequence[Mapping[str, Any]], warning: str) -> str:
    """``results/report/splits.html``: the split table with the identity warning when there is one."""
    return "\n".join([
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>spatule splits</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<p class='warn'>{html.escape(warning)}</p>" if warning else
        "<p class='note'>Every tag has a known bird identity: no bird sits in two splits.</p>",
        html_table(splits, SPLIT_HEADERS), "</body></html>", ""])


def detection_summary(photos_rows: Sequence[Mapping[str, str]]) -> dict[str, int]:
    """Counts of ``results/detect/photos.csv``."""
    return {"photos": len(photos_rows), "photos with tags": sum(1 for r in photos_rows if int(r["detections"] or 0)),
            "tags found": sum(int(r["detections"] or 0) for r in photos_rows),
            "unreadable": sum(1 for r in photos_rows if r["status"] != "ok")}


def read_training_scalars(model_dir: Path, log: logging.Logger = _log) -> tuple[Scalars, Scalars]:
    """TensorBoard scalars of ``model_dir/train`` and ``model_dir/validation`` (empty when absent)."""
    from spatule.model import read_scalars

    out = []
    for sub in ("train", "validation"):
        folder = model_dir / sub
        scalars = read_scalars(folder) if folder.is_dir() else {}
        if not scalars:
            log.warning("no TensorBoard scalars in %s", folder)
        out.append(scalars)
    return out[0], out[1]


def report_stage(evaluations: Mapping[str, Path], split_summary: Path, tiles_json: Mapping[str, Path],
                 model_dir: Path, detect_photos: Path | None, out: Mapping[str, Path],
                 log: logging.Logger = _log, hard_negatives: Path | None = None) -> dict[str, Any]:
    """Read the evaluation, split, training and detection outputs and write the report files.

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
    training = {name: {**_read_json(path.parent / "timing.json"), **_read_json(path)} for name, path in rounds.items()}
    hard = json.loads(hard_negatives.read_text(encoding="utf-8")) if hard_negatives is not None else None
    train_scalars, val_scalars = read_training_scalars(model_dir, log)
    drawn = training_figure(train_scalars, val_scalars, out["training_curves"])
    pr_figure(metrics, out["pr_curves"])
    detection = detection_summary(read_csv(detect_photos)) if detect_photos else {}
    write_csv(out["splits_csv"], list(SPLIT_HEADERS), [[r[k] for k in SPLIT_HEADERS] for r in splits])
    out["splits_html"].write_text(splits_html(splits, warning), encoding="utf-8")
    out["summary_html"].write_text(summary_html(metrics, splits, warning, training, detection, hard), encoding="utf-8")
    figures = [Path(out[k]).name for k in ("pr_curves", "training_curves")]
    figures += [_relative(p.parent / "sheet.jpg", out["summary_md"].parent) for p in evaluations.values()
                if (p.parent / "sheet.jpg").is_file()]
    out["summary_md"].write_text(summary_markdown(metrics, splits, warning, training, detection, figures, hard),
                                 encoding="utf-8")
    if warning:
        log.warning("%s", warning)
    for note in summary_notes(metrics):
        log.warning("%s", note)
    log.info("report: %s (training curves: %s)", out["summary_md"], ", ".join(drawn) or "none")
    return {"metrics": metrics, "splits": splits, "warning": warning, "training_tags": drawn}


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _relative(path: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(path, start)).as_posix()
