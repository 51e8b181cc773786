"""Training the code reader: rendered crops of the band model (:mod:`spatule.reading.render`), and the
biologist's own labelled tags of the train split when their identities are codes.

Training runs in two rounds. The first learns from rendered crops alone. Real crops carry their code but
not which way round it reads; the first round's reader tells (the way round that gives the code the
higher probability), then the second round goes on from the first round's weights with the real crops,
each shown many times with its box a little off and the light, focus and JPEG changed, mixed with
newly rendered crops. Without real crops there is one round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np

from spatule.code_space import CODE_LENGTH, random_codes
from spatule.reading.glyphs import GlyphSet
from spatule.reading.render import (BOX_JITTER, ReadingCrop, camera, jittered, rectify, render_reading_crop,
                                    turned_round)

_log = logging.getLogger("spatule")


def frame_labels(centres: Sequence[float], code: str, alphabet: str, steps: int) -> np.ndarray | None:
    """The reader's output step by step for a crop whose glyph centres fall at ``centres`` across its input:
    each glyph (its index + 1) at the step under its centre, blank (0) elsewhere, as a CTC reader learns to
    answer; ``None`` when two glyphs fall in one step, one falls outside, or a glyph falls in the step right
    after the same glyph (CTC would read the two as one: a doubled glyph needs a blank between)."""
    labels = np.zeros(steps, np.int64)
    for char, centre in zip(code, centres):
        step = int(np.floor(centre * steps))
        label = alphabet.index(char) + 1
        if not 0 <= step < steps or labels[step] or (step and labels[step - 1] == label) \
                or (step + 1 < steps and labels[step + 1] == label):
            return None
        labels[step] = label
    return labels if len(centres) == len(code) else None


def _render_one(job: tuple[GlyphSet, str, int, int]) -> tuple[np.ndarray, tuple[float, ...]]:
    glyphs, code, seed, index = job
    crop = render_reading_crop(code, glyphs, np.random.default_rng([seed, index]))
    return rectify(crop.pixels, crop.upward, crop.box), crop.centres


@dataclass(frozen=True)
class RenderedSet:
    """Rendered crops rectified the right way round (``[N, h, w]`` float32), their codes' glyph indices
    (``[N, length]``), the codes, and the step-by-step labels (``[N, STEPS]``) with which crops have them."""

    x: np.ndarray
    y: np.ndarray
    codes: list[str]
    frames: np.ndarray
    framed: np.ndarray


def rendered_set(glyphs: GlyphSet, count: int, seed: int, length: int = CODE_LENGTH, workers: int = 1) -> RenderedSet:
    """``count`` rendered crops (:class:`RenderedSet`). Crop ``k`` is drawn from its own seed ``[seed, k]``,
    so the set is the same whatever ``workers`` (processes) render it."""
    from spatule.reading.reader import STEPS

    codes = random_codes(np.random.default_rng([seed, 7]), glyphs.alphabet, count, length)
    jobs = [(glyphs, code, seed, k) for k, code in enumerate(codes)]
    from spatule.pools import map_in_processes

    drawn = map_in_processes(_render_one, jobs, workers if count >= 64 else 1, chunksize=64)
    frames = [frame_labels(centres, code, glyphs.alphabet, STEPS) for (_, centres), code in zip(drawn, codes)]
    return RenderedSet(
        np.stack([x for x, _ in drawn]) if drawn else np.zeros((0, 1, 1), np.float32),
        np.array([[glyphs.alphabet.index(c) for c in code] for code in codes], np.int64).reshape(-1, length),
        codes, np.stack([f if f is not None else np.zeros(STEPS, np.int64) for f in frames]).reshape(-1, STEPS),
        np.array([f is not None for f in frames], bool))


@dataclass(frozen=True)
class RealTag:
    """A labelled tag whose identity is a code: its crop (BGR, cut as ``detect`` cuts one), its box in the
    crop, its code, and its name (the tag's id)."""

    pixels: np.ndarray
    box: tuple[int, int, int, int]
    code: str
    name: str = ""


def augmented(tag: RealTag, rng: np.random.Generator) -> ReadingCrop:
    """One training view of a real tag, its way round unknown (``upward`` says whether it was turned round):
    turned a little, nearer or farther, the box a little off, another light, focus, noise and JPEG."""
    h, w = tag.pixels.shape[:2]
    x0, y0, x1, y1 = tag.box
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    scale = float(rng.uniform(0.5, 1.1))
    matrix = cv2.getRotationMatrix2D(centre, float(rng.uniform(-8, 8)), scale)
    size = (max(8, int(round(w * scale))), max(8, int(round(h * scale))))
    matrix[:, 2] += np.array(size) / 2 - np.array(centre)
    pixels = cv2.warpAffine(tag.pixels, matrix, size, flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT)
    corners = cv2.transform(np.array([[[x0, y0], [x1, y1]]], np.float32), matrix)[0]
    box = (int(corners[:, 0].min()), int(corners[:, 1].min()), int(corners[:, 0].max()), int(corners[:, 1].max()))
    box = jittered(box, rng, BOX_JITTER, size[0], size[1])
    pixels = camera(pixels, rng, light=True)
    turned = bool(rng.random() < 0.5)
    if turned:
        pixels, box = turned_round(pixels, box)
    return ReadingCrop(pixels, tag.code, turned, box)


def real_set(tags: Sequence[RealTag], upward: Sequence[bool], views: int, seed: int, alphabet: str,
             length: int = CODE_LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """``views`` augmented views of each real tag, rectified the right way round (``upward``: whether each
    tag's code reads bottom-to-top as labelled): ``[N, h, w]`` and the glyph indices."""
    crops, labels = [], []
    for k, (tag, up) in enumerate(zip(tags, upward)):
        rng = np.random.default_rng([seed, 1000 + k])
        for _ in range(views):
            view = augmented(tag, rng)
            crops.append(rectify(view.pixels, up != view.upward, view.box))
            labels.append([alphabet.index(c) for c in tag.code])
    if not crops:
        return np.zeros((0, 1, 1), np.float32), np.zeros((0, length), np.int64)
    return np.stack(crops), np.array(labels, np.int64)


def way_round(model: Any, tags: Sequence[RealTag], alphabet: str) -> tuple[list[bool], list[float]]:
    """Which way round each real tag's code reads (``True``: bottom-to-top) by the reader ``model``: the way
    that gives its code the higher probability; and that probability."""
    from spatule.reading.reader import step_probabilities
    from spatule.reading.registry import ctc_code_probabilities

    if not tags:
        return [], []
    steps = step_probabilities(model, [t.pixels for t in tags], [t.box for t in tags])
    ways, chances = [], []
    for tag, both in zip(tags, steps):
        p = ctc_code_probabilities(both, alphabet, [tag.code])[:, 0]  # [2]: bottom-to-top, top-to-bottom
        ways.append(bool(p[0] >= p[1]))
        chances.append(float(p.max()))
    return ways, chances


LEARNING_RATE, BATCH, EMA = 2e-3, 32, 0.995
"""Adam's first learning rate (it then falls along a cosine to a twentieth); crops a step; the momentum of
the moving average of the weights that training keeps (its weights are the reader's: steadier than the
last step's, which wander from epoch to epoch)."""


def _log_epochs(label: str, epochs: int, log: logging.Logger) -> Any:
    import keras

    return keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: log.info("%s: epoch %d/%d, loss %.3f", label, epoch + 1, epochs, logs["loss"]))


def _optimizer(learning_rate: float, steps: int) -> Any:
    import keras

    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(1, steps), alpha=0.05)
    return keras.optimizers.Adam(schedule, use_ema=True, ema_momentum=EMA)


def _fit_frames(model: Any, optimizer: Any, data: RenderedSet, epochs: int, log: logging.Logger, seed: int) -> None:
    """Teach the reader where glyphs are: each step's answer (a glyph or blank) under a cross-entropy,
    known for rendered crops. It skips the long start of CTC training, when the reader answers blank
    everywhere while it searches for where the glyphs lie (measured: 4 epochs of 8,000 crops)."""
    import keras

    x, frames = data.x[data.framed], data.frames[data.framed]
    model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    order = np.random.default_rng([seed, 5]).permutation(len(x))
    model.fit(x[order][..., None], frames[order], batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[_log_epochs("reader, where the glyphs are (rendered crops)", epochs, log)])


def _fit(model: Any, optimizer: Any, x: np.ndarray, y: np.ndarray, epochs: int, label: str, log: logging.Logger,
         seed: int) -> None:
    from spatule.reading.reader import ctc_loss

    model.compile(optimizer=optimizer, loss=ctc_loss(y.shape[1]))
    order = np.random.default_rng([seed, 3]).permutation(len(x))  # shuffled once here, the same every run
    model.fit(x[order][..., None], y[order] + 1, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[_log_epochs(label, epochs, log)])


def rendered_accuracy(model: Any, x: np.ndarray, codes: Sequence[str], alphabet: str, length: int = CODE_LENGTH
                      ) -> dict[str, float]:
    """Exact-code and per-glyph accuracy of the greedy reading (the right way round) of rectified crops."""
    from spatule.reading.evaluation import glyph_hits
    from spatule.reading.reader import greedy, softmax

    probs = softmax(np.asarray(model.predict(x[..., None], verbose=0)))
    reads = [greedy(p, alphabet, True).code for p in probs]
    right = sum(r == c for r, c in zip(reads, codes))
    return {"rendered_val": len(codes), "rendered_right": int(right),
            "rendered_exact": round(right / max(1, len(codes)), 4),
            "rendered_per_glyph": round(sum(glyph_hits(r, c) for r, c in zip(reads, codes))
                                        / max(1, length * len(codes)), 4)}


def fit_reader(glyphs: GlyphSet, train: int, val: int, epochs: int, seed: int = 0, length: int = CODE_LENGTH,
               log: logging.Logger = _log, real: Sequence[RealTag] = (), real_views: int = 24,
               real_epochs: int = 2, workers: int = 1, frame_epochs: int = 3) -> tuple[Any, dict[str, Any]]:
    """A reader trained on ``train`` rendered crops (``frame_epochs`` learning where glyphs are, then
    ``epochs`` under CTC; with ``real`` tags, a second round, :func:`second_round`), measured on ``val``
    other rendered crops: the model and what training measured."""
    from spatule.reading.reader import reader_model

    # no op determinism: on the CPU these kernels give the same weights run after run without it
    # (tests/test_reading.py), and it would cost about half as much time again
    data = rendered_set(glyphs, train, seed, length, workers)
    held = rendered_set(glyphs, val, seed + 1, length, workers)
    log.info("reader: %d training and %d validation crops rendered (%d with each glyph in a step of its own)",
             train, val, int(data.framed.sum()))
    model = reader_model(len(glyphs.alphabet), seed)
    optimizer = _optimizer(LEARNING_RATE, (frame_epochs * int(data.framed.sum()) + epochs * train) // BATCH)
    if frame_epochs:
        _fit_frames(model, optimizer, data, frame_epochs, log, seed)
    if epochs:
        _fit(model, optimizer, data.x, data.y, epochs, "reader, rendered crops (CTC)", log, seed)
    metrics: dict[str, Any] = {"rendered_crops": train, "frame_epochs": frame_epochs, "epochs": epochs,
                               "real_tags": len(real)}
    if real:
        metrics.update(second_round(model, glyphs, real, real_views, real_epochs, seed, max(1, train // 4), length,
                                    workers, log))
    metrics.update(rendered_accuracy(model, held.x, held.codes, glyphs.alphabet, length))
    log.info("reader: on %d other rendered crops, exact code %.3f, per glyph %.3f", val, metrics["rendered_exact"],
             metrics["rendered_per_glyph"])
    return model, metrics


SECOND_ROUND_VIEWS = 2000
"""At most this many views of tags in all in a second round (fewer of each tag when there are many)."""


def second_round(model: Any, glyphs: GlyphSet, tags: Sequence[RealTag], views: int, epochs: int, seed: int,
                 rendered: int, length: int = CODE_LENGTH, workers: int = 1, log: logging.Logger = _log
                 ) -> dict[str, Any]:
    """Go on training ``model`` on ``views`` augmented views of each tag of ``tags`` (labelled, or read with
    confidence in self-training; fewer when they would pass :data:`SECOND_ROUND_VIEWS`), each turned the
    way ``model`` reads its code, mixed with at least
    ``rendered`` new rendered crops (as many as the views, when more), for ``epochs`` at a quarter of the
    first round's learning rate."""
    views = max(1, min(views, SECOND_ROUND_VIEWS // max(1, len(tags))))
    upward, chances = way_round(model, tags, glyphs.alphabet)
    for tag, up, chance in zip(tags, upward, chances):
        log.info("tag %s (%s): reads %s (the reader gives its code %.3g)", tag.name, tag.code,
                  "bottom-to-top" if up else "top-to-bottom", chance)
    log.info("second round: %d tag(s), their code's probability before it: median %.3g", len(tags),
             float(np.median(chances)) if chances else 0.0)
    x_real, y_real = real_set(tags, upward, views, seed, glyphs.alphabet, length)
    more = rendered_set(glyphs, max(len(x_real), rendered), seed + 2, length, workers)
    log.info("reader, second round: %d views of %d tag(s) with %d new rendered crops", len(x_real), len(tags),
             len(more.x))
    optimizer = _optimizer(LEARNING_RATE / 4, epochs * (len(x_real) + len(more.x)) // BATCH)
    _fit(model, optimizer, np.concatenate([x_real, more.x]), np.concatenate([y_real, more.y]), epochs,
         "reader, tags and rendered crops (CTC)", log, seed + 1)
    return {"second_round_tags": len(tags), "second_round_views": int(len(x_real)), "second_round_epochs": epochs}
