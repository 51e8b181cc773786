"""The demo's new photos: a later day of the same colony, unlabelled, for ``detect`` to search.

The same birds (the campaign's codes, drawn from the same seed), in nest groups as on the
labelled days, photographed :data:`NEW_DAY` later by the same two cameras, each photo with the
EXIF ``DateTimeOriginal`` and camera model a camera trap writes. No XML is written beside them:
what a user's new photos look like. Where each tag really is goes to a separate
truth table (``image,xmin,ymin,xmax,ymax,identity,difficult``), which only the figures read.

Visits. A camera takes its frames 10 minutes apart (:data:`PHOTO_INTERVAL`): CAM-1 the first
four fifths of the day's photos (``IMAGnnnn.JPG``), CAM-2 the rest (``camera2/IMAGnnnn.JPG``),
numbered and timed on from CAM-1's last, so each camera's frames are 10 minutes apart and no two
photos share a time. Each camera's frames come in runs of 1 to 4 (:data:`RUN_FRAMES`): a run
shows no tag (background; about ``background_fraction`` of the frames, as before) or is a visit
of one nest group of 1-3 of the colony's birds, which stand where they stood in the run's
previous frame (their bands drawn anew a few pixels off, about the same size:
:mod:`spatule.demo.stay`). Now and then a bird misses one frame of its visit (:data:`AWAY`), never
the visit's first bird. A run never shows a bird of the run before it, so a bird seen again
later is a new visit. The two cameras see different groups; each group is visited once or more.

Logo. Every new photo carries the camera maker's logo (:func:`logo_box`, :data:`LOGO_TEXT`): a
light oval with dark capitals, at the same pixels in every frame, just above the info bar, with no
tag or bird under it. A tag detector may take it for a tag; it is not in the truth.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import numpy as np

from spatule.code_space import distinct_codes
from spatule.demo.campaign import DemoSummary, campaign_seeds, write_jpeg
from spatule.demo.photo import DemoTag, render_photo
from spatule.demo.plan import PHOTO_INTERVAL, SUB_FOLDER, DemoParams, PlannedPhoto
from spatule.demo.scene import draw_logo
from spatule.geometry import Rect
from spatule.labels.photos import exif_segment

NEW_DAY = timedelta(days=14)
"""How long after the labelled campaign's first photo the new day's first photo is taken."""

TRUTH_COLUMNS = ["image", "xmin", "ymin", "xmax", "ymax", "identity", "difficult"]

RUN_FRAMES = (1, 4)
"""Fewest and most frames of a run (a visit, or frames with no tag) of one camera."""

VISITED_GROUPS = 0.8
"""Nest groups a camera sees, per visit it takes: the other visits are of groups seen before."""

AT_VISIT = 0.9
"""Chance that a bird of a nest group is at one of the group's visits."""

AWAY = 0.15
"""Chance that a bird of a visit (not its first) is away from one of its frames."""

LOGO_TEXT = "BUSHCAM"
"""The camera maker's name, printed in its logo over every new photo."""


def campaign_codes(params: DemoParams) -> list[str]:
    """The labelled campaign's codes (the colony's birds): the first draw of its plan's generator."""
    plan_seed, _, _ = campaign_seeds(params)
    return distinct_codes(np.random.default_rng(plan_seed), params.identities)


def new_day_seed(params: DemoParams) -> np.random.SeedSequence:
    """The new day's seed: a child of the campaign's seed that the campaign itself never uses."""
    return campaign_seeds(params)[2]


def logo_box(params: DemoParams) -> Rect:
    """Where the cameras print their maker's logo (:func:`spatule.demo.scene.draw_logo`): in the bottom left
    corner, just above the info bar; 150 x 50 pixels in a 1600 x 1200 photo, scaled with it."""
    s = params.scale
    width, height = max(30, round(150 * s)), max(12, round(50 * s))
    left, bottom = max(4, round(16 * s)), params.height - params.info_bar_px - max(4, round(8 * s))
    return left, bottom - height, left + width, bottom


def camera_frames(count: int) -> tuple[int, int]:
    """How many of the day's ``count`` photos CAM-1 and CAM-2 take: CAM-2 a fifth from 5 photos on."""
    second = count // 5 if count >= 5 else 0
    return count - second, second


def plan_visits(params: DemoParams, rng: np.random.Generator) -> list[list[PlannedPhoto]]:
    """The new day's runs of frames (visits of a nest group, and background runs), CAM-1's in time order,
    then CAM-2's; the photos named and timed on from the campaign's, :data:`NEW_DAY` later."""
    frames = camera_frames(params.new_photos)
    backs = [int(math.floor(n * params.background_fraction + 0.5)) for n in frames]
    tags = [n - b for n, b in zip(frames, backs)]
    birds = min(3 * (sum(tags) // 2), params.identities)
    colony = [str(c) for c in rng.choice(campaign_codes(params), size=birds, replace=False)] if birds else []
    second = int(math.floor(birds * tags[1] / max(1, sum(tags)) + 0.5))
    if birds >= 2 and all(tags):
        second = min(max(second, 1), birds - 1)  # each camera sees some of the colony
    pools = [colony[:birds - second], colony[birds - second:]]
    index = int(NEW_DAY / PHOTO_INTERVAL)
    runs: list[list[PlannedPhoto]] = []
    for camera in (0, 1):
        for shown in _camera_runs(tags[camera], backs[camera], pools[camera], rng):
            run = []
            for codes in shown:
                name = f"IMAG{index + 1:04d}.JPG"
                run.append(PlannedPhoto(index, f"{SUB_FOLDER}/{name}" if camera else name, codes, f"CAM-{camera + 1}"))
                index += 1
            runs.append(run)
    return runs


def plan_new_day(params: DemoParams, rng: np.random.Generator) -> list[PlannedPhoto]:
    """The new day's ``params.new_photos`` photos in time order, CAM-1's then CAM-2's (:func:`plan_visits`)."""
    return [photo for run in plan_visits(params, rng) for photo in run]


def _camera_runs(tag_frames: int, background_frames: int, codes: list[str],
                 rng: np.random.Generator) -> list[list[tuple[str, ...]]]:
    """One camera's runs in time order, as the codes each frame shows: visits of nest groups of ``codes``
    (``tag_frames`` frames in all) and background runs (``background_frames``), 1-4 frames each."""
    if not codes:
        tag_frames, background_frames = 0, tag_frames + background_frames
    visits, backgrounds = _lengths(tag_frames, rng), _lengths(background_frames, rng)
    groups = _groups(codes, math.ceil(VISITED_GROUPS * len(visits)), rng)
    runs: list[list[tuple[str, ...]]] = []
    opened, last, left = 0, None, len(visits)
    for k in rng.permutation(len(visits) + len(backgrounds)):
        if k >= len(visits):
            runs.append([()] * backgrounds[k - len(visits)])
            last = None
            continue
        last = _next_group(len(groups), opened, last, left, rng)
        opened, left = opened + int(last == opened), left - 1
        runs.append(_visit(groups[last], visits[k], rng) if last is not None else [()] * visits[k])
    return runs


def _lengths(frames: int, rng: np.random.Generator) -> list[int]:
    """``frames`` frames cut into runs of :data:`RUN_FRAMES` (the last one maybe shorter)."""
    lengths: list[int] = []
    while frames > 0:
        lengths.append(min(frames, int(rng.integers(RUN_FRAMES[0], RUN_FRAMES[1] + 1))))
        frames -= lengths[-1]
    return lengths


def _groups(codes: list[str], count: int, rng: np.random.Generator) -> list[list[str]]:
    """``count`` nest groups of 1-3 of ``codes`` (fewer when there are fewer codes; codes beyond 3 a group
    left out)."""
    count = min(count, len(codes))
    sizes = np.ones(count, dtype=int)
    for _ in range(min(len(codes), 3 * count) - count):
        growable = np.flatnonzero(sizes < 3)
        sizes[growable[rng.integers(len(growable))]] += 1
    ends = np.cumsum(sizes)
    return [codes[end - size: end] for size, end in zip(sizes, ends)]


def _next_group(groups: int, opened: int, last: int | None, left: int, rng: np.random.Generator) -> int | None:
    """Which group the next visit is of: a new one (number ``opened``, the groups before it seen already) or
    one seen before, never the one of the run just before (``last``); ``None``: none can come (a background run
    then). New ones come at a pace that lets all ``groups`` be seen in the ``left`` visits to come."""
    again = [g for g in range(opened) if g != last]
    if opened < groups and (not again or left <= groups - opened or rng.random() < (groups - opened) / left):
        return opened
    return again[int(rng.integers(len(again)))] if again else None


def _visit(group: list[str], frames: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """The codes each of a visit's ``frames`` frames shows: the group's birds at the nest then (each
    :data:`AT_VISIT`, one at least), one of them now and then away for one frame (:data:`AWAY`; never the first)."""
    present = [c for c in group if rng.random() < AT_VISIT] or [group[int(rng.integers(len(group)))]]
    shown = [list(present) for _ in range(frames)]
    for code in present[1:]:
        if frames > 1 and rng.random() < AWAY:
            shown[int(rng.integers(frames))].remove(code)
    return [tuple(codes[j] for j in rng.permutation(len(codes))) for codes in shown]


def generate_new_day(photos_dir: Path, truth_csv: Path, params: DemoParams) -> DemoSummary:
    """Write the new day's photos (no XML) into the empty or new ``photos_dir``, and ``truth_csv``.
    Byte-identical for equal ``params``; none when ``params.new_photos`` is 0."""
    photos_dir.mkdir(parents=True, exist_ok=True)
    if any(photos_dir.iterdir()):
        raise FileExistsError(f"demo new photos folder {photos_dir} is not empty; remove it first")
    rows: list[list[object]] = []
    runs: list[list[PlannedPhoto]] = []
    if params.new_photos > 0:
        plan_seed, *photo_seeds = new_day_seed(params).spawn(params.new_photos + 1)
        runs = plan_visits(params, np.random.default_rng(plan_seed))
        first = runs[0][0].index
        for run in runs:
            for photo, image, tags in _render_run(run, [photo_seeds[p.index - first] for p in run], params):
                when = photo.taken.strftime("%Y:%m:%d %H:%M:%S")
                write_jpeg(photos_dir / photo.image, image, params.jpeg_quality, exif_segment(when, photo.camera))
                rows += [[photo.image, *t.box, t.identity, int(t.difficult)] for t in sorted(tags, key=lambda t: t.box)]
    planned = [photo for run in runs for photo in run]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRUTH_COLUMNS)
    writer.writerows(sorted(rows, key=lambda r: (str(r[0]), r[1:5])))
    truth_csv.parent.mkdir(parents=True, exist_ok=True)
    truth_csv.write_text(buffer.getvalue(), encoding="utf-8")
    tag_photos = len({r[0] for r in rows})
    return DemoSummary(photos=len(planned), tag_photos=tag_photos, background_photos=len(planned) - tag_photos,
                       tags=len(rows), identities=len({r[5] for r in rows if not r[6]}),
                       difficult=sum(int(r[6]) for r in rows))


def _render_run(run: list[PlannedPhoto], seeds: list[np.random.SeedSequence],
                params: DemoParams) -> Iterator[tuple[PlannedPhoto, np.ndarray, list[DemoTag]]]:
    """Draw a run's frames one after the other, each from its seed: a bird seen before in the run stays where it
    was last seen; the logo over each, no tag or bird under it."""
    logo = logo_box(params)
    last: dict[str, Rect] = {}
    for photo, seed in zip(run, seeds, strict=True):
        stay = {code: last[code] for code in photo.codes if code in last}
        image, tags = render_photo(photo, params, np.random.default_rng(seed), stay=stay, avoid=(logo,))
        draw_logo(image, logo, LOGO_TEXT)
        last.update((t.identity, t.whole) for t in tags if not t.difficult and t.whole is not None)
        yield photo, image, tags
