"""Reading detected tags: the trained reader and the registry, from crops to what each tag says.

Each crop is read both ways (:func:`spatule.reading.reader.step_probabilities`). ``code`` is what the
reader sees (its greedy CTC reading, possibly no bird of the registry) and ``code_score`` the
probability it gives exactly that reading. With a registry, every registry code gets the reader's
probability of exactly that code (:func:`spatule.reading.registry.ctc_code_probabilities`) read
either way: the likeliest is ``likeliest``, its probability ``match_score``; the likeliest other
code is the ``runner_up``, with its probability. The tag is that bird (``registry_match``) when
``match_score`` reaches the threshold **and** is at least the margin (``read.margin``) times the
runner-up's: codes the reader cannot tell apart (a 6 and a 9, a code that reads as another upside
down) stay ``unread``. A code that is not in the registry is never given. Without a registry, the reading itself
is the candidate when it has the code's length. The threshold and margin are applied last
(:meth:`Acceptance.of`, the one rule), so changing them needs no reading again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.problems import SpatuleError
from spatule.reading.registry import UNREAD, ctc_code_probabilities, ctc_probability, read_registry

JOB_READING_COLUMNS = ["code", "code_score", "likeliest", "match_score", "runner_up", "runner_up_score"]
"""Columns a reading adds to a detection row in a job's table (before the threshold)."""
READING_COLUMNS = ["code", "code_score", "registry_match", "match_score", "likeliest", "runner_up", "runner_up_score"]
"""Columns of a read detection in ``results/detect/detections.csv``."""

_log = logging.getLogger("spatule")

READER_FILE, READER_INFO, ACCEPTANCE_FILE = "reader.npz", "reader.json", "threshold.json"
"""The trained reader's weights, what it reads (alphabet, code length, glyph source), and when a reading
is accepted (the threshold chosen on validation tags, the margin), in its folder."""


@dataclass(frozen=True)
class CodeRead:
    """One tag's reading (see the module docstring); ``likeliest`` is "" when there is no candidate,
    ``runner_up`` "" when there is no other."""

    code: str
    code_score: float
    likeliest: str
    match_score: float
    upward: bool
    runner_up: str = ""
    runner_up_score: float = 0.0

    def match(self, threshold: float, margin: float = 1.0) -> str:
        """The bird the tag is taken to be at ``threshold`` and ``margin``, or ``unread``
        (:meth:`Acceptance.of`)."""
        return Acceptance(threshold, margin).of_read(self)

    def row(self) -> list[object]:
        """The :data:`JOB_READING_COLUMNS` values."""
        return [self.code, significant(self.code_score), self.likeliest, significant(self.match_score), self.runner_up,
                significant(self.runner_up_score)]


@dataclass(frozen=True)
class Acceptance:
    """When a reading is taken as a bird: its probability at least ``threshold`` and at least ``margin``
    times the runner-up's; ``source`` says where the threshold comes from."""

    threshold: float
    margin: float
    source: str = ""

    def of(self, likeliest: str, match_score: float, runner_up_score: float) -> str:
        """The likeliest code when its probability reaches the threshold and is at least the margin times the
        runner-up's, else ``unread``: the one rule, for a reading in memory (:meth:`of_read`), a row of a
        detections table (:meth:`of_row`) and everything that takes a reading as a bird."""
        if likeliest and match_score >= self.threshold and match_score >= self.margin * runner_up_score:
            return likeliest
        return UNREAD

    def of_read(self, read: CodeRead) -> str:
        """:meth:`of` a reading in memory."""
        return self.of(read.likeliest, read.match_score, read.runner_up_score)

    def of_row(self, row: Mapping[str, str]) -> str:
        """:meth:`of` a row of a job's or ``detect``'s detections table (:data:`JOB_READING_COLUMNS`)."""
        return self.of(row["likeliest"], float(row["match_score"]), float(row["runner_up_score"]))

    def passes_margin(self, read: CodeRead) -> bool:
        """Whether ``read`` is taken as a bird at a threshold of 0 (at this margin): the readings that a
        threshold chosen later may accept."""
        return replace(self, threshold=0.0).of_read(read) != UNREAD


def write_acceptance(path: Path, acceptance: Acceptance, figures: dict[str, Any]) -> None:
    """``threshold.json``: the acceptance and the validation figures behind it."""
    info = {**figures, "threshold": acceptance.threshold, "margin": acceptance.margin, "source": acceptance.source}
    path.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_acceptance(path: Path) -> Acceptance:
    """The :class:`Acceptance` of a ``threshold.json``; a :class:`SpatuleError` names a missing or broken file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return Acceptance(float(info["threshold"]), float(info["margin"]), str(info.get("source", "")))
    except OSError as exc:
        raise SpatuleError(f"{path}: cannot be read ({exc.strerror}); rule read_threshold writes it") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SpatuleError(f"{path}: not a reading threshold ({exc!r}); rerun rule read_threshold") from None


def significant(value: float, digits: int = 4) -> float:
    """``value`` to ``digits`` significant digits: probabilities span orders of magnitude, and the margin
    compares two of them as a ratio."""
    return float(f"{value:.{digits}g}")


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
        either = scores.max(axis=0)  # each code, the way round that suits it
        either[best] = -1.0
        second = int(either.argmax()) if len(codes) > 1 else -1
        return CodeRead(reading.code, own_probability(reading, alphabet), codes[int(best)],
                        float(scores[way, best]), reading.upward, codes[second] if second >= 0 else "",
                        float(either[second]) if second >= 0 else 0.0)
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
    views: tuple[tuple[float, float], ...] = ()
    """How each crop is read with a registry (empty: :data:`VIEWS`)."""
    turns: tuple[float, ...] = ()
    """... each view turned by these angles, degrees (empty: :data:`TURNS`)."""

    def read(self, crops: Sequence[np.ndarray], boxes: Sequence[tuple[int, int, int, int]]) -> list[CodeRead]:
        """Read detection crops (BGR; ``boxes``: the tag's box in each crop). With a registry, each crop is
        read through :data:`VIEWS` of its box, each turned by :data:`TURNS`; a code's probability is its
        mean over the views of the turn that suits it best: a detector's box is a little off, and no single
        cut of it is the right one; a band tilted far off the leg's line reads better turned back. Crops go
        through the network :data:`READ_BATCH` at a time."""
        from spatule.reading.reader import step_probabilities

        out: list[CodeRead] = []
        views = (self.views or VIEWS) if self.codes else VIEWS[:1]
        turns = (self.turns or TURNS) if self.codes else TURNS[:1]
        for start in range(0, len(crops), READ_BATCH):
            these, where = crops[start: start + READ_BATCH], boxes[start: start + READ_BATCH]
            seen = [(turned(crop, box, angle), viewed(box, view, crop.shape[1], crop.shape[0]))
                    for crop, box in zip(these, where) for angle in turns for view in views]
            steps = step_probabilities(self.model, [c for c, _ in seen], [b for _, b in seen])
            steps = steps.reshape(len(these), len(turns), len(views), *steps.shape[1:])
            scores = None
            if self.codes:  # one pass over the registry for the batch, the mean over the views, the best turn
                scores = ctc_code_probabilities(steps, self.alphabet, self.codes).mean(axis=2).max(axis=1)
            out += [match_steps(both[0, 0], self.alphabet, self.codes, self.code_length,
                                None if scores is None else scores[k]) for k, both in enumerate(steps)]
        return out


READ_BATCH = 32
"""Crops read at a time (each through every view and turn)."""

TURNS = (0.0, -12.0, 12.0)
"""The angles (degrees) each view of a crop is also read at, turned round its box's centre: bands sit askew
on the leg, up to 35 degrees, and the reader reads a code best near its own line."""


def turned(crop: np.ndarray, box: tuple[int, int, int, int], angle: float) -> np.ndarray:
    """``crop`` turned by ``angle`` degrees (counter-clockwise) round the centre of ``box``, its size kept,
    the edges mirrored in."""
    if not angle:
        return crop
    import cv2

    centre = ((box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
    return cv2.warpAffine(crop, matrix, (crop.shape[1], crop.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)


VIEWS = ((0.0, 0.0), (0.08, 0.0), (-0.05, 0.0), (0.0, 0.06), (0.0, -0.06))
"""How each crop is read with a registry: its box as found, grown by 8% of its size on each side, shrunk by
5%, and moved 6% of its height up and down (along the leg). ``bench/read_views.py`` measures what the five
views buy against the box alone."""


def viewed(box: tuple[int, int, int, int], view: tuple[float, float], width: int, height: int
           ) -> tuple[int, int, int, int]:
    """``box`` grown by ``view[0]`` of its size on each side (shrunk when negative) and moved down by
    ``view[1]`` of its height, kept inside a ``width`` x ``height`` crop."""
    grow, down = view
    x0, y0, x1, y1 = box
    dx, dy = grow * (x1 - x0), grow * (y1 - y0)
    shift = down * (y1 - y0)
    nx0, ny0 = max(0, int(round(x0 - dx))), max(0, int(round(y0 - dy + shift)))
    nx1 = min(width, max(nx0 + 1, int(round(x1 + dx))))
    return nx0, ny0, nx1, min(height, max(ny0 + 1, int(round(y1 + dy + shift))))


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


def load_code_reader(folder: Path, registry: Path | None, log: logging.Logger = _log) -> CodeReader:
    """The reader in ``folder`` with the codes of the ``registry`` CSV (none: readings are taken as read);
    a :class:`SpatuleError` names a missing or broken file, or a registry code it cannot read. Registry
    codes that read as each other upside down (with the glyph turns in ``reader.json``) are named in a
    warning: such tags stay unread unless the reader is sure of one way round (``read.margin``)."""
    from spatule.reading.reader import reader_model
    from spatule.reading.registry import turned_pairs
    from spatule.reading.weights import load_weights, set_weights

    info = reader_info(folder)
    alphabet, length = str(info["alphabet"]), int(info["code_length"])
    codes = tuple(b.code for b in read_registry(registry, alphabet, length)) if registry else ()
    pairs = turned_pairs(codes, {str(k): str(v) for k, v in info.get("turned", {}).items()})
    if pairs:
        more = f" and {len(pairs) - 12} more" if len(pairs) > 12 else ""
        shown = ", ".join(f"{a}/{b}" for a, b in pairs[:12]) + more
        log.warning("%s: %d pair(s) of codes read as each other upside down (%s): a tag of these is read only "
                    "when its way round is clear", registry, len(pairs), shown)
    model = reader_model(len(alphabet))
    set_weights(model, load_weights(folder / READER_FILE), folder / READER_FILE)
    return CodeReader(model, alphabet, length, codes)
