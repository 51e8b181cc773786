"""Choosing when a reading is a bird (rule ``read_threshold``): the least threshold at which the accepted
codes are right ``read.target_accuracy`` of the time, both on the val split's tags whose identity is a code
and on rendered crops the reader never saw, read against the registry (the rendered check: half of them of
its birds and half of birds off it); the higher of the two, unless ``read.threshold`` fixes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from spatule.code_space import codes_possible, random_codes
from spatule.reading.codes import Acceptance

RENDERED_CHECK = 1000
"""Rendered crops the reader never saw, read by rule read_threshold against the user's registry, half of
them of its birds and half of birds off it: with them a handful of labelled validation tags is not all that
chooses the threshold."""


SMALL_CODE_SPACE = 100_000
"""Alphabets and code lengths giving at most this many codes: the rendered check draws its codes off the
registry from all of them listed, not by drawing random codes and leaving out the registry's."""


@dataclass(frozen=True)
class ThresholdSettings:
    """How the threshold is chosen, the ``read`` keys under their names: ``threshold`` when set is taken as it
    is; else the one whose accepted codes are right ``target_accuracy`` of the time; ``margin``; ``seed`` (of
    the rendered check's crops)."""

    threshold: float | None
    target_accuracy: float
    margin: float
    seed: int = 0


def check_codes(registry: Sequence[str], alphabet: str, length: int, count: int, seed: int = 0
                ) -> tuple[list[str], int]:
    """The codes of the rendered check's ``count`` crops and how many of them (the first) are banded. With a
    ``registry``: half its codes, drawn with repeats (a season sees its birds again), and half codes off it,
    drawn uniformly from every other code (birds banded elsewhere, whose codes owe nothing to the
    registry's, which must stay unread); the check reads them against that registry alone, so that the
    threshold meets as many codes to mistake a tag for as ``detect`` will. A registry holding every code
    leaves only banded crops. Without a registry: random codes, none banded."""
    import itertools

    import numpy as np

    rng = np.random.default_rng([seed, 31])
    if not registry:
        return random_codes(rng, alphabet, count, length), 0
    own = sorted(set(registry))
    banded = [own[int(k)] for k in rng.integers(0, len(own), count // 2)]
    known, wanted = set(own), count - len(banded)
    if codes_possible(alphabet, length) <= SMALL_CODE_SPACE:
        free = [c for c in map("".join, itertools.product(alphabet, repeat=length)) if c not in known]
        others = [free[int(k)] for k in rng.integers(0, len(free), wanted)] if free else []
        return banded + others, len(banded)
    # a registry is far smaller than a code space this large: drawing and leaving its codes out fills the half
    others = [c for c in random_codes(rng, alphabet, 4 * count, length) if c not in known]
    return banded + others[:wanted], len(banded)


@dataclass(frozen=True)
class RenderedCheck:
    """What the rendered check read: ``(match score, right)`` of each crop whose reading passes the margin
    (``scored``), whether each of those shows a registry bird (``of_registry``), and how many crops were
    drawn (``crops``), of them ``banded``."""

    scored: list[tuple[float, bool]]
    of_registry: list[bool]
    crops: int
    banded: int

    def figures(self, threshold: float) -> dict[str, int]:
        """The crops drawn, banded, past the margin, accepted at ``threshold``, right, and the wrong ones
        split: a registry bird taken for another, or a bird off the registry taken for one on it."""
        taken = [(ok, own) for (score, ok), own in zip(self.scored, self.of_registry) if score >= threshold]
        return {"crops": self.crops, "banded": self.banded, "past_margin": len(self.scored), "accepted": len(taken),
                "right": sum(ok for ok, _ in taken), "wrong_registry_bird": sum(own and not ok for ok, own in taken),
                "wrong_off_registry": sum(not own and not ok for ok, own in taken)}


def rendered_check(reader: Any, glyphs: Any, margin: float, count: int = RENDERED_CHECK, seed: int = 0
                   ) -> RenderedCheck:
    """Read ``count`` rendered crops (:func:`check_codes`, drawn with ``glyphs``) against the reader's registry
    as ``detect`` reads, keeping those whose reading passes ``margin`` (:meth:`Acceptance.passes_margin`;
    without a registry, every crop read as a code of the right length, its own probability its score, as
    ``detect`` takes it then)."""
    import numpy as np

    from spatule.reading.render import render_reading_crop

    codes, banded = check_codes(reader.codes, reader.alphabet, reader.code_length, count, seed)
    crops = [render_reading_crop(code, glyphs, np.random.default_rng([seed, 32, k])) for k, code in enumerate(codes)]
    reads = reader.read([c.pixels for c in crops], [c.box for c in crops])
    margin_only = Acceptance(0.0, margin)
    kept = [k for k, r in enumerate(reads) if margin_only.passes_margin(r)]
    return RenderedCheck([(reads[k].match_score, reads[k].likeliest == codes[k]) for k in kept],
                         [k < banded for k in kept], len(codes), banded)


def past_margin(tags: Sequence[dict[str, str]], reads: Sequence[Any], margin: float) -> list[tuple[float, bool]]:
    """``(match score, right)`` of each labelled tag whose reading passes ``margin``: those a threshold may
    accept."""
    margin_only = Acceptance(0.0, margin)
    return [(r.match_score, r.likeliest == t["identity"]) for t, r in zip(tags, reads) if margin_only.passes_margin(r)]


def chosen_acceptance(settings: ThresholdSettings, on_val: tuple[float, str], on_drawn: tuple[float, str]
                      ) -> Acceptance:
    """The acceptance at the higher of the thresholds chosen on the val split's tags and on the rendered
    check (``(threshold, how it was chosen)`` each; :func:`spatule.reading.evaluation.choose_threshold`), or
    at ``settings.threshold`` when set, with the margin and where the threshold comes from."""
    if settings.threshold is not None:
        threshold, source = float(settings.threshold), "read.threshold (set in the config)"
    elif on_val[0] >= on_drawn[0]:
        threshold, source = on_val[0], f"the val split's tags ({on_val[1]})"
    else:
        threshold, source = on_drawn[0], f"rendered crops ({on_drawn[1]}), above the val split's {on_val[0]:.4g}"
    return Acceptance(threshold, settings.margin, source)
