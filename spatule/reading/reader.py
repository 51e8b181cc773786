"""The code reader: a small Keras network reading the 4 glyphs of a rectified crop, one softmax per
position, and the reading of a detection crop in both directions.

A code runs bottom-to-top or top-to-bottom along the leg; :func:`read_crop` rectifies the crop both
ways (:func:`spatule.reading.render.rectify`) and keeps the direction the network is surer of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from spatule.reading.render import READ_SIZE, rectify


@dataclass(frozen=True)
class Reading:
    """What the reader makes of a crop: the likeliest code, its probability (the product of the
    positions'), the direction, and every position's probabilities over the alphabet."""

    code: str
    score: float
    upward: bool
    probabilities: np.ndarray


def reader_model(alphabet_size: int, code_length: int = 4, seed: int = 0) -> Any:
    """The network: four conv blocks over the ``READ_SIZE`` grey crop, one dense layer, a softmax over
    the alphabet for each position."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    width, height = READ_SIZE
    inputs = keras.Input((height, width, 1))
    x = inputs
    for filters in (32, 64, 96, 128):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D((2, 2) if filters < 128 else (2, 1))(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(256, activation="relu")(x)
    outputs = [layers.Dense(alphabet_size, activation="softmax", name=f"glyph{k}")(x) for k in range(code_length)]
    return keras.Model(inputs, outputs)


def predict(model: Any, crops: np.ndarray, batch: int = 256) -> np.ndarray:
    """Probabilities ``[N, code_length, alphabet]`` for rectified crops ``[N, h, w]`` in [0, 1]."""
    out = model.predict(crops[..., None], batch_size=batch, verbose=0)
    return np.stack([np.asarray(o) for o in out], axis=1)


def best_reading(probabilities: np.ndarray, alphabet: str, upward: bool) -> Reading:
    """The likeliest code of one crop's position probabilities ``[code_length, alphabet]``."""
    picks = probabilities.argmax(axis=1)
    score = float(np.prod(probabilities.max(axis=1)))
    return Reading("".join(alphabet[int(i)] for i in picks), score, upward, probabilities)


def read_crops(model: Any, crops: Sequence[np.ndarray], alphabet: str) -> list[Reading]:
    """Read detection crops (BGR), each in both directions; the surer direction wins."""
    if not crops:
        return []
    both = np.stack([rectify(c, up) for c in crops for up in (True, False)])
    probs = predict(model, both)
    out = []
    for k in range(len(crops)):
        up, down = best_reading(probs[2 * k], alphabet, True), best_reading(probs[2 * k + 1], alphabet, False)
        out.append(up if up.score >= down.score else down)
    return out
