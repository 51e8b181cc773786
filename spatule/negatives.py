"""Hard negatives: where the first model sees tags that are not there.

The first training round learns from synthetic tiles; what it still gets wrong on
whole photos (nest markers, litter, the info bar, a crowd of white birds) shows up as
confident boxes on ground known to hold no tag. :func:`spatule.stages.mine_negatives` searches
the train split's photos exactly as ``detect`` searches new ones, keeps the boxes
that touch no labelled tag, cuts a tile around each (placed at random around the box,
clear of every labelled tag) and writes them as tag-free tiles, and the second round's
training records: the synthetic train tiles and these, dealt out over the same number of
files (the Model Garden's reader takes the files in turn, so a file of its own would be
read as often as a whole shard of tiles); the second round continues from the first
model's weights on them.
:func:`false_boxes_per_photo` counts the false boxes of a model on a set of photos,
before and after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.config import default
from spatule.geometry import Rect, overlaps
from spatule.detection.tiling import Detection, Detector

_log = logging.getLogger("spatule")


NEGATIVE_COLUMNS = ["tile", "file", "photo", "window_x", "window_y", "x0", "y0", "x1", "y1", "score"]
"""Columns of ``results/negatives/negatives.csv``: each tile, the photo and window it was cut
from, and the false detection it was cut around (photo pixels)."""

SOURCE_ID_BASE = 1_000_000
"""``image/source_id`` of hard-negative tile ``i`` is this plus ``i`` (synthetic tiles use 1..N)."""


@dataclass(frozen=True)
class MiningSettings:
    """The ``hard_negatives`` config section: which false boxes become tiles, and the second round."""

    enabled: bool = default("hard_negatives", "enabled")
    score: float = default("hard_negatives", "score")
    per_photo: int = default("hard_negatives", "per_photo")
    tiles: int = default("hard_negatives", "tiles")
    steps: int = default("hard_negatives", "steps")
    learning_rate: float | None = default("hard_negatives", "learning_rate")
    seed: int = default("hard_negatives", "seed")


def mining_settings(section: Mapping[str, Any] | None) -> MiningSettings:
    """The settings from the ``hard_negatives`` config section (unset keys keep the defaults)."""
    known = MiningSettings.__dataclass_fields__
    return MiningSettings(**{k: v for k, v in dict(section or {}).items() if k in known and v is not None})


def false_detections(found: Sequence[Detection], tags: Sequence[Sequence[float]], gap: int = 8) -> list[Detection]:
    """The detections that touch no labelled tag (grown by ``gap``): surely not a tag, whatever
    the labeller would have said about a detection half on a tag."""
    return [d for d in found
            if not any(overlaps(tuple(int(round(v)) for v in d.box), tuple(int(v) for v in t), gap) for t in tags)]


def negative_window(box: Sequence[float], width: int, height: int, tile: int, avoid: Sequence[Sequence[float]],
                    rng: np.random.Generator, gap: int = 8, tries: int = 30) -> tuple[int, int] | None:
    """A ``tile`` window inside the photo holding ``box``, at a random place around it, that keeps
    ``gap`` px from every box of ``avoid`` (the labelled tags); None when there is none."""
    if width < tile or height < tile:
        return None
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    lo_x, hi_x = max(0, x1 - tile), min(x0, width - tile)
    lo_y, hi_y = max(0, y1 - tile), min(y0, height - tile)
    if lo_x > hi_x or lo_y > hi_y:  # a box larger than a tile: centre the window on it
        lo_x = hi_x = min(max(0, (x0 + x1 - tile) // 2), width - tile)
        lo_y = hi_y = min(max(0, (y0 + y1 - tile) // 2), height - tile)
    for _ in range(tries):
        x, y = int(rng.integers(lo_x, hi_x + 1)), int(rng.integers(lo_y, hi_y + 1))
        window = (x, y, x + tile, y + tile)
        if not any(overlaps(window, tuple(int(v) for v in t), gap) for t in avoid):
            return x, y
    return None


@dataclass(frozen=True)
class NegativeTile:
    """A tag-free tile cut around a false detection."""

    photo: str
    window_x: int
    window_y: int
    detection: Detection


def plan_negatives(false_by_photo: Mapping[str, Sequence[Detection]], tags_by_photo: Mapping[str, Sequence],
                   sizes: Mapping[str, tuple[int, int]], tile: int, settings: MiningSettings,
                   gap: int = 8) -> list[NegativeTile]:
    """Tiles around the most confident false detections: at most ``per_photo`` per photo (best
    first; a detection already inside a chosen tile adds none), at most ``tiles`` in all (best
    first across photos). Deterministic: each photo draws from its own stream (seed, name)."""
    chosen: list[NegativeTile] = []
    for photo in sorted(false_by_photo):
        rng = np.random.default_rng([settings.seed, *photo.encode("utf-8")])
        width, height = sizes[photo]
        taken: list[Rect] = []
        for d in sorted(false_by_photo[photo], key=lambda d: (-d.score, d.box))[: 4 * settings.per_photo]:
            if sum(1 for c in chosen if c.photo == photo) >= settings.per_photo:
                break
            if any(w[0] <= d.x0 and w[1] <= d.y0 and d.x1 <= w[2] and d.y1 <= w[3] for w in taken):
                continue
            where = negative_window(d.box, width, height, tile, tags_by_photo.get(photo, ()), rng, gap)
            if where is None:
                continue
            taken.append((where[0], where[1], where[0] + tile, where[1] + tile))
            chosen.append(NegativeTile(photo, where[0], where[1], d))
    chosen.sort(key=lambda c: (-c.detection.score, c.photo, c.window_x, c.window_y))
    return sorted(chosen[: settings.tiles], key=lambda c: (c.photo, c.window_y, c.window_x))


def count_false_boxes(truth: Mapping[str, Any], found: Mapping[str, Sequence[Detection]]) -> dict[str, Any]:
    """False boxes per photo (detections matching no countable tag; those on difficult tags do
    not count), as :mod:`spatule.metrics` counts false positives."""
    from spatule.metrics import ImageDetections, match_image

    by_photo = {name: match_image(truth[name], ImageDetections(tuple(d.box for d in found.get(name, ())),
                                                               tuple(d.score for d in found.get(name, ()))))[1]
                for name in sorted(truth)}
    total = sum(by_photo.values())
    return {"photos": len(by_photo), "false_boxes": total,
            "per_photo": round(total / len(by_photo), 3) if by_photo else None, "by_photo": by_photo}


def search_photos(labels_dir: Path, photos: Sequence[Any], detector: Detector, settings: Any,
                  log: logging.Logger = _log) -> dict[str, list[Detection]]:
    """Detections on each :class:`spatule.evaluate.HeldOutPhoto`, searched as ``detect`` searches."""
    from spatule.detection.batches import detect_full_photo, read_rgb

    found = {}
    for k, p in enumerate(photos, start=1):
        found[p.image] = detect_full_photo(read_rgb(labels_dir / p.image, p.orientation, p.orientation_applied),
                                           detector, settings)
        log.info("%d/%d %s: %d box(es) >= %.2f", k, len(photos), p.image, len(found[p.image]),
                 settings.score_threshold)
    return found


def photo_sets(tables: Mapping[str, Path]) -> dict[str, Any]:
    """The photos a model's false boxes are counted on: ``mining`` (the train split's photos,
    tags known) and ``val`` (the val split's, as ``evaluate_val`` takes them: whether the round helps is judged
    there, never on the test photos)."""
    from spatule.evaluate import held_out_photos
    from spatule.labels.objects import read_objects_csv
    from spatule.problems import doubtful_xml, read_problems
    from spatule.tables import read_csv

    objects = read_objects_csv(tables["objects"])
    doubtful = doubtful_xml(read_problems(tables["problems"]))
    return {name: held_out_photos(objects, read_csv(tables["photos"]), read_csv(tables["backgrounds"]), doubtful,
                                  split).photos for name, split in (("mining", "train"), ("val", "val"))}


def false_boxes_per_photo(labels_dir: Path, tables: Mapping[str, Path], detector: Detector, settings: Any,
                          log: logging.Logger = _log) -> tuple[dict[str, Any], dict[str, list[Detection]]]:
    """A model's false boxes on the mining and the val photos; also the mining photos' detections."""
    sets = photo_sets(tables)
    counts, mined = {}, {}
    for name, photos in sets.items():
        found = search_photos(labels_dir, photos, detector, settings, log)
        counts[name] = count_false_boxes({p.image: p.truth for p in photos}, found)
        if name == "mining":
            mined = found
        log.info("%s photos: %d false box(es) on %d photo(s) at score >= %.2f", name, counts[name]["false_boxes"],
                 counts[name]["photos"], settings.score_threshold)
    return counts, mined


def deal_records(train_records: Sequence[Path], extra: Sequence[bytes], outputs: Sequence[Path]) -> int:
    """Write every record of ``train_records`` (in file order), then ``extra``, dealt round-robin
    over ``outputs``; returns how many were written. Deterministic bytes."""
    import tensorflow as tf

    writers = [tf.io.TFRecordWriter(str(path)) for path in outputs]
    count = 0
    try:
        for record in (*(r.numpy() for r in tf.data.TFRecordDataset([str(p) for p in train_records])), *extra):
            writers[count % len(writers)].write(record)
            count += 1
    finally:
        for writer in writers:
            writer.close()
    return count




@dataclass(frozen=True)
class NegativeTiles:
    """Where and how the hard-negative tiles are written: the folder, the tile side, JPEG quality, the class name
    of their (empty) VOC files and records, and ``camera.mask`` as configured (filled grey in the photo first, as
    the search and synthesis fill it)."""

    folder: Path
    tile: int
    jpeg_quality: int
    class_name: str
    mask: tuple[tuple[int, int, int, int], ...] = ()


def write_negative_tiles(plan: Sequence[Any], labels_dir: Path, mining: Mapping[str, Any],
                         out: NegativeTiles) -> tuple[list[list[object]], list[bytes]]:
    """Cut each planned window (:func:`plan_negatives`) from its photo (``mining``: the photos by name) and
    write it as a JPEG and an empty VOC XML; the rows of ``negatives.csv`` and the serialized records."""
    import cv2

    from spatule.detection.mask import fill_mask, resolve_mask
    from spatule.labels.photos import read_photo
    from spatule.synth import TileSpec, tile_xml
    from spatule.tfrecords import example_fields, to_example

    rows, examples = [], []
    pixels, decoded, tile = None, None, out.tile
    for i, neg in enumerate(plan, start=1):  # the plan is in photo order: each photo is decoded once
        p = mining[neg.photo]
        if decoded != neg.photo:
            pixels, decoded = read_photo(labels_dir / neg.photo, p.orientation, p.orientation_applied), neg.photo
            pixels = fill_mask(pixels, resolve_mask(out.mask, pixels.shape[1], pixels.shape[0], neg.photo))
        window = pixels[neg.window_y:neg.window_y + tile, neg.window_x:neg.window_x + tile]
        spec = TileSpec("negatives", i, neg.photo, neg.window_x, neg.window_y, ())
        ok, jpeg = cv2.imencode(".jpg", window, [cv2.IMWRITE_JPEG_QUALITY, int(out.jpeg_quality)])
        if not ok:
            raise OSError(f"could not encode {spec.tile_id}")
        (out.folder / f"{spec.tile_id}.jpg").write_bytes(jpeg.tobytes())
        (out.folder / f"{spec.tile_id}.xml").write_bytes(tile_xml(spec, tile, out.class_name, "negatives"))
        d = neg.detection
        rows.append([spec.tile_id, f"{spec.tile_id}.jpg", neg.photo, neg.window_x, neg.window_y,
                     *(round(v, 1) for v in d.box), round(d.score, 4)])
        image = {"id": SOURCE_ID_BASE + i, "file_name": f"negatives/{spec.tile_id}.jpg", "width": tile, "height": tile}
        examples.append(to_example(example_fields(image, [], jpeg.tobytes(), out.class_name))
                        .SerializeToString(deterministic=True))
    return rows, examples
