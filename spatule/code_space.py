"""The codes a tag can carry: the default alphabet and code length (the schema's ``read.alphabet`` and
``read.code_length`` defaults, the demo's tags), whether an identity is a code, and drawing codes.

The one home of codes for both sides: the demo (:mod:`spatule.demo`) prints them on its tags, the reader
(:mod:`spatule.reading`) learns and reads them; neither imports the other. Standard library only: the
random draws take the caller's NumPy generator.
"""

from __future__ import annotations

from typing import Any

ALPHABET = "ABCDFHJLNPSTVXYZ123569"
"""The glyphs a code may use (no vowels E/I/O/U, no 0/4/7/8), in the reader's class order: the schema's
``read.alphabet`` default (tests/test_reading.py checks they agree)."""

CODE_LENGTH = 4
"""Glyphs per code: the schema's ``read.code_length`` default."""


def is_code(identity: str, alphabet: str = ALPHABET, code_length: int = CODE_LENGTH) -> bool:
    """Whether an identity is a code a tag can carry (the demo's far tags, for one, have names instead)."""
    return len(identity) == code_length and all(c in alphabet for c in identity)


def codes_possible(alphabet: str = ALPHABET, code_length: int = CODE_LENGTH) -> int:
    """How many different codes ``alphabet`` and ``code_length`` give."""
    return len(alphabet) ** code_length


def random_code(rng: Any, alphabet: str = ALPHABET, code_length: int = CODE_LENGTH) -> str:
    """One random code, its glyphs drawn from ``rng`` (a NumPy generator) in one draw."""
    picks = rng.integers(0, len(alphabet), size=code_length)
    return "".join(alphabet[int(i)] for i in picks)


def random_codes(rng: Any, alphabet: str, count: int, code_length: int = CODE_LENGTH) -> list[str]:
    """``count`` random codes over ``alphabet``, all their glyphs drawn from ``rng`` in one draw (repeats
    possible)."""
    picks = rng.integers(0, len(alphabet), size=(count, code_length))
    return ["".join(alphabet[int(i)] for i in row) for row in picks]


def distinct_codes(rng: Any, count: int, alphabet: str = ALPHABET, code_length: int = CODE_LENGTH) -> list[str]:
    """``count`` different random codes (:func:`random_code` each), in drawing order."""
    if count > codes_possible(alphabet, code_length):
        raise ValueError(f"{count} different codes asked of {alphabet!r} at length {code_length}: there are "
                         f"{codes_possible(alphabet, code_length)}")
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = random_code(rng, alphabet, code_length)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes
