"""The demo's new photos: a later day of the same colony, unlabelled, for ``detect`` to search.

The same birds (the campaign's codes, drawn from the same seed), in nest groups as on the
labelled days, photographed :data:`NEW_DAY` later by the same two cameras, each photo with the
EXIF ``DateTimeOriginal`` and camera model a camera trap writes. No XML is written beside them:
what a user's new photos look like. Where each tag really is goes to a separate
truth table (``image,xmin,ymin,xmax,ymax,identity,difficult``), which only the figures read.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from spatule.code_space import distinct_codes
from spatule.demo.campaign import DemoSummary, campaign_seeds, write_jpeg
from spatule.demo.photo import render_photo
from spatule.demo.plan import PHOTO_INTERVAL, SUB_FOLDER, DemoParams, PlannedPhoto, plan_campaign
from spatule.labels.photos import exif_segment

NEW_DAY = timedelta(days=14)
"""How long after the labelled campaign's first photo the new day's first photo is taken."""

TRUTH_COLUMNS = ["image", "xmin", "ymin", "xmax", "ymax", "identity", "difficult"]


def campaign_codes(params: DemoParams) -> list[str]:
    """The labelled campaign's codes (the colony's birds): the first draw of its plan's generator."""
    plan_seed, _, _ = campaign_seeds(params)
    return distinct_codes(np.random.default_rng(plan_seed), params.identities)


def new_day_seed(params: DemoParams) -> np.random.SeedSequence:
    """The new day's seed: a child of the campaign's seed that the campaign itself never uses."""
    return campaign_seeds(params)[2]


def plan_new_day(params: DemoParams, rng: np.random.Generator) -> list[PlannedPhoto]:
    """``params.new_photos`` photos of the colony's birds (a random subset when the day has fewer
    photos than the birds need), named on from the campaign's numbers, :data:`NEW_DAY` later."""
    tag_photos = params.new_photos - int(math.floor(params.new_photos * params.background_fraction + 0.5))
    birds = min(3 * (tag_photos // 2), params.identities)  # nest groups of at most 3, each seen twice
    day = replace(params, photos=params.new_photos, identities=birds,
                  background_fraction=params.background_fraction if birds else 1.0)
    planned = plan_campaign(day, rng)
    drawn = sorted({code for p in planned for code in p.codes})
    colony = [str(c) for c in rng.choice(campaign_codes(params), size=len(drawn), replace=False)] if drawn else []
    same_bird = dict(zip(drawn, colony))
    first = int(NEW_DAY / PHOTO_INTERVAL)
    out = []
    for p in planned:
        name = f"IMAG{first + p.index + 1:04d}.JPG"
        image = f"{SUB_FOLDER}/{name}" if p.image.startswith(SUB_FOLDER + "/") else name
        out.append(PlannedPhoto(first + p.index, image, tuple(same_bird[c] for c in p.codes), p.camera))
    return out


def generate_new_day(photos_dir: Path, truth_csv: Path, params: DemoParams) -> DemoSummary:
    """Write the new day's photos (no XML) into the empty or new ``photos_dir``, and ``truth_csv``.
    Byte-identical for equal ``params``; none when ``params.new_photos`` is 0."""
    photos_dir.mkdir(parents=True, exist_ok=True)
    if any(photos_dir.iterdir()):
        raise FileExistsError(f"demo new photos folder {photos_dir} is not empty; remove it first")
    rows: list[list[object]] = []
    planned: list[PlannedPhoto] = []
    if params.new_photos > 0:
        plan_seed, *photo_seeds = new_day_seed(params).spawn(params.new_photos + 1)
        planned = plan_new_day(params, np.random.default_rng(plan_seed))
        for photo, seed in zip(planned, photo_seeds, strict=True):
            image, tags = render_photo(photo, params, np.random.default_rng(seed))
            when = photo.taken.strftime("%Y:%m:%d %H:%M:%S")
            write_jpeg(photos_dir / photo.image, image, params.jpeg_quality, exif_segment(when, photo.camera))
            rows += [[photo.image, *t.box, t.identity, int(t.difficult)] for t in sorted(tags, key=lambda t: t.box)]
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
