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


def rendered_set(glyphs: GlyphSet, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``count`` rendered crops, rectified the right way round: ``[N, h, w]`` float32, the glyph indices
    ``[N, 4]`` and the codes."""
    rng = np.random.default_rng(seed)
    codes = random_codes(rng, glyphs.alphabet, count)
    crops = []
    for code in codes:
        crop = render_reading_crop(code, glyphs, rng)
        crops.append(rectify(crop.pixels, crop.upward, crop.box))
    labels = np.array([[glyphs.alphabet.index(c) for c in code] for code in codes], np.int64)
    return np.stack(crops), labels, codes


def train_reader(glyphs: GlyphSet, train: int, val: int, epochs: int, seed: int = 0,
                 log: logging.Logger = _log) -> tuple[Any, dict[str, float]]:
    """A reader trained on ``train`` rendered crops, measured on ``val`` others: the model and its
    exact-code accuracy on them."""
    import keras

    from spatule.reading.reader import ctc_loss, greedy, reader_model, softmax

    x_train, y_train, _ = rendered_set(glyphs, train, seed)
    x_val, _, codes = rendered_set(glyphs, val, seed + 1)
    model = reader_model(len(glyphs.alphabet), seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=ctc_loss(y_train.shape[1]))
    model.fit(x_train[..., None], y_train + 1, batch_size=64, epochs=epochs, verbose=2, shuffle=True)
    probs = softmax(np.asarray(model.predict(x_val[..., None], verbose=0)))
    exact = float(np.mean([greedy(p, glyphs.alphabet, True).code == code for p, code in zip(probs, codes)]))
    log.info("reader: %d rendered crops, %d epochs; exact code on %d others: %.3f", train, epochs, val, exact)
    return model, {"exact": exact}
