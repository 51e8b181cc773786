"""Rules ``train_reader`` and ``evaluate_reading``: the code reader trained on rendered crops, and
measured on the held-out (test split) tags whose identity is a code."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

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


@dataclass(frozen=True)
class ReaderSettings:
    """How the reader is trained (``read.*``)."""

    alphabet: str
    code_length: int
    crops: int
    """Rendered training crops of the first round."""
    epochs: int
    seed: int
    real_views: int
    """Augmented views of each labelled real tag of the train split, in the second round."""
    real_epochs: int

    @classmethod
    def of(cls, read: Mapping[str, Any]) -> ReaderSettings:
        """From the config's ``read`` section."""
        return cls(str(read["alphabet"]), int(read["code_length"]), int(read["crops"]), int(read["epochs"]),
                   int(read["seed"]), int(read["real_views"]), int(read["real_epochs"]))


@dataclass(frozen=True)
class LabelledTags:
    """Where the labelled tags are: ``tags.csv`` and its crops (rule extract_tags), each identity's split."""

    tags_csv: Path
    crops_dir: Path
    identities_csv: Path


def real_tags(labelled: LabelledTags, alphabet: str, code_length: int, splits: Sequence[str]
              ) -> tuple[list[Any], list[str]]:
    """The labelled tags of ``splits`` whose identity is a code and that are not ``difficult``, as
    :class:`~spatule.reading.train.RealTag` (their crops as ``extract_tags`` cut them, as ``detect`` cuts
    one), and the split of each."""
    import cv2

    from spatule.reading.train import RealTag
    from spatule.tables import read_csv

    split_of = {r["identity"]: r["split"] for r in read_csv(labelled.identities_csv)}
    out, where = [], []
    for row in coded_tags(labelled.tags_csv, labelled.identities_csv, alphabet, code_length, splits):
        if row["difficult"] == "1":
            continue
        path = labelled.crops_dir / row["file"]
        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if pixels is None:
            raise SpatuleError(f"{path}: tag crop cannot be read (rerun rule extract_tags)")
        box = tuple(int(row[k]) for k in ("box_x0", "box_y0", "box_x1", "box_y1"))
        out.append(RealTag(pixels, box, row["identity"], row["tag_id"]))  # type: ignore[arg-type]
        where.append(split_of[row["identity"]])
    return out, where


def train_reader(settings: ReaderSettings, glyph_sheet: Path | None, out_dir: Path,
                 labelled: LabelledTags | None = None, threads: int | None = None,
                 log: logging.Logger = _log) -> dict[str, Any]:
    """Train the reader (``read.*``) on rendered crops and, with ``labelled`` tags, on those of the train split
    whose identity is a code: ``reader.npz``, ``reader.json`` (alphabet, glyph source, the glyphs that read
    as another upside down, the real tags it learnt from, its accuracy on rendered crops it never saw),
    ``rendered.jpg`` (what it was trained on) and ``real_vs_rendered.jpg`` (every labelled tag with a code
    beside rendered ones, as the reader sees them)."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import READER_FILE, write_reader_info
    from spatule.reading.figures import real_vs_rendered_sheet, rendered_sheet
    from spatule.reading.glyphs import glyph_turns
    from spatule.reading.train import fit_reader, way_round
    from spatule.reading.weights import save_weights

    configure_tensorflow(threads, log)
    glyphs = glyph_set(settings.alphabet, glyph_sheet)
    log.info("glyphs of %s from %s", settings.alphabet, glyphs.source)
    splits = ("train", "val", "test")
    every, where = real_tags(labelled, settings.alphabet, settings.code_length, splits) if labelled else ([], [])
    train = [t for t, split in zip(every, where) if split == "train"]
    if not every:
        log.info("no labelled tag has a code (identities CSV or tag:CODE): the reader learns from rendered crops "
                 "only")
    else:
        log.info("labelled tags with a code: %s; the reader learns from the %d of the train split",
                 ", ".join(f"{sum(w == s for w in where)} {s}" for s in splits), len(train))
    model, metrics = fit_reader(glyphs, settings.crops, max(200, settings.crops // 8), settings.epochs,
                                settings.seed, settings.code_length, log, real=train,
                                real_views=settings.real_views, real_epochs=settings.real_epochs,
                                workers=max(1, threads or 1))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model.get_weights(), out_dir / READER_FILE)
    source = Path(glyphs.source).name  # not the absolute path: the same bytes on every install
    info = {**metrics, "crops": settings.crops, "seed": settings.seed, "turned": glyph_turns(glyphs),
            "trained_on": sorted(t.name for t in train)}
    write_reader_info(out_dir, settings.alphabet, settings.code_length, source, info)
    rendered_sheet(glyphs, settings.seed, out_dir / "rendered.jpg", source)
    upward, _ = way_round(model, every, settings.alphabet)
    real_vs_rendered_sheet(every, upward, where, glyphs, settings.seed, out_dir / "real_vs_rendered.jpg")
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
