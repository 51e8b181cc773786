"""Reading detected tags: the trained reader with its alphabet, the registry and the threshold, from
crops to ``code, code_score, registry_match, match_score``.

``code`` is what the reader sees (its greedy CTC reading, possibly not a bird of the registry) and
``code_score`` the probability it gives that reading; ``registry_match`` is the registry code the
tag is taken to be (:func:`~spatule.reading.registry.match_registry`) or ``unread``, and
``match_score`` the reader's probability of exactly that code. Without a registry, the reading
itself is accepted above the threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from spatule.problems import SpatuleError
from spatule.reading.registry import UNREAD, ctc_code_probabilities, ctc_probability

READING_COLUMNS = ["code", "code_score", "registry_match", "match_score"]
"""Columns a reading adds to a detection row."""

READER_FILE, READER_INFO = "reader.npz", "reader.json"
"""The trained reader's weights and what it reads (alphabet, glyph source), in the reader folder."""


@dataclass(frozen=True)
class CodeRead:
    """One tag's reading (see the module docstring)."""

    code: str
    code_score: float
    registry_match: str
    match_score: float
    upward: bool
    best: str
    """The code the tag would be taken to be at threshold 0 (``registry_match`` before the threshold)."""

    def row(self) -> list[object]:
        return [self.code, round(self.code_score, 4), self.registry_match, round(self.match_score, 4)]


@dataclass(frozen=True)
class CodeReader:
    """A loaded reader: its Keras model, alphabet, the registry's codes (empty: none) and the threshold."""

    model: Any
    alphabet: str
    codes: tuple[str, ...]
    threshold: float

    def read(self, crops: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]],
             batch: int = 256) -> list[CodeRead]:
        """Read detection crops (BGR; ``boxes``: the tag's box in each crop). Each is read both ways; with a
        registry, the direction and code are those of the likeliest registry code (a code read the wrong
        way round is unlike any), else the surer greedy reading."""
        from spatule.reading.reader import greedy, step_probabilities

        out: list[CodeRead] = []
        for start in range(0, len(crops), batch):
            steps = step_probabilities(self.model, crops[start: start + batch], boxes[start: start + batch])
            out += [self._read(both, greedy) for both in steps]
        return out

    def _read(self, both: np.ndarray, greedy: Any) -> CodeRead:
        readings = [greedy(both[0], self.alphabet, True), greedy(both[1], self.alphabet, False)]
        if self.codes:
            scores = np.stack([ctc_code_probabilities(p, self.alphabet, self.codes) for p in both])
            way, best = np.unravel_index(int(scores.argmax()), scores.shape)
            match, score = self.codes[best], float(scores[way, best])
            reading = readings[way]
        else:
            reading = max(readings, key=lambda r: r.score)
            match, score = reading.code, self._own(reading)
        own = self._own(reading)
        accepted = bool(match) and score >= self.threshold
        return CodeRead(reading.code, own, match if accepted else UNREAD, score, reading.upward, match)

    def _own(self, reading: Any) -> float:
        """The reader's CTC probability of its own greedy reading."""
        if not reading.code:
            return 0.0
        return float(ctc_probability(reading.probabilities, [self.alphabet.index(c) + 1 for c in reading.code]))


def write_reader_info(folder: Path, alphabet: str, source: str, metrics: dict[str, float]) -> None:
    """``reader.json`` beside the weights: the alphabet (in the network's class order) and the glyph source."""
    (folder / READER_INFO).write_text(json.dumps({"alphabet": alphabet, "glyphs": source, **metrics},
                                                 indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_code_reader(folder: Path, codes: Sequence[str], threshold: float) -> CodeReader:
    """The reader in ``folder`` (``reader.npz`` + ``reader.json``) with the registry's ``codes``; a
    :class:`SpatuleError` names a missing file or codes with glyphs the reader does not know."""
    from spatule.reading.reader import reader_model
    from spatule.reading.weights import load_weights, set_weights

    weights, info = folder / READER_FILE, folder / READER_INFO
    for path in (weights, info):
        if not path.is_file():
            raise SpatuleError(f"{path}: the trained reader is missing (rule train_reader writes it)")
    alphabet = str(json.loads(info.read_text(encoding="utf-8"))["alphabet"])
    unknown = sorted({c for code in codes for c in code if c not in alphabet})
    if unknown:
        raise SpatuleError(f"{info}: the reader was trained on {alphabet}; the registry also uses {unknown}")
    model = reader_model(len(alphabet))
    set_weights(model, load_weights(weights), weights)
    return CodeReader(model, alphabet, tuple(codes), float(threshold))
