"""Rules ``synthesize``, ``coco`` and ``tfrecords``: synthetic tiles per shard, gathered per split, written
as TFRecords."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from spatule.problems import SpatuleError
from spatule.progress import Progress
from spatule.tables import read_csv, write_csv

if TYPE_CHECKING:  # pragma: no cover - typing only; the stage imports spatule.synth when it runs
    from spatule.synth import Ground, SynthSettings, TagSource

_log = logging.getLogger("spatule")


@dataclass(frozen=True)
class Shard:
    """One synthesize job: shard ``index`` (from 0) of split ``split``'s tiles; how many shards, tiles and the
    seed are the ``synth`` section's (``shards``, ``tiles``, ``seed``)."""

    split: str
    index: int


@dataclass(frozen=True)
class SynthInputs:
    """What synthesis reads: the labelled photos, the tag crops (rule extract_tags) and the tables ``objects``,
    ``problems`` (index_labels), ``backgrounds``, ``photos``, ``identities`` (split) and ``tags`` (extract_tags)."""

    labels_dir: Path
    crops_dir: Path
    tables: Mapping[str, Path]


def synthesize(shard: Shard, synth: Mapping[str, Any], class_name: str, inputs: SynthInputs, out_dir: Path,
               threads: int = 1, log: logging.Logger = _log, info_bar_px: int = 0) -> int:
    """Plan the split's tiles and render shard ``shard`` into ``out_dir``."""
    from spatule.coco import RECORD_COLUMNS, record_rows
    from spatule.synth import plan_digest, plan_split, render_shard, shard_tiles, synth_settings, synth_sources

    split, shards = shard.split, int(synth["shards"])
    settings = synth_settings(synth, info_bar_px)
    tables = inputs.tables
    grounds, tags = synth_sources(split, tables["objects"], tables["problems"], tables["backgrounds"],
                                  tables["photos"], tables["identities"], tables["tags"],
                                  settings.use_labelled_regions, log, settings.tags_in_place)
    warn_oversized(grounds, tags, settings, log)
    plan = plan_split(split, int(synth["tiles"][split]), int(synth["seed"]), grounds, tags, settings)
    part = shard_tiles(plan, shards)[shard.index]
    by_tag = {t.tag_id: t for t in tags}
    read_ground, read_crop = pixel_readers(inputs, grounds, by_tag)
    render_shard(part, out_dir, read_ground, read_crop, by_tag, settings, class_name, threads,
                 Progress(len(part), f"{split} shard {shard.index + 1}/{shards}: tiles rendered", log))
    write_csv(out_dir / "tiles.csv", RECORD_COLUMNS, record_rows(part, f"{split}/{out_dir.name}"))
    log.info("%s shard %d/%d: %d of %d tiles from %d photo(s), %d tag(s); %d ground photo(s), %d tag crop(s) in "
             "the split; plan %s", split, shard.index + 1, shards, len(part), len(plan), len({s.image for s in part}),
             sum(len(s.pastes) for s in part), len(grounds), len(tags), plan_digest(plan))
    return len(part)


def warn_oversized(grounds: Sequence[Ground], tags: Sequence[TagSource], settings: SynthSettings,
                   log: logging.Logger = _log) -> None:
    """Warn about each ground photo smaller than a tile (not used) and each tag larger than one (pasted shrunk)."""
    from spatule.synth import fits_tile

    for ground in grounds:
        if ground.width < settings.tile_size or ground.height < settings.tile_size:
            log.warning("%s: %dx%d photo is smaller than a %d px tile; not used",
                        ground.image, ground.width, ground.height, settings.tile_size)
    for tag in tags:
        if not fits_tile(tag, 1.0, 0.0, False, settings.clone_pad_px, settings.tile_size):
            log.warning("%s: the %dx%d px tag (with %d px clone pad) is larger than a %d px tile: pasted shrunk to fit "
                        "(see the scale column of tiles.csv)", tag.tag_id, tag.box[2] - tag.box[0],
                        tag.box[3] - tag.box[1], settings.clone_pad_px, settings.tile_size)


def pixel_readers(inputs: SynthInputs, grounds: Sequence[Ground], by_tag: Mapping[str, TagSource]
                  ) -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    """How :func:`spatule.synth.render_shard` reads a ground photo (by image name, oriented as labelled) and a
    tag crop (by tag id)."""
    import cv2

    from spatule.labels.photos import read_photo

    by_image = {g.image: g for g in grounds}

    def read_ground(image: str):
        ground = by_image[image]
        return read_photo(inputs.labels_dir / image, ground.orientation, ground.orientation_applied)

    def read_crop(tag_id: str):
        path = inputs.crops_dir / by_tag[tag_id].file
        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if pixels is None:
            raise SpatuleError(f"{path}: cannot read the tag crop")
        return pixels

    return read_ground, read_crop


@dataclass(frozen=True)
class CocoOutputs:
    """What rule coco writes for a split: the COCO JSON, the joined record table and the contact sheet."""

    json: Path
    records: Path
    sheet: Path


def coco(split: str, shard_dirs: list[Path], tile_size: int, class_name: str, outputs: CocoOutputs,
         sheet_tiles: int = 12, log: logging.Logger = _log) -> dict:
    """Gather a split's shards: COCO JSON, the joined record table and a contact sheet."""
    from spatule.coco import RECORD_COLUMNS, coco_dataset, write_json

    records = [r for d in sorted(shard_dirs) for r in read_csv(d / "tiles.csv")]
    records.sort(key=lambda r: (r["tile"], int(r["paste"])))
    dataset = coco_dataset(records, tile_size, class_name)
    write_json(outputs.json, dataset)
    write_csv(outputs.records, RECORD_COLUMNS, [[r[c] for c in RECORD_COLUMNS] for r in records])
    without = tile_sheet(split, dataset, tile_size, outputs, sheet_tiles)
    log.info("%s: %d tiles, %d tags, %d tag-free tiles -> %s", split, len(dataset["images"]),
             len(dataset["annotations"]), without, outputs.json)
    return {"tiles": len(dataset["images"]), "tags": len(dataset["annotations"])}


def tile_sheet(split: str, dataset: Mapping[str, Any], tile_size: int, outputs: CocoOutputs,
               sheet_tiles: int = 12) -> int:
    """The contact sheet of a split's tiles (``sheet_tiles`` of them, two tag-free ones among them when there
    are), labels green; returns how many tiles of the split are tag-free."""
    import cv2

    from spatule.figures import comparison_sheet, write_image
    from spatule.metrics import ImageDetections, ImageTruth

    root = outputs.json.parent
    boxes: dict[int, list] = defaultdict(list)
    for a in dataset["annotations"]:
        x, y, w, h = a["bbox"]
        boxes[a["image_id"]].append((x, y, x + w, y + h))
    with_tags = [im for im in dataset["images"] if boxes[im["id"]]]
    without = [im for im in dataset["images"] if not boxes[im["id"]]]
    chosen = (with_tags[: sheet_tiles - min(2, len(without))] + without[:2])[:sheet_tiles]
    cells = [(cv2.imread(str(root / im["file_name"])), ImageTruth(tile_size, tile_size, tuple(boxes[im["id"]])),
              ImageDetections(), f"{Path(im['file_name']).stem}: {len(boxes[im['id']])} tag(s)") for im in chosen]
    write_image(outputs.sheet, comparison_sheet(cells, title=f"{split}: synthetic tiles, labels green"))
    return len(without)


def tfrecords(coco_jsons: Sequence[Path], records: Sequence[Path], shards: Mapping[str, int], class_name: str,
              label_map_out: Path, log: logging.Logger = _log) -> dict[str, dict[str, int]]:
    """Each split's COCO JSON and tiles as its TFRecord files (``records``, named by
    :func:`spatule.tfrecords.record_files`), and the label map."""
    from spatule.tfrecords import label_map, record_files, write_split

    counts = {}
    for coco_json in map(Path, coco_jsons):
        split = coco_json.stem
        names = set(record_files(split, int(shards[split])))
        outputs = [p for p in records if p.name in names]
        counts[split] = write_split(coco_json, outputs, class_name)
        log.info("%s: %d tiles, %d tags in %d shard(s)", split, counts[split]["tiles"], counts[split]["tags"],
                 len(outputs))
    label_map_out.write_text(label_map(class_name), encoding="utf-8")
    return counts
