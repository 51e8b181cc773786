"""The evaluation report: assembles the figures (:mod:`spatule.figures`), the split table and a
summary (Markdown on disk, HTML in the Snakemake report).

Every function takes plain values (dicts read from the JSON/CSV outputs) so tests can feed
small fake inputs; :func:`spatule.stages.report` reads the files and writes ``results/report/``
(the training curves from TensorBoard's event files, read without TensorFlow: :mod:`spatule.events`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Mapping, Sequence

from spatule.figures import THRESHOLD_SOURCES

SPLITS = ("train", "val", "test")


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
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "n/a" if value < 0 else f"{value:.3f}"
    return str(value)


def _with_interval(value: Any, interval: Any) -> str:
    """``0.898 (0.79-0.95)``: a figure and its 95% interval; ``n/a`` without a figure."""
    if value is None or (isinstance(value, float) and value < 0):
        return "n/a"
    if not interval:
        return _fmt(value)
    return f"{value:.3f} ({interval[0]:.2f}-{interval[1]:.2f})"


def metrics_rows(evaluations: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """One row per evaluation set with its headline figures and their 95% intervals (Wilson for precision,
    recall and count-exact; the bootstrap over photos for AP); n/a where not measurable."""
    rows = []
    for name, m in evaluations.items():
        coco, at, orig = m.get("coco") or {}, m.get("at_threshold") or {}, m.get("original") or {}
        source = (m.get("threshold") or {}).get("source", "")
        rows.append({
            "set": name, "images": _fmt(m.get("images", 0)), "tags": _fmt(m.get("tags", 0)),
            "AP (95%)": _with_interval(coco.get("AP", -1.0), coco.get("AP_ci")),
            "AP50 (95%)": _with_interval(coco.get("AP50", -1.0), coco.get("AP50_ci")),
            "AR100": _fmt(coco.get("AR100", -1.0)),
            "threshold": (f"{m['score_threshold']:.3f} ({THRESHOLD_SOURCES.get(source, source)})"
                          if isinstance(m.get("score_threshold"), (int, float)) else "n/a"),
            "precision (95%)": _with_interval(at.get("precision"), at.get("precision_ci")),
            "recall (95%)": _with_interval(at.get("recall"), at.get("recall_ci")),
            "tp/fp/fn": f"{at.get('tp', 0)}/{at.get('fp', 0)}/{at.get('fn', 0)}",
            "pixel IoU": _fmt(orig.get("pixel_iou")),
            "count exact (95%)": _with_interval(orig.get("count_exact"), orig.get("count_exact_ci")),
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
    """The plain notes of the evaluations (e.g. no real held-out photo, a precision target not reached on val)."""
    notes = [f"{name}: {m['note']}" for name, m in evaluations.items() if m.get("note")]
    notes += [f"{name}: {m['threshold']['note']}" for name, m in evaluations.items()
              if name == "val" and (m.get("threshold") or {}).get("note")]
    return notes


_HELD_OUT_SETS = (
    "Birds never seen in training. `val` = labelled photos whose tags are all in the val split plus the val "
    "background photos; `real` = the same for the test split; `synthetic` = the test split's synthetic tiles. ")

_HELD_OUT_THRESHOLD = {
    "val": "The score threshold was chosen on val (the lowest score reaching evaluate.target_precision), so val's "
           "figures at it are optimistic; `real` and `synthetic` are measured at it. ",
    "config": "The score threshold was set by hand (detect.score_threshold), not chosen on val; every set is "
              "measured at it. ",
    "default": "No score threshold could be chosen on val (see the note below the table): every set is measured at "
               "the provisional default; set detect.score_threshold or label more val tags. ",
}

_HELD_OUT_RULES = (
    "Photos are searched at full size like new photos; difficult boxes are ignored; IoU >= 0.5. In "
    "brackets, 95% intervals: Wilson for precision, recall and count-exact, the bootstrap over photos for AP. "
    "Precision is n/a when nothing was detected; pixel IoU is the mean over photos with a tag or a box; a count "
    "is exact when every tag is found and no box is false.")


def held_out_note(evaluations: Mapping[str, Mapping[str, Any]]) -> str:
    """What the held-out table's sets are and where its score threshold came from (val's ``threshold.source``:
    chosen on val, set in the config, or the provisional default)."""
    sources = [(m.get("threshold") or {}).get("source") for m in evaluations.values()]
    source = next((s for s in sources if s), "val")
    return _HELD_OUT_SETS + _HELD_OUT_THRESHOLD.get(source, _HELD_OUT_THRESHOLD["val"]) + _HELD_OUT_RULES


READING_NOTE = ("The code reader on tags whose code is known, read at the threshold {threshold} ({source}; "
                "results/reader/threshold.json) and the margin {margin}: coverage is the share of tags accepted as a "
                "registry code, accuracy the share of those that are right; each with its count and 95% interval. The "
                "train split's tags taught the reader (when their identities are codes); the val split's took part in "
                "choosing the threshold; only the test split's and the new photos' measure it on tags it never saw.")


def reading_note(reading: Mapping[str, Any]) -> str:
    """:data:`READING_NOTE` with the threshold the reading was measured at and where it came from."""
    def number(key: str) -> str:
        value = reading.get(key)
        return f"{value:.4g}" if isinstance(value, (int, float)) else "?"

    return READING_NOTE.format(threshold=number("threshold"), margin=number("margin"),
                               source=reading.get("threshold_source") or "source not recorded")

READING_ROWS = {"rendered": "rendered crops, never seen (exact code as read)",
                "labelled_train": "labelled tags, train split (it learnt from them)",
                "labelled_val": "labelled tags, val split (they took part in choosing the threshold)",
                "labelled_test": "labelled tags, test split (held-out birds)",
                "new_day": "new photos: tags detect found, each frame read alone",
                "new_day_by_visit": "new photos: the same tags, each read as its visit (all its frames)",
                "new_day_visits": "new photos: visits with a tag found (the bird most of its frames show)"}


def reading_rows(reading: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per set of tags of the reading evaluation (``results/eval/reading/metrics.json``)."""
    from spatule.intervals import shown

    out = []
    for key, name in READING_ROWS.items():
        f = reading.get("rows", {}).get(key)
        if f is None:
            continue
        if key == "rendered":
            out.append({"tags": name, "n": _fmt(f["n"]), "coverage": "-", "accuracy of accepted": shown(f),
                        "wrong accepted": "-"})
            continue
        out.append({"tags": name, "n": _fmt(f["n"]), "coverage": shown(f["coverage"]),
                    "accuracy of accepted": shown(f["accuracy"]), "wrong accepted": f"{f['wrong']} of {f['accepted']}"})
    return out


def summary_markdown(evaluations: Mapping[str, Mapping[str, Any]], splits: Sequence[Mapping[str, Any]],
                     warning: str, training: Mapping[str, Any], detection: Mapping[str, Any],
                     figures: Sequence[str], hard: Mapping[str, Any] | None = None,
                     reading: Mapping[str, Any] | None = None) -> str:
    """``results/report/summary.md``."""
    parts = ["# spatule evaluation report", ""]
    if warning:
        parts += [f"> **{warning}**", ""]
    parts += ["## Held-out evaluation", "",
              held_out_note(evaluations), "",
              markdown_table(metrics_rows(evaluations)), ""]
    parts += [f"- {n}" for n in summary_notes(evaluations)] + [""]
    parts += ["## Splits", "", markdown_table(splits, SPLIT_HEADERS), ""]
    parts += ["## Training", "", markdown_table(_training_rows(training)), ""]
    if hard:
        parts += ["## Hard negatives", "", HARD_NOTE.format(**hard), "", markdown_table(hard_rows(hard)), ""]
    parts += ["## Detection on new photos", "", markdown_table([dict(detection)]) if detection else "(not run)", ""]
    if reading:
        parts += ["## Reading the codes", "", reading_note(reading), "", markdown_table(reading_rows(reading)), ""]
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
             "(after): on the train split's photos the tiles came from, and on the val photos (birds it never saw; "
             "the test photos are not used to judge the round).")


def hard_rows(hard: Mapping[str, Any]) -> list[dict[str, str]]:
    """The before/after table of ``results/model-hard/hard_negatives.json``."""
    names = {"mining": "train photos (mined)", "val": "val photos (held-out birds)"}
    return [{"photos": names[k], "count": _fmt(hard["before"][k]["photos"]),
             "false boxes before": _fmt(hard["before"][k]["false_boxes"]),
             "per photo before": _fmt(hard["before"][k]["per_photo"]),
             "false boxes after": _fmt(hard["after"][k]["false_boxes"]),
             "per photo after": _fmt(hard["after"][k]["per_photo"])} for k in names if k in hard["before"]]


def summary_html(evaluations: Mapping[str, Mapping[str, Any]], splits: Sequence[Mapping[str, Any]], warning: str,
                 training: Mapping[str, Any], detection: Mapping[str, Any],
                 hard: Mapping[str, Any] | None = None, reading: Mapping[str, Any] | None = None) -> str:
    """``results/report/summary.html``: the headline tables, self-contained (shown in the Snakemake report)."""
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in summary_notes(evaluations))
    return "\n".join([
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>spatule summary</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<p class='warn'>{html.escape(warning)}</p>" if warning else "",
        "<h2>Held-out evaluation</h2>",
        f"<p class='note'>{html.escape(held_out_note(evaluations))}</p>",
        html_table(metrics_rows(evaluations)),
        f"<ul>{notes}</ul>" if notes else "",
        "<h2>Splits</h2>", html_table(splits, SPLIT_HEADERS),
        "<h2>Training</h2>", html_table(_training_rows(training)),
        *(["<h2>Hard negatives</h2>", f"<p class='note'>{html.escape(HARD_NOTE.format(**hard))}</p>",
            html_table(hard_rows(hard))] if hard else []),
        "<h2>Detection on new photos</h2>", html_table([dict(detection)]) if detection else "<p>(not run)</p>",
        *(["<h2>Reading the codes</h2>", f"<p class='note'>{html.escape(reading_note(reading))}</p>",
           html_table(reading_rows(reading))] if reading else []),
        "</body></html>", ""])


def splits_html(splits: Sequence[Mapping[str, Any]], warning: str) -> str:
    """``results/report/splits.html``: the split table with the identity warning when there is one."""
    return "\n".join([
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>spatule splits</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<p class='warn'>{html.escape(warning)}</p>" if warning else
        "<p class='note'>Every tag has a known bird identity: no bird sits in two splits.</p>",
        html_table(splits, SPLIT_HEADERS), "</body></html>", ""])


def detection_summary(photos_rows: Sequence[Mapping[str, str]],
                      birds_rows: Sequence[Mapping[str, str]] | None = None) -> dict[str, int]:
    """Counts of ``results/detect/photos.csv`` (and of ``birds.csv``: tags read as a bird, birds seen)."""
    counts = {"photos": len(photos_rows),
              "photos with tags": sum(1 for r in photos_rows if int(r["detections"] or 0)),
              "tags found": sum(int(r["detections"] or 0) for r in photos_rows),
              "not searched": sum(1 for r in photos_rows if r["status"] != "ok")}
    if birds_rows is not None:
        counts.update({"tags read as a bird": sum(int(r["sightings"]) for r in birds_rows),
                       "birds seen": len(birds_rows)})
    return counts
