"""Rules ``train_reader``, ``self_train_reader`` and ``read_threshold``: the code reader trained on rendered
crops and the train split's tags, its threshold chosen on the val split's (and on rendered crops)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from spatule.problems import SpatuleError
from spatule.reading.registry import UNREAD

_log = logging.getLogger("spatule")

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
    frame_epochs: int = 3
    """Epochs teaching where each glyph lies, before ``epochs`` under CTC."""

    @classmethod
    def of(cls, read: Mapping[str, Any]) -> ReaderSettings:
        """From the config's ``read`` section."""
        return cls(str(read["alphabet"]), int(read["code_length"]), int(read["crops"]), int(read["epochs"]),
                   int(read["seed"]), int(read["real_views"]), int(read["real_epochs"]), int(read["frame_epochs"]))


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


def pseudo_labelled(jobs: Sequence[tuple[Path, Path]], acceptance: Any, held_out: frozenset[str] = frozenset()
                    ) -> list[Any]:
    """The detected tags of ``jobs`` (``(detections.csv, crops folder)`` of each detect job, read by the first
    reader) whose reading ``acceptance`` takes as a bird, but none read as a bird of ``held_out`` (the val and
    test splits' identities: they choose the threshold and measure the reader, so it never learns them): each
    crop with its box, labelled with that code."""
    import cv2

    from spatule.reading.train import RealTag
    from spatule.tables import read_csv

    out = []
    for detections, crops_dir in jobs:
        for row in read_csv(detections):
            code = acceptance.of(row["likeliest"], float(row["match_score"]), float(row["runner_up_score"]))
            if code == UNREAD or code in held_out:
                continue
            path = crops_dir / row["crop"]
            pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if pixels is None:
                raise SpatuleError(f"{path}: detection crop cannot be read (rerun its detect_job)")
            cx, cy = float(row["crop_x0"]), float(row["crop_y0"])
            box = tuple(int(round(float(row[k]) - o)) for k, o in (("x0", cx), ("y0", cy), ("x1", cx), ("y1", cy)))
            out.append(RealTag(pixels, box, code, f"{crops_dir.name}/{row['crop']}"))  # type: ignore[arg-type]
    return out


def self_train_reader(settings: ReaderSettings, glyph_sheet: Path | None, base_dir: Path, registry: Path | None,
                      jobs: Sequence[tuple[Path, Path]], out_dir: Path, labelled: LabelledTags | None = None,
                      threads: int | None = None, log: logging.Logger = _log) -> dict[str, Any]:
    """Self-training (``read.self_train``): the reader of ``base_dir`` goes on learning from the tags ``detect``
    read with confidence (above the threshold chosen on validation, with the margin) as if they were labelled,
    with the train split's labelled tags and new rendered crops; written to ``out_dir`` as a reader folder."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import ACCEPTANCE_FILE, READER_FILE, read_acceptance, reader_info, write_reader_info
    from spatule.reading.train import rendered_accuracy, rendered_set, second_round
    from spatule.reading.weights import save_weights
    from spatule.tables import read_csv

    configure_tensorflow(threads, log)
    glyphs = glyph_set(settings.alphabet, glyph_sheet)
    reader = code_reader(base_dir, registry, threads, log)
    held_out = frozenset(r["identity"] for r in read_csv(labelled.identities_csv)
                         if r["split"] != "train") if labelled else frozenset()
    pseudo = pseudo_labelled(jobs, read_acceptance(base_dir / ACCEPTANCE_FILE), held_out)
    train, _ = real_tags(labelled, settings.alphabet, settings.code_length, ("train",)) if labelled else ([], [])
    tags = train + pseudo
    log.info("self-training: %d detected tag(s) read with confidence (none as one of the %d val and test "
             "birds), %d labelled tag(s) of the train split", len(pseudo), len(held_out), len(train))
    info = {**reader_info(base_dir), "self_trained_on": len(pseudo)}
    if tags:
        info.update(second_round(reader.model, glyphs, tags, settings.real_views, settings.real_epochs,
                                 settings.seed + 10, max(1, settings.crops // 4), settings.code_length,
                                 max(1, threads or 1), log))
    held = rendered_set(glyphs, max(200, settings.crops // 16), settings.seed + 1, settings.code_length,
                        max(1, threads or 1))
    info.update(rendered_accuracy(reader.model, held.x, held.codes, glyphs.alphabet, settings.code_length))
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(reader.model.get_weights(), out_dir / READER_FILE)
    write_reader_info(out_dir, settings.alphabet, settings.code_length, str(info.pop("glyphs", "")),
                      {k: v for k, v in info.items() if k not in ("alphabet", "code_length")})
    return info


def readable(tags: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """The tags a person could read (not ``difficult``)."""
    return [t for t in tags if t["difficult"] != "1"]


RENDERED_CHECK = 1000
"""Rendered crops the reader never saw, read by rule read_threshold against the user's registry, half of
them of its birds and half of birds off it: with them a handful of labelled validation tags is not all that
chooses the threshold."""


SMALL_CODE_SPACE = 100_000
"""Alphabets and code lengths giving at most this many codes: the rendered check draws its codes off the
registry from all of them listed, not by drawing random codes and leaving out the registry's."""


def check_codes(registry: Sequence[str], alphabet: str, length: int, count: int, seed: int = 0
                ) -> tuple[list[str], int]:
    """The codes of the rendered check's ``count`` crops and how many of them (the first) are banded. With a
    ``registry``: half its codes, drawn with repeats (a season sees its birds again), and half codes off it,
    drawn uniformly from every other code (birds banded elsewhere, whose codes owe nothing to the
    registry's, which must stay unread); the check reads them against that registry alone, so that the
    threshold meets as many codes to mistake a tag for as ``detect`` will. A registry holding every code
    leaves only banded crops. Without a registry: random codes, none banded."""
    import itertools

    import numpy as np

    from spatule.reading.train import random_codes

    rng = np.random.default_rng([seed, 31])
    if not registry:
        return random_codes(rng, alphabet, count, length), 0
    own = sorted(set(registry))
    banded = [own[int(k)] for k in rng.integers(0, len(own), count // 2)]
    known, wanted = set(own), count - len(banded)
    if len(alphabet) ** length <= SMALL_CODE_SPACE:
        free = [c for c in map("".join, itertools.product(alphabet, repeat=length)) if c not in known]
        others = [free[int(k)] for k in rng.integers(0, len(free), wanted)] if free else []
        return banded + others, len(banded)
    # a registry is far smaller than a code space this large: drawing and leaving its codes out fills the half
    others = [c for c in random_codes(rng, alphabet, 4 * count, length) if c not in known]
    return banded + others[:wanted], len(banded)


@dataclass(frozen=True)
class RenderedCheck:
    """What the rendered check read: ``(match score, right)`` of each crop whose reading passes the margin
    (``scored``), whether each of those shows a registry bird (``of_registry``), and how many crops were
    drawn (``crops``), of them ``banded``."""

    scored: list[tuple[float, bool]]
    of_registry: list[bool]
    crops: int
    banded: int

    def figures(self, threshold: float) -> dict[str, int]:
        """The crops drawn, banded, past the margin, accepted at ``threshold``, right, and the wrong ones
        split: a registry bird taken for another, or a bird off the registry taken for one on it."""
        taken = [(ok, own) for (score, ok), own in zip(self.scored, self.of_registry) if score >= threshold]
        return {"crops": self.crops, "banded": self.banded, "past_margin": len(self.scored), "accepted": len(taken),
                "right": sum(ok for ok, _ in taken), "wrong_registry_bird": sum(own and not ok for ok, own in taken),
                "wrong_off_registry": sum(not own and not ok for ok, own in taken)}


def rendered_check(reader: Any, glyph_sheet: Path | None, margin: float, count: int = RENDERED_CHECK,
                   seed: int = 0) -> RenderedCheck:
    """Read ``count`` rendered crops (:func:`check_codes`) against the reader's registry as ``detect`` reads,
    keeping those whose reading passes ``margin``. Without a registry, each crop's surer reading as read (its
    own probability), as ``detect`` takes it then."""
    import numpy as np

    from spatule.reading.render import render_reading_crop

    glyphs = glyph_set(reader.alphabet, glyph_sheet)
    codes, banded = check_codes(reader.codes, reader.alphabet, reader.code_length, count, seed)
    crops = [render_reading_crop(code, glyphs, np.random.default_rng([seed, 32, k])) for k, code in enumerate(codes)]
    reads = reader.read([c.pixels for c in crops], [c.box for c in crops])
    if not reader.codes:  # no registry: the surer reading as read, its own probability, as detect takes it
        kept = [k for k, r in enumerate(reads) if r.likeliest]
    else:
        kept = [k for k, r in enumerate(reads) if r.match(0.0, margin) != UNREAD]
    return RenderedCheck([(reads[k].match_score, reads[k].likeliest == codes[k]) for k in kept],
                         [k < banded for k in kept], len(codes), banded)


def read_threshold(labelled: LabelledTags, reader_dir: Path, registry: Path | None, fixed: float | None,
                   target: float, margin: float, out_json: Path, glyph_sheet: Path | None = None,
                   seed: int = 0, threads: int | None = None, log: logging.Logger = _log) -> dict[str, Any]:
    """Choose when a reading is a bird: the least threshold at which the accepted codes are right ``target``
    of the time, both on the val split's tags whose identity is a code and on :data:`RENDERED_CHECK`
    rendered crops read against the registry, half of them of its birds and half of birds off it
    (:func:`check_codes`; the higher of the two; ``fixed``: ``read.threshold``
    set, taken as it is), with ``margin``; written to ``out_json`` with the figures behind it. The test
    split is never read here."""
    from spatule.reading.codes import Acceptance, write_acceptance
    from spatule.reading.evaluation import choose_threshold, coverage_curve, set_figures

    reader = code_reader(reader_dir, registry, threads, log)
    tags = readable(coded_tags(labelled.tags_csv, labelled.identities_csv, reader.alphabet, reader.code_length,
                               ("val",)))
    reads = read_tags(reader, tags, labelled.crops_dir)
    passing = [(r.match_score, r.likeliest == t["identity"]) for t, r in zip(tags, reads)
               if r.match(0.0, margin) != UNREAD]
    drawn = rendered_check(reader, glyph_sheet, margin, seed=seed)
    on_drawn, why_drawn = choose_threshold(drawn.scored, target)
    on_val, why_val = choose_threshold(passing, target) if passing else (
        0.0, "no validation tag passes the margin" if tags else "no validation tag with a code")
    if fixed is not None:
        threshold, source = float(fixed), "read.threshold (set in the config)"
    elif on_val >= on_drawn:
        threshold, source = on_val, f"the val split's tags ({why_val})"
    else:
        threshold, source = on_drawn, f"rendered crops ({why_drawn}), above the val split's {on_val:.4g}"
    acceptance = Acceptance(threshold, margin, source)
    figures = set_figures([(t["identity"], acceptance.of(r.likeliest, r.match_score, r.runner_up_score))
                           for t, r in zip(tags, reads)])
    write_acceptance(out_json, acceptance, {
        "target_accuracy": target, "val": figures, "val_curve": coverage_curve(passing),
        "on_val": on_val, "on_rendered": on_drawn,
        "rendered": drawn.figures(threshold)})
    log.info("reading threshold %.4g (%s), margin %g: on %d validation tag(s), %d accepted, %d wrong", threshold,
             source, margin, figures["n"], figures["accepted"], figures["wrong"])
    if not tags:
        log.warning("no validation tag has a code: the threshold is chosen on rendered crops alone; name the birds "
                    "(identities CSV or tag:CODE) to have your own tags choose it too")
    return {"threshold": threshold, "margin": margin, "source": source, "val": figures}
