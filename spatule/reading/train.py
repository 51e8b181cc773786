"""Training the code reader on rendered crops (no hand-read crop needed)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from spatule.reading.glyphs import GlyphSet
from spatule.reading.render import rectify, render_reading_crop

_log = logging.getLogger("spatule")


def random_codes(rng: np.random.Generator, alphabet: str, count: int, length: int = 4) -> list[str]:
    """``count`` random codes over ``alphabet``."""
    picks = rng.integers(0, len(alphabet), size=(count, length))
    return ["".join(alphabet[int(i)] for i in row) for row in picks]


def rendered_set(glyphs: GlyphSet, count: int, seed: int,
                 length: int = 4) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``count`` rendered crops, rectified the right way round: ``[N, h, w]`` float32, the glyph indices
    ``[N, length]`` and the codes."""
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, glyphs.alphabet, count, length)
    crops = []
    for code in codes:
        crop = render_reading_crop(code, glyphs, rng)
        crops.append(rectify(crop.pixels, crop.upward, crop.box))
    labels = np.array([[glyphs.alphabet.index(c) for c in code] for code in codes], np.int64)
    return np.stack(crops), labels, codes


LEARNING_RATE, BATCH = 1e-3, 64
"""Adam's learning rate; crops a step."""


def fit_reader(glyphs: GlyphSet, train: int, val: int, epochs: int, seed: int = 0, length: int = 4,
               log: logging.Logger = _log, learning_rate: float = LEARNING_RATE) -> tuple[Any, dict[str, float]]:
    """A reader trained on ``train`` rendered crops, measured on ``val`` others: the model, and its
    exact-code and per-glyph accuracy on them (greedy reading, the right way round)."""
    import keras

    from spatule.reading.evaluation import glyph_hits
    from spatule.reading.reader import ctc_loss, greedy, reader_model, softmax

    # no op determinism: on the CPU these kernels give the same weights run after run without it
    # (tests/test_reading.py), and it would cost about half as much time again
    x_train, y_train, _ = rendered_set(glyphs, train, seed, length)
    x_val, _, codes = rendered_set(glyphs, val, seed + 1, length)
    log.info("reader: %d training and %d validation crops rendered", train, val)
    model = reader_model(len(glyphs.alphabet), seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=ctc_loss(length))
    model.fit(x_train[..., None], y_train + 1, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[keras.callbacks.LambdaCallback(
                  on_epoch_end=lambda epoch, logs: log.info("epoch %d/%d: CTC loss %.3f", epoch + 1, epochs,
                                                            logs["loss"]))])
    probs = softmax(np.asarray(model.predict(x_val[..., None], verbose=0)))
    reads = [greedy(p, glyphs.alphabet, True).code for p in probs]
    exact = float(np.mean([r == c for r, c in zip(reads, codes)]))
    per_glyph = float(sum(glyph_hits(r, c) for r, c in zip(reads, codes)) / (length * len(codes)))
    log.info("reader: %d rendered crops, %d epochs; on %d others: exact code %.3f, per glyph %.3f", train, epochs,
             val, exact, per_glyph)
    return model, {"rendered_exact": round(exact, 4), "rendered_per_glyph": round(per_glyph, 4)}
