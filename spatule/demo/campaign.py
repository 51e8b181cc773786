"""Writing the demo campaign: the photos, a labelImg-style Pascal VOC XML beside each, and
``identities.csv``, which says which bird (code) each box shows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

import cv2
import numpy as np

from spatule.demo.photo import DemoTag, render_photo
from spatule.demo.plan import DemoParams, PlannedPhoto, plan_campaign
from spatule.labels.voc import VocAnnotation, voc_object, voc_text

FOREIGN_ROOT = PurePosixPath("/home/fieldwork/camera-trap")
"""Where the photos lay on the labeller's machine (``<path>`` in the XML, as labelImg writes)."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_campaign` wrote."""

    photos: int
    tag_photos: int
    background_photos: int
    tags: int
    identities: int
    difficult: int = 0
    truncated: int = 0
    occluded: int = 0
    night_photos: int = 0


def photo_xml(image: str, width: int, height: int, tags: Sequence[DemoTag]) -> str:
    """The VOC XML of the photo ``image`` (relative to the photos folder, forward slashes) as
    labelImg writes it on the labeller's machine, under :data:`FOREIGN_ROOT`."""
    rel = PurePosixPath(image)
    folder = rel.parent.name if rel.parent.name else FOREIGN_ROOT.name
    objects = tuple(voc_object(k, "tag", t.box, difficult=t.difficult, truncated=t.truncated)
                    for k, t in enumerate(tags, start=1))
    annotation = VocAnnotation(filename=rel.name, folder=folder, path=str(FOREIGN_ROOT / rel), width=width,
                               height=height, objects=objects)
    return voc_text(annotation)


def write_jpeg(target: Path, image: np.ndarray, quality: int, exif: bytes = b"") -> None:
    """Write a demo photo as JPEG (its folder made), with an EXIF segment when ``exif`` is given."""
    from spatule.labels.photos import with_exif

    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError(f"demo: JPEG encoding failed for {target}")
    target.write_bytes(with_exif(encoded.tobytes(), exif) if exif else encoded.tobytes())


def _write_photo(photos_dir: Path, photo: PlannedPhoto, image: np.ndarray, tags: list[DemoTag],
                 params: DemoParams) -> None:
    """Write one photo as JPEG and its XML beside it."""
    target = photos_dir / photo.image
    write_jpeg(target, image, params.jpeg_quality)
    xml = photo_xml(photo.image, params.width, params.height, tags)
    target.with_suffix(".xml").write_text(xml, encoding="utf-8")


def _write_identities(identities_csv: Path, rows: list[tuple[str, int, int, int, int, str]]) -> None:
    """Write ``identities.csv``: one row per box, by photo then left to right."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    identities_csv.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["image", "xmin", "ymin", "xmax", "ymax", "identity"])
    writer.writerows(rows)
    identities_csv.write_text(buffer.getvalue(), encoding="utf-8")


def campaign_seeds(params: DemoParams) -> tuple[np.random.SeedSequence, list[np.random.SeedSequence],
                                                np.random.SeedSequence]:
    """The seeds of the campaign's plan and of each of its photos, and one it never uses (the new day's,
    :mod:`spatule.demo.new_day`), all children of ``params.seed``."""
    plan, *photos, spare = np.random.SeedSequence(params.seed).spawn(params.photos + 2)
    return plan, photos, spare


def _draw_photo(job: tuple[PlannedPhoto, np.random.SeedSequence, DemoParams, Path]) -> tuple[list[DemoTag], bool]:
    """Draw and write one photo from its own seed; its tags, and whether it is a grey night frame."""
    photo, seed, params, photos_dir = job
    image, tags = render_photo(photo, params, np.random.default_rng(seed))
    _write_photo(photos_dir, photo, image, tags, params)
    return tags, bool(np.all(image[:, :, 0] == image[:, :, 2]))


def generate_campaign(photos_dir: Path, identities_csv: Path, params: DemoParams, workers: int = 1) -> DemoSummary:
    """Write the demo campaign: photos with VOC XML beside them, and ``identities_csv``.

    ``photos_dir`` is created; it must not hold anything yet (nothing stale is left
    behind). The output is byte-identical for equal ``params``, whatever ``workers`` (processes) draw it:
    each photo has its own seed.
    """
    photos_dir = Path(photos_dir)
    identities_csv = Path(identities_csv)
    photos_dir.mkdir(parents=True, exist_ok=True)
    if any(photos_dir.iterdir()):
        raise FileExistsError(f"demo photos folder {photos_dir} is not empty; remove it first")
    plan_seed, photo_seeds, _ = campaign_seeds(params)
    planned = plan_campaign(params, np.random.default_rng(plan_seed))
    rows: list[tuple[str, int, int, int, int, str]] = []
    shown: list[DemoTag] = []
    nights = 0
    jobs = [(photo, seed, params, photos_dir) for photo, seed in zip(planned, photo_seeds, strict=True)]
    from spatule.pools import map_in_processes

    drawn = map_in_processes(_draw_photo, jobs, workers, chunksize=4)
    for photo, (tags, night) in zip(planned, drawn):
        rows += [(photo.image, *t.box, t.identity) for t in tags]
        shown += tags
        nights += int(night)
    _write_identities(identities_csv, rows)
    tag_photos = sum(1 for p in planned if p.codes)
    return DemoSummary(photos=len(planned), tag_photos=tag_photos, background_photos=len(planned) - tag_photos,
                       tags=len(rows), identities=len({t.identity for t in shown if not t.difficult}),
                       difficult=sum(t.difficult for t in shown), truncated=sum(t.truncated for t in shown),
                       occluded=sum(t.occluded for t in shown), night_photos=nights)
