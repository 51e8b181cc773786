"""Reading detected tags: the trained reader and the registry, from crops to what each tag says.

Each crop is read both ways (:func:`spatule.reading.reader.step_probabilities`). ``code`` is what the
reader sees (its greedy CTC reading, possibly no bird of the registry) and ``code_score`` the
probability it gives exactly that reading. With a registry, every registry code gets the reader's
probability of exactly that code (:func:`spatule.reading.registry.ctc_code_probabilities`) read
either way: the likeliest is ``likeliest``, its probability ``match_score``, and the tag is that
bird (``registry_match``) when ``match_score`` reaches the threshold, else ``unread``. A code that
is not in the registry is never given. Without a registry, the reading itself is the candidate when
it has the code's length. The threshold is applied last (:meth:`CodeRead.match`), so changing it
needs no reading again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from spatule.problems import SpatuleError
from spatule.reading.registry import UNREAD, ctc_code_probabilities, ctc_probability, read_registry

JOB_READING_COLUMNS = ["code", "code_score", "likeliest", "match_score"]
"""Columns a reading adds to a detection row in a job's table (before the threshold)."""
READING_COLUMNS = ["code", "code_score", "registry_match", "match_score", "likeliest"]
"""Columns of a read detection in ``results/detect/detections.csv``."""

READER_FILE, READER_INFO = "reader.npz", "reader.json"
"""The trained reader's weights and what it reads (alphabet, code length, glyph source), in its folder."""


@dataclass(frozen=True)
class CodeRead:
    """One tag's reading (see the module docstring); ``likeliest`` is "" when there is no candidate."""

    code: str
    code_score: float
    likeliest: str
    match_score: float
    upward: bool

    def match(self, threshold: float) -> str:
        """The bird the tag is taken to be at ``threshold``, or ``unread``."""
        return self.likeliest if self.likeliest and self.match_score >= threshold else UNREAD

    def row(self) -> list[object]:
        """The :data:`JOB_READING_COLUMNS` values."""
        return [self.code, round(self.code_score, 4), self.likeliest, round(self.match_score, 4)]


def own_probability(reading: Any, alphabet: str) -> float:
    """The reader's CTC probability of its own greedy reading (0 for an empty one)."""
    if not reading.code:
        return 0.0
    return float(ctc_probability(reading.probabilities, [alphabet.index(c) + 1 for c in reading.code]))


def match_steps(both: np.ndarray, alphabet: str, codes: Sequence[str], code_length: int,
                scores: np.ndarray | None = None) -> CodeRead:
    """One crop's reading from its step probabilities both ways (``[2, STEPS, 1 + alphabet]``, bottom-to-top
    first). With ``codes``, the direction is that of the likeliest registry code when one is at all
    likely (a code read the wrong way round is unlike any); otherwise, and without a registry, the
    surer greedy reading's. ``scores``: the codes' probabilities both ways (``[2, codes]``), when
    already worked out for a batch."""
    from spatule.reading.reader import greedy

    readings = [greedy(both[0], alphabet, True), greedy(both[1], alphabet, False)]
    surer = max(readings, key=lambda r: r.score)
    if codes:
        scores = ctc_code_probabilities(both, alphabet, codes) if scores is None else scores
        way, best = np.unravel_index(int(scores.argmax()), scores.shape)
        reading = readings[int(way)] if scores[way, best] > 0 else surer
        return CodeRead(reading.code, own_probability(reading, alphabet), codes[int(best)],
                        float(scores[way, best]), reading.upward)
    own = own_probability(surer, alphabet)
    candidate = surer.code if len(surer.code) == code_length else ""
    return CodeRead(surer.code, own, candidate, own if candidate else 0.0, surer.upward)


@dataclass(frozen=True)
class CodeReader:
    """A loaded reader: its Keras model, alphabet, code length and the registry's codes (empty: none)."""

    model: Any
    alphabet: str
    code_length: int
    codes: tuple[str, ...]

    def read(self, crops: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]],
             batch: int = 256) -> list[CodeRead]:
        """Read detection crops (BGR; ``boxes``: the tag's box in each crop)."""
        from spatule.reading.reader import step_probabilities

        out: list[CodeRead] = []
        for start in range(0, len(crops), batch):
            steps = step_probabilities(self.model, crops[start: start + batch], boxes[start: start + batch])
            scores = ctc_code_probabilities(steps, self.alphabet, self.codes) if self.codes else None  # one pass
            out += [match_steps(both, self.alphabet, self.codes, self.code_length,
                                None if scores is None else scores[k]) for k, both in enumerate(steps)]
        return out


def write_reader_info(folder: Path, alphabet: str, code_length: int, source: str, metrics: dict[str, Any]) -> None:
    """``reader.json`` beside the weights: the alphabet (in the network's class order), the code length and
    the glyph source, with how training went."""
    info = {**metrics, "alphabet": alphabet, "code_length": code_length, "glyphs": source}
    (folder / READER_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def reader_info(folder: Path) -> dict[str, Any]:
    """``reader.json`` of a reader folder; a :class:`SpatuleError` names a missing or broken file."""
    weights, path = folder / READER_FILE, folder / READER_INFO
    for needed in (weights, path):
        if not needed.is_file():
            raise SpatuleError(f"{needed}: not found; a reader folder holds {READER_FILE} and {READER_INFO} "
                               "(rule train_reader writes them in results/reader)")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        alphabet, length = str(info["alphabet"]), int(info["code_length"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SpatuleError(f"{path}: not a reader's description ({exc!r}); rerun rule train_reader") from None
    if len(set(alphabet)) != len(alphabet) or length < 1:
        raise SpatuleError(f"{path}: alphabet {alphabet!r} with a repeated glyph, or code length {length}")
    return info


def load_code_reader(folder: Path, registry: Path | None) -> CodeReader:
    """The reader in ``folder`` with the codes of the ``registry`` CSV (none: readings are taken as read);
    a :class:`SpatuleError` names a missing or broken file, or a registry code it cannot read."""
    from spatule.reading.reader import reader_model
    from spatule.reading.weights import load_weights, set_weights

    info = reader_info(folder)
    alphabet, length = str(info["alphabet"]), int(info["code_length"])
    codes = tuple(b.code for b in read_registry(registry, alphabet, length)) if registry else ()
    model = reader_model(len(alphabet))
    set_weights(model, load_weights(folder / READER_FILE), folder / READER_FILE)
    return CodeReader(model, alphabet, length, codes)
