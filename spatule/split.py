"""split: train/val/test by disjoint tag identities, backgrounds by photo, bursts whole.

A burst is a run of photos of one camera (its folder) whose EXIF times follow each other within
``split.burst_minutes``: near copies of one scene. Every identity photographed in a burst and every
background photo of it go to one split, so that no frame of a held-out scene becomes training ground.

Order comes from a seeded hash of each name, not from a random stream: the
same config and seed give the same split on any machine and library version,
and adding a new bird leaves the others' order unchanged.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath
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


def cooccurrence_groups(tag_photos: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Identities linked by sharing a photo (or a burst: pass the burst as the photo), as connected
    components: identity -> group name.

    The group name joins its sorted identities with ``+``. Splitting whole groups
    keeps every labelled photo (every burst) in one split (no ``mixed`` photo).
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


def camera_of(photo: str) -> str:
    """The camera of a photo: its folder under the labels folder (``""`` for the top)."""
    folder = PurePosixPath(photo).parent.as_posix()
    return "" if folder == "." else folder


def bursts(photo_times: Mapping[str, str | None], minutes: float) -> dict[str, str]:
    """Photo -> its burst, named by the burst's first photo: photos of one camera (:func:`camera_of`)
    taken in order with no gap above ``minutes`` between neighbours. A photo without a time (no EXIF
    ``DateTimeOriginal``), or every photo when ``minutes`` is 0, is a burst of its own."""
    from datetime import datetime

    out: dict[str, str] = {}
    by_camera: dict[str, list[tuple[datetime, str]]] = {}
    for photo, when in sorted(photo_times.items()):
        if when is None or minutes <= 0:
            out[photo] = photo
        else:
            by_camera.setdefault(camera_of(photo), []).append((datetime.fromisoformat(when), photo))
    for shots in by_camera.values():
        shots.sort()
        first, previous = shots[0][1], shots[0][0]
        for when, photo in shots:
            if (when - previous).total_seconds() > minutes * 60:
                first = photo
            out[photo], previous = first, when
    return out


def photo_splits(tag_photos: Sequence[tuple[str, str]], identity_split: Mapping[str, str]) -> dict[str, str]:
    """Split of each labelled photo from its tags' identities: a split name, or ``mixed``."""
    found: dict[str, set[str]] = {}
    for image, identity in tag_photos:
        found.setdefault(image, set()).add(identity_split[identity])
    return {image: next(iter(s)) if len(s) == 1 else "mixed" for image, s in sorted(found.items())}


MIN_SHARE = 0.5
"""A grouping is kept only when each split gets at least this share of the tags it asks for
(``split.val_fraction``, ``split.test_fraction``, train the rest): one burst holding most birds would
otherwise leave a split a bird or two."""


def short_splits(group_split: Mapping[str, str], weights: Mapping[str, int], plan: SplitPlan) -> list[str]:
    """The splits that get under :data:`MIN_SHARE` of their asked share of the weight, said as
    ``"val: 3% of the tags, 0.15 asked"``."""
    total = sum(weights.values()) or 1
    got: Counter = Counter()
    for group, split in group_split.items():
        got[split] += weights[group]
    asked = [("train", 1.0 - plan.val_fraction - plan.test_fraction), *plan.held_out]
    return [f"{split}: {got[split] / total:.0%} of the tags, {fraction:.2g} asked" for split, fraction in asked
            if got[split] / total < MIN_SHARE * fraction]


def assign_identities_to_splits(crops: list, tag_count: Counter, plan: SplitPlan, keep_photos_whole: bool,
                                log: logging.Logger = _log, burst: Mapping[str, str] | None = None) -> dict[str, str]:
    """Identity -> split. With ``keep_photos_whole``, identities that share a photo move together, and with
    ``burst`` too (photo -> burst, :func:`bursts`) those photographed in one burst; without it, one by one. Each
    grouping is used when it leaves enough groups for the splits and gives each split at least
    :data:`MIN_SHARE` of the tags it asks for, else the next finer one, said in the log: bursts, then photos,
    then identity by identity (photos holding birds of two splits are then ``mixed``)."""
    keys = []
    if keep_photos_whole and burst is not None:
        keys.append(("bursts", lambda image: burst.get(image, image)))
    if keep_photos_whole:
        keys.append(("photos", lambda image: image))
    for index, (name, key) in enumerate(keys):
        groups = cooccurrence_groups([(key(c.image), c.identity) for c in crops])
        weights: Counter = Counter()
        for identity, group in groups.items():
            weights[group] += tag_count[identity]
        if len(weights) >= plan.needed:
            group_split = assign_groups(dict(weights), plan, f"groups of identities seen in the same {name}")
            # with only as many groups as splits, a finer grouping cannot share the tags out any better
            short = short_splits(group_split, weights, plan) if len(weights) > plan.needed else []
            if not short:
                log.info("split %d identities as %d groups of birds seen in the same %s", len(groups), len(weights),
                         name)
                return {identity: group_split[group] for identity, group in groups.items()}
            why = (f"{len(weights)} group(s) of identities seen in the same {name}, too uneven to fill the "
                   f"splits ({'; '.join(short)})")
        else:
            why = (f"only {len(weights)} group(s) of identities seen in the same {name}, fewer than the "
                   f"{plan.needed} splits need")
        finer = f"by {keys[index + 1][0]}" if index + 1 < len(keys) else "identity by identity"
        log.warning("%s: splitting %s instead%s", why, finer,
                    ", so frames of one scene may lie in two splits" if name == "bursts" else
                    ", so some labelled photos hold tags of two splits ('mixed')")
    return assign_groups(dict(tag_count), plan, "tag identities")


def background_splits(backgrounds: Sequence[str], burst: Mapping[str, str], photo_split: Mapping[str, str],
                      plan: SplitPlan, log: logging.Logger = _log) -> dict[str, str]:
    """Split of each background photo: one in a burst whose labelled photos all lie in one split goes
    with them; the others are dealt burst by burst (weighed by their photos), or photo by photo when
    there are too few bursts to fill every split (said in the log). Raises, as
    :func:`assign_groups` does, when there are background photos but too few to fill the splits."""
    burst_split: dict[str, set[str]] = {}
    for photo, split in photo_split.items():
        burst_split.setdefault(burst.get(photo, photo), set()).add(split)
    fixed = {}
    for b in backgrounds:
        splits = burst_split.get(burst.get(b, b), set())
        if len(splits) == 1 and "mixed" not in splits:
            fixed[b] = next(iter(splits))
    rest = [b for b in backgrounds if b not in fixed]
    groups = Counter(burst.get(b, b) for b in rest)
    if not rest or (fixed and len(rest) < plan.needed):
        return {b: fixed.get(b, "train") for b in backgrounds}
    if len(groups) >= plan.needed:
        dealt = assign_groups(dict(groups), plan, "background bursts")
        return {b: fixed.get(b) or dealt[burst.get(b, b)] for b in backgrounds}
    if len(groups) < len(rest):
        log.warning("only %d burst(s) of background photos, fewer than the %d splits need: dealing them photo by "
                    "photo, so frames of one scene may lie in two splits", len(groups), plan.needed)
    dealt = assign_groups({b: 1 for b in rest}, plan, "background photos")
    return {b: fixed.get(b) or dealt[b] for b in backgrounds}


def bursts_across_splits(burst: Mapping[str, str], photo_split: Mapping[str, str]) -> list[str]:
    """The bursts (by their first photo) whose photos lie in more than one split (``mixed`` counts as
    another): what the split could not keep whole."""
    found: dict[str, set[str]] = {}
    for photo, split in photo_split.items():
        found.setdefault(burst.get(photo, photo), set()).add(split)
    return sorted(b for b, splits in found.items() if len(splits) > 1)
