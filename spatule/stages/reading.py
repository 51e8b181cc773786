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
                       "match_score", "upward", "right"]


def glyph_set(alphabet: str, glyph_sheet: Path | None) -> Any:
    """The glyphs codes are drawn with: cut from the user's sheet, else the demo's font."""
    from spatule.reading.glyphs import cut_glyph_sheet, glyphs_from_font

    if glyph_sheet is not None:
        return cut_glyph_sheet(glyph_sheet, alphabet)
    from spatule.demo import FONT_PATH

    return glyphs_from_font(Path(FONT_PATH), alphabet)


def registry_codes(registry: Path | None, alphabet: str, code_length: int) -> tuple[str, ...]:
    """The registry's codes (none without a registry)."""
    from spatule.reading.registry import read_registry

    return tuple(b.code for b in read_registry(registry, alphabet, code_length)) if registry else ()


def code_reader(reader_dir: Path, registry: Path | None, threshold: float, code_length: int) -> Any:
    """The trained reader with the registry's codes (:class:`spatule.reading.codes.CodeReader`)."""
    from spatule.reading.codes import load_code_reader

    info = json.loads((reader_dir / "reader.json").read_text(encoding="utf-8"))
    return load_code_reader(reader_dir, registry_codes(registry, str(info["alphabet"]), code_length), threshold)


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
    source = Path(glyphs.source).name if glyph_sheet is None else str(glyph_sheet)
    info = {"crops": crops, "epochs": epochs, "seed": seed, "code_length": code_length, **metrics}
    write_reader_info(out_dir, alphabet, source, info)
    rendered_sheet(glyphs, seed, out_dir / "rendered.jpg")
    return info


def held_out_tags(tags_csv: Path, identities_csv: Path, alphabet: str, code_length: int) -> list[dict[str, str]]:
    """The tags of the test split whose identity is a code (any other identity cannot be read)."""
    from spatule.tables import read_csv

    test = {r["identity"] for r in read_csv(identities_csv) if r["split"] == "test"}
    return [r for r in read_csv(tags_csv) if r["identity"] in test and len(r["identity"]) == code_length
            and all(c in alphabet for c in r["identity"])]


def evaluate_reading(tags_csv: Path, crops_dir: Path, identities_csv: Path, reader_dir: Path, registry: Path | None,
                     threshold: float, code_length: int, out_dir: Path, log: logging.Logger = _log) -> dict[str, Any]:
    """Read the held-out tags with known codes: ``readings.csv``, ``curve.csv``, ``metrics.json`` and
    ``coverage.png`` in ``out_dir`` (figures on the tags a person could read; difficult ones apart)."""
    import cv2

    from spatule.reading.evaluation import at_coverage, at_threshold, calibration, coverage_curve, glyph_hits
    from spatule.reading.figures import coverage_figure
    from spatule.tables import write_csv

    reader = code_reader(reader_dir, registry, threshold, code_length)
    info = json.loads((reader_dir / "reader.json").read_text(encoding="utf-8"))
    alphabet, codes = reader.alphabet, reader.codes
    tags = held_out_tags(tags_csv, identities_csv, alphabet, code_length)
    crops, boxes = [], []
    for tag in tags:
        path = crops_dir / tag["file"]
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if crop is None:
            raise SpatuleError(f"{path}: tag crop cannot be read")
        crops.append(crop)
        boxes.append(tuple(int(tag[k]) for k in ("box_x0", "box_y0", "box_x1", "box_y1")))
    reads = reader.read(crops, boxes)  # type: ignore[arg-type]
    rows = [[t["tag_id"], t["image"], t["identity"], t["difficult"], *r.row(), int(r.upward),
             int(r.registry_match == t["identity"])] for t, r in zip(tags, reads)]
    write_csv(out_dir / "readings.csv", READING_ROW_COLUMNS, rows)

    def figures(which: Sequence[int]) -> dict[str, Any]:
        chosen = [(tags[k], reads[k]) for k in which]
        scored = [(r.match_score, r.best == t["identity"]) for t, r in chosen]  # right at threshold 0
        n = max(1, len(chosen))  # shares of none are 0
        return {"tags": len(chosen),
                "greedy_exact": sum(r.code == t["identity"] for t, r in chosen) / n,
                "per_glyph": sum(glyph_hits(r.code, t["identity"]) for t, r in chosen) / (code_length * n),
                "registry_exact": sum(ok for _, ok in scored) / n,
                "at_threshold": at_threshold(scored, threshold),
                "at_coverage_0.8": at_coverage(coverage_curve(scored), 0.8),
                "calibration": calibration(scored),
                "not_in_registry": sum(1 for t, _ in chosen if codes and t["identity"] not in codes)}, scored

    readable = [k for k, t in enumerate(tags) if t["difficult"] != "1"]
    difficult = [k for k, t in enumerate(tags) if t["difficult"] == "1"]
    main, scored = figures(readable)
    metrics = {"threshold": threshold, "registry_codes": len(codes), "reader": info, "readable": main,
               "difficult": figures(difficult)[0]}
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

