"""What the demo campaign holds before anything is drawn: its parameters, photo names, and which
birds (codes) each photo shows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from spatule.code_space import codes_possible, distinct_codes

REFERENCE_SIZE = (1600, 1200)
"""Photo size at which tag sizes are specified; other sizes scale them."""

CAMPAIGN_START = datetime(2018, 5, 7, 6, 0, 0)
"""Date and time of the first photo; photo ``i`` is taken ``i * PHOTO_INTERVAL`` later."""

PHOTO_INTERVAL = timedelta(minutes=10)

SUB_FOLDER = "camera2"
"""The second camera's sub-folder."""


@dataclass(frozen=True)
class DemoParams:
    """What to generate. Field names match the workflow config ``demo:`` section."""

    seed: int = 2018
    photos: int = 30
    """Total number of photos."""
    identities: int = 14
    """Distinct tag codes (birds), in nest groups of 1-3; each appears in at least 2 photos."""
    width: int = 1600
    height: int = 1200
    background_fraction: float = 0.25
    """Share of photos with no tag at all (they may still show untagged birds)."""
    info_bar_px: int = 40
    """Height of the camera info bar burned into the bottom rows (0: none)."""
    jpeg_quality: int = 90
    night_fraction: float = 0.15
    """Share of grey infrared night frames."""
    hard_cases: bool = True
    """Occluded tags, tags cut by the photo border, far difficult tags, look-alikes, cloud shadows."""
    new_photos: int = 0
    """Unlabelled photos of a later day of the same colony (:mod:`spatule.demo.new_day`), for ``detect``."""
    banded: int = 100
    """Birds in the demo's registry (:mod:`spatule.demo.registry`): the photographed codes and others."""

    def __post_init__(self) -> None:
        if self.photos < 1:
            raise ValueError(f"demo photos must be >= 1, got {self.photos}")
        if self.new_photos < 0:
            raise ValueError(f"demo new_photos must be >= 0, got {self.new_photos}")
        if self.identities < 0:
            raise ValueError(f"demo identities must be >= 0, got {self.identities}")
        if not 0.0 <= self.background_fraction <= 1.0:
            raise ValueError(f"demo background_fraction must be in [0, 1], got {self.background_fraction}")
        if self.width < 320 or self.height < 240:
            raise ValueError(f"demo photos must be at least 320x240, got {self.width}x{self.height}")
        if not 0 <= self.info_bar_px <= self.height // 4:
            raise ValueError(f"demo info_bar_px must be in [0, height/4], got {self.info_bar_px}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"demo jpeg_quality must be in [1, 100], got {self.jpeg_quality}")
        if not 0.0 <= self.night_fraction <= 1.0:
            raise ValueError(f"demo night_fraction must be in [0, 1], got {self.night_fraction}")
        tag_photos = self.tag_photos
        if self.identities == 0 and tag_photos > 0:
            raise ValueError("demo identities is 0 but some photos must show tags; "
                             "set background_fraction to 1 or identities >= 1")
        if self.identities > 0:
            if tag_photos < 2:
                raise ValueError(f"demo: {tag_photos} photo(s) with tags cannot show each identity twice; "
                                 "add photos or lower background_fraction")
            if self.identities > 3 * (tag_photos // 2):
                raise ValueError(f"demo: {self.identities} identities in nest groups of at most 3, each group "
                                 f"seen in 2 photos, need {2 * -(-self.identities // 3)} photos with tags, "
                                 f"not {tag_photos}; add photos or lower background_fraction")
            if codes_possible() < self.identities:
                raise ValueError("demo: more identities than distinct codes")

    @property
    def background_photos(self) -> int:
        """Number of tag-free photos: ``background_fraction`` of the photos, rounded half up."""
        return int(math.floor(self.photos * self.background_fraction + 0.5))

    @property
    def tag_photos(self) -> int:
        """Number of photos showing at least one tag."""
        return self.photos - self.background_photos

    @property
    def scale(self) -> float:
        """Size of the scene relative to a 1600x1200 photo."""
        return min(self.width / REFERENCE_SIZE[0], self.height / REFERENCE_SIZE[1])


@dataclass(frozen=True)
class PlannedPhoto:
    """One photo of the campaign before rendering: its name and which codes it shows."""

    index: int
    image: str
    """Path relative to the photos folder, forward slashes."""
    codes: tuple[str, ...]
    camera: str

    @property
    def taken(self) -> datetime:
        """When the camera took it: :data:`CAMPAIGN_START` + ``index`` x :data:`PHOTO_INTERVAL`."""
        return CAMPAIGN_START + self.index * PHOTO_INTERVAL


def photo_names(count: int) -> list[str]:
    """File names as in a real collection, relative to the photos folder.

    Mostly ``IMAG0001.JPG``; from 6 photos on some are named like ``7mai2018 (3).JPG``
    (spaces and parentheses), and from 5 photos on a fifth lie in ``camera2/``.
    """
    sub = count // 5 if count >= 5 else 0
    spaced = count // 6 if count >= 6 else 0
    plain = count - sub - spaced
    names = [f"IMAG{i + 1:04d}.JPG" for i in range(plain)]
    names += [f"7mai2018 ({k + 1}).JPG" for k in range(spaced)]
    names += [f"{SUB_FOLDER}/IMAG{k + 107:04d}.JPG" for k in range(sub)]
    return names


def plan_campaign(params: DemoParams, rng: np.random.Generator) -> list[PlannedPhoto]:
    """Decide names, which photos are tag-free and which codes each photo shows.

    The identities are split into nest groups of 1-3 birds (about one group per two
    identities); a tag photo shows 1 to all of the birds of ONE group, so the same
    neighbours are seen together again and again. Each group gets at least 2 tag
    photos (more for bigger groups); each identity appears in 2-4 of its group's
    photos (more only when needed to give every photo of the group a tag).
    """
    n_tag = params.tag_photos
    codes = distinct_codes(rng, params.identities)
    assignment: list[list[str]] = []
    if codes:
        n_id = len(codes)
        n_groups = min(max((n_id + 1) // 2 + int(rng.integers(-1, 2)), -(-n_id // 3)), n_id, n_tag // 2)
        sizes = np.ones(n_groups, dtype=int)
        for _ in range(n_id - n_groups):
            growable = np.flatnonzero(sizes < 3)
            sizes[growable[rng.integers(len(growable))]] += 1
        # 2 photos per group, the other tag photos to the groups in proportion to their size
        extra = rng.choice(np.repeat(np.arange(n_groups), sizes), size=n_tag - 2 * n_groups)
        group_photos = 2 + np.bincount(extra, minlength=n_groups)
        first = 0
        for size, n_photos in zip(sizes, group_photos):
            group, first = codes[first: first + size], first + size
            assignment += _group_photos(group, int(n_photos), rng)
    names = photo_names(params.photos)
    background = set(int(i) for i in rng.choice(params.photos, size=params.background_photos, replace=False))
    tag_order = rng.permutation(n_tag)
    planned: list[PlannedPhoto] = []
    k = 0
    for index, name in enumerate(names):
        shown: tuple[str, ...] = ()
        if index not in background:
            shown = tuple(assignment[int(tag_order[k])][j] for j in rng.permutation(len(assignment[int(tag_order[k])])))
            k += 1
        camera = "CAM-2" if name.startswith(SUB_FOLDER + "/") else "CAM-1"
        planned.append(PlannedPhoto(index, name, shown, camera))
    return planned


def _group_photos(group: list[str], n_photos: int, rng: np.random.Generator) -> list[list[str]]:
    """The codes of each of a nest group's ``n_photos`` photos: each bird in 2-4 of them, every photo
    with at least one."""
    counts = np.minimum(rng.integers(2, 5, size=len(group)), n_photos)
    while counts.sum() < n_photos:
        growable = np.flatnonzero(counts < n_photos)
        counts[growable[rng.integers(len(growable))]] += 1
    photos: list[list[str]] = [[] for _ in range(n_photos)]
    for code, count in zip(group, counts):  # each bird into its least crowded photos
        ties = rng.random(n_photos)
        for q in sorted(range(n_photos), key=lambda q: (len(photos[q]), ties[q]))[:count]:
            photos[q].append(code)
    return photos
