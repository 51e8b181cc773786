"""Rules ``train_reader`` and ``evaluate_reading``: the code reader trained on rendered crops, and
measured on the held-out (test split) tags whose identity is a code."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

from spatule.problems import SpatuleError

_log = logging.getLogger("spatule")

READING_ROW_COLUMNS = ["tag_id", "image", "identity", "difficult", "code", "code_score", "registry_match",
                       "match_score", "likeliest", "upward", "right"]


def glyph_set(alphabet: str, glyph_sheet: Path | None) -> Any:
    """The glyphs codes are drawn with: cut from the user's sheet, else the demo's font."""
    from spatule.reading.glyphs import cut_glyph_sheet, glyphs_from_font

    if glyph_sheet is not None:
        return cut_glyph_sheet(glyph_sheet, alphabet)
    from spatule.demo import FONT_PATH

    return glyphs_from_font(Path(FONT_PATH), alphabet)


def code_reader(reader_dir: Path, registry: Path | None, threads: int | None = None,
                log: logging.Logger = _log) -> Any:
    """The trained reader with the registry's codes (:func:`spatule.reading.codes.load_code_reader`),
    TensorFlow's threads sized to the job."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import load_code_reader

    configure_tensorflow(threads, log)
    reader = load_code_reader(reader_dir, registry)
    log.info("code reader %s: %s, %s", reader_dir, reader.alphabet,
             f"{len(reader.codes)} registry code(s) from {registry}" if registry else "no registry")
    return reader


def train_reader(alphabet: str, glyph_sheet: Path | None, crops: int, epochs: int, seed: int, code_length: int,
                 out_dir: Path, threads: int | None = None, log: logging.Logger = _log) -> dict[str, Any]:
    """Train the reader on rendered crops (``read.*``): ``reader.npz``, ``reader.json`` (alphabet, glyph
    source, accuracy on rendered crops it never saw) and ``rendered.jpg`` (what it was trained on)."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import READER_FILE, write_reader_info
    from spatule.reading.figures import rendered_sheet
    from spatule.reading.train import fit_reader
    from spatule.reading.weights import save_weights

    configure_tensorflow(threads, log)
    glyphs = glyph_set(alphabet, glyph_sheet)
    log.info("glyphs of %s from %s", alphabet, glyphs.source)
    model, metrics = fit_reader(glyphs, crops, max(200, crops // 8), epochs, seed, code_length, log)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model.get_weights(), out_dir / READER_FILE)
    source = Path(glyphs.source).name  # not the absolute path: the same bytes on every install
    info = {"crops": crops, "epochs": epochs, "seed": seed, **metrics}
    write_reader_info(out_dir, alphabet, code_length, source, info)
    rendered_sheet(glyphs, seed, out_dir / "rendered.jpg", source)
    return info


def coded_tags(tags_csv: Path, identities_csv: Path, alphabet: str, code_length: int,
               splits: Sequence[str] = ("test",)) -> list[dict[str, str]]:
    """The tags of ``splits`` whose identity is a code (any other identity cannot be read)."""
    from spatule.reading.registry import is_code
    from spatule.tables import read_csv

    chosen = {r["identity"] for r in read_csv(identities_csv) if r["split"] in splits}
    return [r for r in read_csv(tags_csv) if r["identity"] in chosen and is_code(r["identity"], alphabet, code_length)]


def read_tags(reader: Any, tags: Sequence[dict[str, str]], crops_dir: Path) -> list[Any]:
    """Each tag of ``tags.csv`` rows read from its crop (its labelled box)."""
    import cv2

    crops, boxes = [], []
    for tag in tags:
        path = crops_dir / tag["file"]
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is None:
            raise SpatuleError(f"{path}: tag crop cannot be read")
        crops.append(crop)
        boxes.append(tuple(int(tag[k]) for k in ("box_x0", "box_y0", "box_x1", "box_y1")))
    return reader.read(crops, boxes)


def reading_figures(tags: Sequence[dict[str, str]], reads: Sequence[Any], threshold: float,
                    code_length: int, codes: Sequence[str]) -> tuple[dict[str, Any], list[tuple[float, bool]]]:
    """Exact-code and per-glyph accuracy of the readings, the registry match at threshold 0, what passes
    ``threshold``, the point of 80% coverage and the calibration bins; and each tag's (score, right)."""
    from spatule.reading.evaluation import at_coverage, at_threshold, calibration, coverage_curve, glyph_hits

    scored = [(r.match_score, r.likeliest == t["identity"]) for t, r in zip(tags, reads)]
    n = max(1, len(tags))  # shares of none are 0
    return {"tags": len(tags),
            "greedy_exact": sum(r.code == t["identity"] for t, r in zip(tags, reads)) / n,
            "per_glyph": sum(glyph_hits(r.code, t["identity"]) for t, r in zip(tags, reads)) / (code_length * n),
            "registry_exact": sum(ok for _, ok in scored) / n,
            "at_threshold": at_threshold(scored, threshold),
            "at_coverage_0.8": at_coverage(coverage_curve(scored), 0.8),
            "calibration": calibration(scored),
            "not_in_registry": sum(1 for t in tags if codes and t["identity"] not in codes)}, scored


def evaluate_reading(tags_csv: Path, crops_dir: Path, identities_csv: Path, reader_dir: Path, registry: Path | None,
                     threshold: float, out_dir: Path, threads: int | None = None,
                     log: logging.Logger = _log) -> dict[str, Any]:
    """Read the held-out tags with known codes (their labelled boxes): ``readings.csv``, ``curve.csv``,
    ``metrics.json`` and ``coverage.png`` in ``out_dir`` (figures on the tags a person could read;
    difficult ones apart)."""
    from spatule.reading.codes import reader_info
    from spatule.reading.evaluation import coverage_curve
    from spatule.reading.figures import coverage_figure
    from spatule.tables import write_csv

    reader = code_reader(reader_dir, registry, threads, log)
    tags = coded_tags(tags_csv, identities_csv, reader.alphabet, reader.code_length)
    reads = read_tags(reader, tags, crops_dir)
    rows = [[t["tag_id"], t["image"], t["identity"], t["difficult"], r.code, round(r.code_score, 4),
             r.match(threshold), round(r.match_score, 4), r.likeliest, int(r.upward),
             int(r.match(threshold) == t["identity"])] for t, r in zip(tags, reads)]
    write_csv(out_dir / "readings.csv", READING_ROW_COLUMNS, rows)
    readable = [k for k, t in enumerate(tags) if t["difficult"] != "1"]
    difficult = [k for k, t in enumerate(tags) if t["difficult"] == "1"]
    main, scored = reading_figures([tags[k] for k in readable], [reads[k] for k in readable], threshold,
                                   reader.code_length, reader.codes)
    metrics = {"threshold": threshold, "registry_codes": len(reader.codes), "reader": reader_info(reader_dir),
               "readable": main,
               "difficult": reading_figures([tags[k] for k in difficult], [reads[k] for k in difficult], threshold,
                                            reader.code_length, reader.codes)[0]}
    curve = coverage_curve(scored)
    write_csv(out_dir / "curve.csv", ["threshold", "accepted", "coverage", "accuracy"],
              [[round(p["threshold"], 6), p["accepted"], round(p["coverage"], 4), round(p["accuracy"], 4)]
               for p in curve])
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    coverage_figure(curve, threshold, out_dir / "coverage.png",
                    f"Reading {len(readable)} held-out tag(s) with a known code")
    at = main["at_threshold"]
    log.info("reading %d held-out tag(s) (+%d difficult): exact %.3f (registry %.3f), per glyph %.3f; at threshold "
             "%g: coverage %.3f, accuracy %.3f, %d wrong code(s) accepted", len(readable), len(difficult),
             main["greedy_exact"], main["registry_exact"], main["per_glyph"], threshold, at["coverage"],
             at["accuracy"], at["wrong"])
    return metrics
