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
    exact-code and per-glyph accuracy on them."""
    from spatule.reading.reader import predict, reader_model

    x_train, y_train, _ = rendered_set(glyphs, train, seed)
    x_val, y_val, _ = rendered_set(glyphs, val, seed + 1)
    model = reader_model(len(glyphs.alphabet), y_train.shape[1], seed)
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy"] * y_train.shape[1])
    model.fit(x_train[..., None], [y_train[:, k] for k in range(y_train.shape[1])], batch_size=64, epochs=epochs,
              verbose=2, shuffle=True)
    picks = predict(model, x_val).argmax(axis=2)
    figures = {"exact": float((picks == y_val).all(axis=1).mean()), "glyph": float((picks == y_val).mean())}
    log.info("reader: %d rendered crops, %d epochs; on %d others: exact code %.3f, glyph %.3f", train, epochs, val,
             figures["exact"], figures["glyph"])
    return model, figures
