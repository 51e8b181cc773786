"""The code reader: a small CRNN (convolutions, a bidirectional GRU) over the rectified crop, trained
with CTC, so it needs no position of each glyph.

A code runs bottom-to-top or top-to-bottom along the leg; :func:`step_probabilities` rectifies each
tag both ways (:func:`spatule.reading.render.rectify`) and :mod:`spatule.reading.codes` decides which
way it reads. (A 4-head classifier, one softmax per glyph position, learnt nothing on these crops.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from spatule.code_space import CODE_LENGTH
from spatule.reading.render import READ_SIZE, rectify

STEPS = READ_SIZE[0] // 8
"""Time steps of the CTC output: one per 8 columns of the rectified crop (twice the steps a code of 4
glyphs with a doubled one needs; with 24 steps the CTC took twice as long to start learning)."""


@dataclass(frozen=True)
class Reading:
    """What the reader makes of a crop: the greedy code, its probability (the product of the chosen
    steps' probabilities), the direction, and the per-step probabilities (blank first)."""

    code: str
    score: float
    upward: bool
    probabilities: np.ndarray


FILTERS = (16, 32, 64, 64)
"""Filters of the four conv blocks (the reader's training is budgeted at a few CPU minutes)."""


def reader_model(alphabet_size: int, seed: int = 0) -> Any:
    """The network: four conv blocks of :data:`FILTERS` (height 64 -> 4, width 96 -> 12 steps), a dense
    layer, a bidirectional GRU, logits over blank + the alphabet at each step."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    width, height = READ_SIZE
    inputs = keras.Input((height, width, 1))
    x = inputs
    for count, pool in zip(FILTERS, ((2, 2), (2, 2), (2, 2), (2, 1))):
        x = layers.Conv2D(count, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(pool)(x)
    x = layers.Reshape((STEPS, -1))(layers.Permute((2, 1, 3))(x))
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Bidirectional(layers.GRU(64, return_sequences=True))(x)
    return keras.Model(inputs, layers.Dense(alphabet_size + 1)(x))


def ctc_loss(code_length: int = CODE_LENGTH):
    """CTC loss for labels ``[N, code_length]`` of glyph index + 1 (0 is the blank)."""
    from keras import ops

    def loss(y_true: Any, y_pred: Any) -> Any:
        n = ops.shape(y_pred)[0]
        return ops.ctc_loss(ops.cast(y_true, "int32"), y_pred, ops.full((n,), code_length, "int32"),
                            ops.full((n,), STEPS, "int32"), mask_index=0)

    return loss


def greedy(probabilities: np.ndarray, alphabet: str, upward: bool) -> Reading:
    """The greedy CTC reading of one crop's step probabilities ``[STEPS, 1 + alphabet]``."""
    best = probabilities.argmax(axis=1)
    chars, previous = [], 0
    for k in best:
        if k != previous and k != 0:
            chars.append(alphabet[int(k) - 1])
        previous = int(k)
    return Reading("".join(chars), float(np.prod(probabilities.max(axis=1))), upward, probabilities)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def step_probabilities(model: Any, crops: Sequence[np.ndarray],
                       boxes: Sequence[tuple[int, int, int, int]]) -> np.ndarray:
    """The reader's step probabilities for each crop (BGR, the tag's box in it) read both ways:
    ``[N, 2, STEPS, 1 + alphabet]``, bottom-to-top first."""
    if not crops:
        return np.zeros((0, 2, STEPS, 1))
    both = np.stack([rectify(c, up, b) for c, b in zip(crops, boxes) for up in (True, False)])
    probs = softmax(np.asarray(model(both[..., None], training=False)))
    return probs.reshape(len(crops), 2, *probs.shape[1:])
