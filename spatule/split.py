"""split: train/val/test by disjoint tag identities, backgrounds by photo.

Order comes from a seeded hash of each name, not from a random stream: the
same config and seed give the same split on any machine and library version,
and adding a new bird leaves the others' order unchanged.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from spatule.problems import SpatuleError

_log = logging.getLogger("spatule")

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitPlan:
    """Fractions and seed, validated."""

    val_fraction: float
    test_fraction: float
    seed: int

    def __post_init__(self) -> None:
        for key, value in (("split.val_fraction", self.val_fraction), ("split.test_fraction", self.test_fraction)):
            if not 0 <= value < 1:
                raise SpatuleError(f"{key} must be in [0, 1), not {value}")
        if self.val_fraction + self.test_fraction >= 1:
            raise SpatuleError(f"split.val_fraction + split.test_fraction = "
                               f"{self.val_fraction + self.test_fraction:g} leaves nothing to train on; "
                               "keep it below 1")

    @property
    def held_out(self) -> tuple[tuple[str, float], ...]:
        """The held-out splits that are asked for, test first."""
        return tuple((s, f) for s, f in (("test", self.test_fraction), ("val", self.val_fraction)) if f > 0)

    @property
    def needed(self) -> int:
        """The fewest groups that can fill every split asked for."""
        return 1 + len(self.held_out)


def seeded_order(names: Sequence[str], seed: int) -> list[str]:
    """Names ordered by ``sha256(seed:name)``: reproducible and stable under additions."""
    return sorted(names, key=lambda n: (hashlib.sha256(f"{seed}:{n}".encode()).hexdigest(), n))


def assign_groups(weights: Mapping[str, int], plan: SplitPlan, what: str) -> dict[str, str]:
    """Assign groups (identities, or photos) to splits so each held-out split gets about its
    fraction of the total weight (tags, or photos), at least one group each, train the rest.

    Raises :class:`SpatuleError` saying how many groups there are and how many are needed.
    """
    names = sorted(weights)
    if len(names) < plan.needed:
        asked = ", ".join(f"{s} ({f:g})" for s, f in plan.held_out)
        shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        raise SpatuleError(
            f"only {len(names)} {what} ({shown or 'none'}), but the split needs at least {plan.needed}: one for "
            f"train and one for each held-out split asked for: {asked}. Label more, or set that fraction to 0."
        )
    total = sum(weights.values())
    order = seeded_order(names, plan.seed)
    assignment: dict[str, str] = {}
    position = 0
    for index, (split, fraction) in enumerate(plan.held_out):
        reserve = plan.needed - 1 - index  # groups still owed to later splits (and train)
        taken = 0
        while position < len(order) - reserve:
            if taken and taken + weights[order[position]] / 2 > fraction * total:
                break
            assignment[order[position]] = split
            taken += weights[order[position]]
            position += 1
            if taken >= fraction * total:
                break
    for name in order[position:]:
        assignment[name] = "train"
    check_assignment(assignment, plan)
    return assignment


def check_assignment(assignment: Mapping[str, str], plan: SplitPlan) -> None:
    """Every group in exactly one known split, every asked split non-empty."""
    unknown = sorted({s for s in assignment.values() if s not in SPLITS})
    if unknown:
        raise SpatuleError(f"unknown split name(s): {unknown}")
    present = set(assignment.values())
    missing = [s for s in ("train", *(s for s, _ in plan.held_out)) if s not in present]
    if missing:
        raise SpatuleError(f"split(s) {missing} got no group")


def check_disjoint(groups_by_split: Mapping[str, set[str]], what: str) -> None:
    """Raise if any group (identity, photo) appears in two splits."""
    seen: dict[str, str] = {}
    for split in sorted(groups_by_split):
        for group in sorted(groups_by_split[split]):
            if group in seen:
                raise SpatuleError(f"{what} {group!r} is in both {seen[group]} and {split}")
            seen[group] = split


def cooccurrence_groups(tag_photos: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Identities linked by sharing a photo, as connected components: identity -> group name.

    The group name joins its sorted identities with ``+``. Splitting whole groups
    keeps every labelled photo in one split (no ``mixed`` photo).
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_photo: dict[str, list[str]] = {}
    for image, identity in tag_photos:
        parent.setdefault(identity, identity)
        by_photo.setdefault(image, []).append(identity)
    for identities in by_photo.values():
        for other in identities[1:]:
            a, b = find(identities[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for identity in parent:
        members.setdefault(find(identity), []).append(identity)
    return {i: "+".join(sorted(group)) for group in members.values() for i in group}


def photo_splits(tag_photos: Sequence[tuple[str, str]], identity_split: Mapping[str, str]) -> dict[str, str]:
    """Split of each labelled photo from its tags' identities: a split name, or ``mixed``."""
    found: dict[str, set[str]] = {}
    for image, identity in tag_photos:
        found.setdefault(image, set()).add(identity_split[identity])
    return {image: next(iter(s)) if len(s) == 1 else "mixed" for image, s in sorted(found.items())}


def assign_identities_to_splits(crops: list, tag_count: Counter, plan: SplitPlan, keep_photos_whole: bool,
                                log: logging.Logger = _log) -> dict[str, str]:
    """Identity -> split. With ``keep_photos_whole``, identities that share a photo move
    together (so each labelled photo lies in one split) whenever there are enough such
    groups; else identities move one by one and photos holding birds of two splits are ``mixed``."""
    if keep_photos_whole:
        groups = cooccurrence_groups([(c.image, c.identity) for c in crops])
        weights = Counter()
        for identity, group in groups.items():
            weights[group] += tag_count[identity]
        if len(weights) >= plan.needed:
            group_split = assign_groups(dict(weights), plan, "groups of identities seen together")
            log.info("split %d identities as %d groups of birds photographed together", len(groups), len(weights))
            return {identity: group_split[group] for identity, group in groups.items()}
        log.warning("only %d group(s) of identities photographed together, fewer than the %d splits need: splitting "
                    "identity by identity, so some labelled photos hold tags of two splits ('mixed')",
                    len(weights), plan.needed)
    return assign_groups(dict(tag_count), plan, "tag identities")
