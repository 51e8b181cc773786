"""Rules ``train_reader``, ``self_train_reader`` and ``read_threshold``: the code reader trained on rendered
crops and the train split's tags, its threshold chosen on the val split's (and on rendered crops).

The tags come from :mod:`spatule.reading.labelled`, the threshold's choice from :mod:`spatule.reading.check`;
these functions read the files, call them and write the outputs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from spatule.reading.check import ThresholdSettings
from spatule.reading.labelled import LabelledTags, real_tags

_log = logging.getLogger("spatule")

__all__ = ["LabelledTags", "ReaderFiles", "ReaderSettings", "ThresholdSettings", "code_reader", "glyph_set",
           "read_threshold", "self_train_reader", "train_reader"]


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
class ReaderFiles:
    """A trained reader: its folder (``reader.npz``, ``reader.json``), the registry it reads against (none:
    readings are taken as read), the glyph sheet its codes are drawn with (none: the demo's font) and the
    threads TensorFlow may use where it reads (none: the caller's or TensorFlow's choice)."""

    folder: Path
    registry: Path | None = None
    glyph_sheet: Path | None = None
    threads: int | None = None

    def load(self, threads: int | None = None, log: logging.Logger = _log) -> Any:
        """:func:`code_reader` of this folder and registry (``threads``, else the record's)."""
        return code_reader(self.folder, self.registry, self.threads if threads is None else threads, log)


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
    frame_epochs: int = 3
    """Epochs teaching where each glyph lies, before ``epochs`` under CTC."""

    @classmethod
    def of(cls, read: Mapping[str, Any]) -> ReaderSettings:
        """From the config's ``read`` section."""
        return cls(str(read["alphabet"]), int(read["code_length"]), int(read["crops"]), int(read["epochs"]),
                   int(read["seed"]), int(read["real_views"]), int(read["real_epochs"]), int(read["frame_epochs"]))


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
    model, metrics = fit_reader(glyphs, settings.crops, max(200, settings.crops // 16), settings.epochs,
                                settings.seed, settings.code_length, log, real=train,
                                real_views=settings.real_views, real_epochs=settings.real_epochs,
                                workers=max(1, threads or 1), frame_epochs=settings.frame_epochs)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model.get_weights(), out_dir / READER_FILE)
    source = Path(glyphs.source).name  # not the absolute path: the same bytes on every install
    info = {**metrics, "crops": settings.crops, "seed": settings.seed, "turned": glyph_turns(glyphs),
            "trained_on": sorted(t.name for t in train)}
    write_reader_info(out_dir, settings.alphabet, settings.code_length, source, info)
    rendered_sheet(glyphs, settings.code_length, settings.seed, out_dir / "rendered.jpg", source)
    upward, _ = way_round(model, every, settings.alphabet)
    real_vs_rendered_sheet(every, upward, where, glyphs, settings.code_length, settings.seed,
                           out_dir / "real_vs_rendered.jpg")
    return info


def self_train_reader(settings: ReaderSettings, base: ReaderFiles, jobs: Sequence[tuple[Path, Path]],
                      out_dir: Path, labelled: LabelledTags | None = None, threads: int | None = None,
                      log: logging.Logger = _log) -> dict[str, Any]:
    """Self-training (``read.self_train``): the reader of ``base`` goes on learning from the tags ``detect``
    read with confidence in ``jobs`` (``(detections.csv, crops folder)`` of each detect job; above the
    threshold chosen on validation, with the margin) as if they were labelled, with the train split's
    labelled tags and new rendered crops; written to ``out_dir`` as a reader folder."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import ACCEPTANCE_FILE, READER_FILE, read_acceptance, reader_info, write_reader_info
    from spatule.reading.labelled import pseudo_labelled
    from spatule.reading.train import rendered_accuracy, rendered_set, second_round
    from spatule.reading.weights import save_weights
    from spatule.tables import read_csv

    configure_tensorflow(threads, log)
    glyphs = glyph_set(settings.alphabet, base.glyph_sheet)
    reader = base.load(threads, log)
    held_out = frozenset(r["identity"] for r in read_csv(labelled.identities_csv)
                         if r["split"] != "train") if labelled else frozenset()
    pseudo = pseudo_labelled(jobs, read_acceptance(base.folder / ACCEPTANCE_FILE), held_out)
    train, _ = real_tags(labelled, settings.alphabet, settings.code_length, ("train",)) if labelled else ([], [])
    tags = train + pseudo
    log.info("self-training: %d detected tag(s) read with confidence (none as one of the %d val and test "
             "birds), %d labelled tag(s) of the train split", len(pseudo), len(held_out), len(train))
    info = {**reader_info(base.folder), "self_trained_on": len(pseudo)}
    workers = max(1, threads or 1)
    if tags:
        info.update(second_round(reader.model, glyphs, tags, settings.real_views, settings.real_epochs,
                                 settings.seed + 10, max(1, settings.crops // 4), settings.code_length, workers, log))
    held = rendered_set(glyphs, max(200, settings.crops // 16), settings.seed + 1, settings.code_length, workers)
    info.update(rendered_accuracy(reader.model, held.x, held.codes, glyphs.alphabet, settings.code_length))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(reader.model.get_weights(), out_dir / READER_FILE)
    write_reader_info(out_dir, settings.alphabet, settings.code_length, str(info.pop("glyphs", "")),
                      {k: v for k, v in info.items() if k not in ("alphabet", "code_length")})
    return info


def read_threshold(labelled: LabelledTags, reader_files: ReaderFiles, settings: ThresholdSettings, out_json: Path,
                   threads: int | None = None, log: logging.Logger = _log) -> dict[str, Any]:
    """Choose when a reading is a bird (:mod:`spatule.reading.check`): the least threshold at which the
    accepted codes are right ``settings.target_accuracy`` of the time, both on the val split's tags whose identity is
    a code and on :data:`~spatule.reading.check.RENDERED_CHECK` rendered crops read against the registry, half
    of them of its birds and half of birds off it (the higher of the two; ``settings.threshold``: ``read.threshold``
    set, taken as it is), with ``settings.margin``; written to ``out_json`` with the figures behind it. The
    test split is never read here."""
    from spatule.reading.check import chosen_acceptance, past_margin, rendered_check
    from spatule.reading.codes import write_acceptance
    from spatule.reading.evaluation import choose_threshold, coverage_curve, set_figures
    from spatule.reading.labelled import coded_tags, read_tags, readable

    reader = reader_files.load(threads, log)
    tags = readable(coded_tags(labelled, reader.alphabet, reader.code_length, ("val",)))
    reads = read_tags(reader, tags, labelled.crops_dir)
    passing = past_margin(tags, reads, settings.margin)
    drawn = rendered_check(reader, glyph_set(reader.alphabet, reader_files.glyph_sheet), settings.margin,
                           seed=settings.seed)
    on_drawn = choose_threshold(drawn.scored, settings.target_accuracy)
    on_val = choose_threshold(passing, settings.target_accuracy) if passing else (
        0.0, "no validation tag passes the margin" if tags else "no validation tag with a code")
    acceptance = chosen_acceptance(settings, on_val, on_drawn)
    figures = set_figures([(t["identity"], acceptance.of_read(r)) for t, r in zip(tags, reads)])
    write_acceptance(out_json, acceptance, {
        "target_accuracy": settings.target_accuracy, "val": figures, "val_curve": coverage_curve(passing),
        "on_val": on_val[0], "on_rendered": on_drawn[0], "rendered": drawn.figures(acceptance.threshold)})
    log.info("reading threshold %.4g (%s), margin %g: on %d validation tag(s), %d accepted, %d wrong",
             acceptance.threshold, acceptance.source, settings.margin, figures["n"], figures["accepted"],
             figures["wrong"])
    if not tags:
        log.warning("no validation tag has a code: the threshold is chosen on rendered crops alone; name the birds "
                    "(identities CSV or tag:CODE) to have your own tags choose it too")
    return {"threshold": acceptance.threshold, "margin": settings.margin, "source": acceptance.source,
            "val": figures}
