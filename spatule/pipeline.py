"""The workflow's stages as plain functions over files: what each script calls.

Each takes paths and config values, writes its outputs, logs what it did and
returns a short summary; the Snakemake scripts only unpack the ``snakemake``
object. Tests call these directly too.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from spatule.identities import assign_identities, describe_sources, identity_sources, read_identities_csv
from spatule.labels import IndexSettings, index_labels, read_objects_csv, too_small_for_tiles, write_objects
from spatule.presets import preset_name, preset_of, train_overrides
from spatule.problems import Severity, SpatuleError, enforce_policy, write_problems
from spatule.split import SPLITS, SplitPlan, assign_groups, check_disjoint, cooccurrence_groups, photo_splits
from spatule.tables import read_csv, write_csv
from spatule.tags import extract_tags, read_tags, write_tags

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

_log = logging.getLogger("spatule")


def index_settings(labels: Mapping[str, Any]) -> IndexSettings:
    """The reading settings from the ``labels`` config section."""
    defaults = IndexSettings()
    return IndexSettings(
        class_name=labels.get("class_name", defaults.class_name),
        name_pattern=labels.get("name_pattern", defaults.name_pattern),
        border_tolerance_px=int(labels.get("border_tolerance_px", defaults.border_tolerance_px)),
        unlabelled_as_background=bool(labels.get("unlabelled_as_background", defaults.unlabelled_as_background)),
        exif_orientation=labels.get("exif_orientation", defaults.exif_orientation),
        verify_pixels=bool(labels.get("verify_pixels", defaults.verify_pixels)),
    )


def index_stage(labels_dir: Path, identities: Path | None, labels_config: Mapping[str, Any], objects_csv: Path,
                problems_csv: Path, threads: int = 1, log: logging.Logger = _log,
                synth_config: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Index the labels folder, resolve identities, write objects.csv and problems.csv.

    With ``synth_config``, photos too small for one tile are recorded (see
    :func:`spatule.labels.too_small_for_tiles`). With ``labels.on_problem: error``
    any defect fails the stage, after problems.csv has been written, with one
    message naming every bad file.
    """
    rows, problems = index_labels(labels_dir, index_settings(labels_config), threads=threads)
    if synth_config is not None:
        rows, small = too_small_for_tiles(rows, int(synth_config["tile_size"]),
                                          bool(synth_config.get("use_labelled_regions", True)))
        problems.extend(small)
    tags = [r for r in rows if r.kind == "tag"]
    id_rows = []
    if identities is not None:
        id_rows, bad = read_identities_csv(identities)
        problems.extend(bad)
        log.info("read %d identity row(s) from %s", len(id_rows), identities)
    tolerance = float(labels_config.get("identity_tolerance_px", 4))
    named, found = assign_identities(tags, id_rows, tolerance, str(identities) if identities else "")
    problems.extend(found)
    by_key = {(t.image, t.object): t for t in named}
    rows = [by_key.get((r.image, r.object), r) if r.kind == "tag" else r for r in rows]
    write_objects(objects_csv, rows)
    write_problems(problems_csv, problems)
    counts = Counter(r.kind for r in rows)
    severities = Counter(p.severity for p in problems)
    log.info("%s: %d tag(s) in %d photo(s), %d background photo(s)", labels_dir, counts["tag"],
             len({t.image for t in tags}), counts["background"])
    log.info("identities: %s", describe_sources(named))
    log.info("problems.csv: %d defect(s), %d warning(s), %d note(s)", severities[Severity.ERROR],
             severities[Severity.WARNING], severities[Severity.INFO])
    for problem in problems:
        if problem.severity is not Severity.INFO:
            log.warning("%s (%s): %s", problem.action.value, problem.code, problem.describe())
    enforce_policy(problems, str(labels_config.get("on_problem", "skip")), f"labels.dir {labels_dir}")
    return {"tags": counts["tag"], "backgrounds": counts["background"], "problems": len(problems)}


def extract_stage(labels_dir: Path, objects_csv: Path, crops_dir: Path, tags_csv: Path, margin_px: int,
                  margin_fraction: float, threads: int = 1, log: logging.Logger = _log) -> int:
    """Cut every indexed tag with its context margin; write the crops and tags.csv."""
    tags = [r for r in read_objects_csv(objects_csv) if r.kind == "tag"]
    crops = extract_tags(labels_dir, tags, crops_dir, margin_px, margin_fraction, threads)
    write_tags(tags_csv, crops)
    narrow = [c for c in crops if min(c.box_x0, c.box_y0, c.crop_x1 - c.crop_x0 - c.box_x1,
                                      c.crop_y1 - c.crop_y0 - c.box_y1) < 2]
    log.info("cut %d tag crop(s) from %d photo(s) into %s", len(crops), len({c.image for c in crops}), crops_dir)
    for crop in narrow:
        log.warning("%s: tag touches the photo border, less than 2 px of context on one side", crop.tag_id)
    return len(crops)


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


def split_stage(objects_csv: Path, tags_csv: Path, split_config: Mapping[str, Any], identities_out: Path,
                backgrounds_out: Path, photos_out: Path, summary_out: Path, log: logging.Logger = _log) -> dict:
    """Assign identities and background photos to train/val/test, disjoint, and write the tables."""
    plan = SplitPlan(float(split_config["val_fraction"]), float(split_config["test_fraction"]),
                     int(split_config["seed"]))
    rows = read_objects_csv(objects_csv)
    crops = read_tags(tags_csv)
    if not crops:
        raise SpatuleError(f"no usable tag in the labels ({objects_csv} has no tag row): "
                           f"{objects_csv.parent / 'problems.csv'} says why each labelled file was not used")
    tag_count = Counter(c.identity for c in crops)
    identity_photos: dict[str, set[str]] = defaultdict(set)
    source = {}
    for crop in crops:
        identity_photos[crop.identity].add(crop.image)
        source[crop.identity] = crop.identity_source
    identity_split = assign_identities_to_splits(crops, tag_count, plan,
                                                 bool(split_config.get("keep_photos_whole", True)), log)
    backgrounds = sorted({r.image for r in rows if r.kind == "background"})
    background_split = assign_groups({b: 1 for b in backgrounds}, plan, "background photos") if backgrounds else {}
    check_disjoint({s: {i for i, v in identity_split.items() if v == s} for s in SPLITS}, "identity")
    check_disjoint({s: {b for b, v in background_split.items() if v == s} for s in SPLITS}, "background photo")
    photos = photo_splits([(c.image, c.identity) for c in crops], identity_split)
    write_csv(identities_out, ["identity", "split", "tags", "photos", "source"],
              [[i, identity_split[i], tag_count[i], len(identity_photos[i]), source[i]]
               for i in sorted(identity_split)])
    write_csv(backgrounds_out, ["image", "split"], [[b, background_split[b]] for b in backgrounds])
    write_csv(photos_out, ["image", "split", "tags"],
                [[p, s, sum(1 for c in crops if c.image == p)] for p, s in photos.items()])
    sources = identity_sources(crops)  # type: ignore[arg-type]
    summary = {
        "seed": plan.seed,
        "fractions": {"val": plan.val_fraction, "test": plan.test_fraction},
        "splits": {
            s: {
                "identities": sum(1 for v in identity_split.values() if v == s),
                "tags": sum(tag_count[i] for i, v in identity_split.items() if v == s),
                "labelled_photos": sum(1 for v in photos.values() if v == s),
                "background_photos": sum(1 for v in background_split.values() if v == s),
            }
            for s in SPLITS
        },
        "mixed_photos": sum(1 for v in photos.values() if v == "mixed"),
        "identity_sources": {k: sources[k] for k in sorted(sources)},
        "identities_known": sources["photo"] == 0,
        "identity_note": describe_sources(crops),  # type: ignore[arg-type]
    }
    summary_out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for split in SPLITS:
        log.info("%-5s: %s", split, summary["splits"][split])
    if not summary["identities_known"]:
        log.warning("%s", summary["identity_note"])
    for split in SPLITS:
        if split != "train" and backgrounds and summary["splits"][split]["background_photos"] == 0 and \
                any(f > 0 for s, f in plan.held_out if s == split):
            log.warning("no background photo in %s", split)
    if not backgrounds:
        log.warning("no background (tag-free) photo at all: synthesis will have no ground to paste tags on")
    return summary


# --- synthesis --------------------------------------------------------------------------------


def synthesize_stage(split: str, shard: int, shards: int, count: int, seed: int, synth: Mapping[str, Any],
                     class_name: str, labels_dir: Path, crops_dir: Path, tables: Mapping[str, Path], out_dir: Path,
                     threads: int = 1, log: logging.Logger = _log, info_bar_px: int = 0) -> int:
    """Plan the split's tiles and render shard ``shard`` of ``shards`` into ``out_dir``."""
    import cv2

    from spatule.images import read_photo
    from spatule.synth import (fits_tile, plan_digest, plan_split, render_shard, shard_tiles, synth_settings,
                               synth_sources)
    from spatule.coco import RECORD_COLUMNS, record_rows

    settings = synth_settings(synth, info_bar_px)
    grounds, tags = synth_sources(split, tables["objects"], tables["problems"], tables["backgrounds"],
                                  tables["photos"], tables["identities"], tables["tags"],
                                  settings.use_labelled_regions, log, settings.tags_in_place)
    for ground in grounds:
        if ground.width < settings.tile_size or ground.height < settings.tile_size:
            log.warning("%s: %dx%d photo is smaller than a %d px tile; not used",
                        ground.image, ground.width, ground.height, settings.tile_size)
    for tag in tags:
        if not fits_tile(tag, 1.0, 0.0, False, settings.clone_pad_px, settings.tile_size):
            log.warning("%s: the %dx%d px tag (with %d px clone pad) is larger than a %d px tile: pasted shrunk to fit "
                        "(see the scale column of tiles.csv)", tag.tag_id, tag.box[2] - tag.box[0],
                        tag.box[3] - tag.box[1], settings.clone_pad_px, settings.tile_size)
    plan = plan_split(split, count, seed, grounds, tags, settings)
    part = shard_tiles(plan, shards)[shard]
    by_image = {g.image: g for g in grounds}
    by_tag = {t.tag_id: t for t in tags}

    def read_ground(image: str):
        ground = by_image[image]
        return read_photo(labels_dir / image, ground.orientation, ground.orientation_applied)

    def read_crop(tag_id: str):
        path = crops_dir / by_tag[tag_id].file
        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if pixels is None:
            raise SpatuleError(f"{path}: cannot read the tag crop")
        return pixels

    render_shard(part, out_dir, read_ground, read_crop, by_tag, settings, class_name, threads)
    write_csv(out_dir / "tiles.csv", RECORD_COLUMNS, record_rows(part, f"{split}/{out_dir.name}"))
    log.info("%s shard %d/%d: %d of %d tiles from %d photo(s), %d tag(s); %d ground photo(s), %d tag crop(s) in "
             "the split; plan %s", split, shard + 1, shards, len(part), len(plan), len({s.image for s in part}),
             sum(len(s.pastes) for s in part), len(grounds), len(tags), plan_digest(plan))
    return len(part)


def coco_stage(split: str, shard_dirs: list[Path], tile_size: int, class_name: str, json_out: Path, csv_out: Path,
               sheet_out: Path, sheet_tiles: int = 12, log: logging.Logger = _log) -> dict:
    """Gather a split's shards: COCO JSON, the joined record table and a contact sheet."""
    import cv2

    from spatule.figures import comparison_sheet, write_image
    from spatule.metrics import ImageDetections, ImageTruth
    from spatule.coco import RECORD_COLUMNS, coco_dataset, write_json

    records = [r for d in sorted(shard_dirs) for r in read_csv(d / "tiles.csv")]
    records.sort(key=lambda r: (r["tile"], int(r["paste"])))
    dataset = coco_dataset(records, tile_size, class_name)
    write_json(json_out, dataset)
    write_csv(csv_out, RECORD_COLUMNS, [[r[c] for c in RECORD_COLUMNS] for r in records])
    root = json_out.parent
    boxes: dict[int, list] = defaultdict(list)
    for a in dataset["annotations"]:
        x, y, w, h = a["bbox"]
        boxes[a["image_id"]].append((x, y, x + w, y + h))
    with_tags = [im for im in dataset["images"] if boxes[im["id"]]]
    without = [im for im in dataset["images"] if not boxes[im["id"]]]
    chosen = (with_tags[: sheet_tiles - min(2, len(without))] + without[:2])[:sheet_tiles]
    cells = [(cv2.imread(str(root / im["file_name"])), ImageTruth(tile_size, tile_size, tuple(boxes[im["id"]])),
              ImageDetections(), f"{Path(im['file_name']).stem}: {len(boxes[im['id']])} tag(s)") for im in chosen]
    write_image(sheet_out, comparison_sheet(cells, title=f"{split}: synthetic tiles, labels green"))
    log.info("%s: %d tiles, %d tags, %d tag-free tiles -> %s", split, len(dataset["images"]),
             len(dataset["annotations"]), len(without), json_out)
    return {"tiles": len(dataset["images"]), "tags": len(dataset["annotations"])}


# --- training and export -----------------------------------------------------------------------

def devices_stage(train: Mapping[str, Any], out_json: Path, log: logging.Logger = _log) -> dict:
    """Rule ``devices``, before anything else for a preset that needs a GPU: what TensorFlow sees on a
    training node and how the preset would run there; stops with the install hint when no GPU is
    visible (in seconds, not after the synthesis)."""
    from spatule.devices import describe, device_plan

    preset = preset_name(train)
    seen = describe()
    for gpu in seen["gpus"]:
        log.info("%s: %s, compute capability %s", gpu["device"], gpu["name"], gpu["compute_capability"])
    plan = device_plan(preset_of(train), len(seen["gpus"]), seen["problem"], preset)
    log.info("preset %s: %s", preset, plan.summary())
    record = {**seen, "preset": preset, "plan": plan.as_dict()}
    out_json.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def training_experiment(train: Mapping[str, Any], train_records: Sequence[Path], val_records: Sequence[Path],
                        val_json: Path, pretrained: Path | None = None, gpus: int | None = None,
                        extra: Mapping[str, Any] | None = None) -> "ExperimentConfig":
    """The experiment the training rules run: the ``train`` config section (preset + overrides, the
    workflow keys left out), ``extra`` overrides on top, on the GPUs TensorFlow sees (``gpus``: a count
    to plan for instead); ``pretrained``: the folder of rule ``pretrained`` (``pretrained.name``)."""
    from spatule.model import experiment_config

    overrides = {**train_overrides(train), **dict(extra or {})}
    return experiment_config(preset_name(train), [str(p) for p in train_records],
                             [str(p) for p in val_records], str(val_json), overrides, gpus=gpus,
                             pretrained=pretrained)


def train_stage(train: Mapping[str, Any], train_records: list[Path], val_records: list[Path], val_json: Path,
                model_dir: Path, metrics_json: Path, threads: int = 1, pretrained: Path | None = None,
                log: logging.Logger = _log) -> dict:
    """Build the preset's Model Garden experiment and train it into ``model_dir`` (resuming)."""
    from spatule.model import train as run_training

    config = training_experiment(train, train_records, val_records, val_json, pretrained)
    log.info("preset %s: %s, input %s, %d steps, batch %d", preset_name(train),
             config.task.model.backbone.type, config.task.model.input_size[:2], config.trainer.train_steps,
             config.task.train_data.global_batch_size)
    result = run_training(config, model_dir, log=log, threads=threads, metrics_json=metrics_json)
    log.info("trained steps %s -> %s: loss %.4f, val AP %s AP50 %s, %s steps/s", result.get("start_step"),
             result.get("final_step"), result.get("loss", float("nan")), result.get("AP"), result.get("AP50"),
             result.get("steps_per_second"))
    return result


def train_hard_stage(train: Mapping[str, Any], hard: Mapping[str, Any], train_records: list[Path],
                     val_records: list[Path], val_json: Path, base_dir: Path,
                     model_dir: Path, metrics_json: Path, before_json: Path, report_json: Path, labels_dir: Path,
                     tables: Mapping[str, Path], search: Any, threads: int = 1, log: logging.Logger = _log) -> dict:
    """Second round: continue from the first model's weights (``base_dir``) on ``train_records``
    (the synthetic tiles plus the hard negatives, dealt over the shards), then count the new model's
    false boxes on the photos the first model was counted on (``report_json``: ``before`` and ``after``)."""
    from spatule.search import tile_detector
    from spatule.model import checkpoint_detector, train as run_training
    from spatule.negatives import false_boxes_per_photo, mining_settings

    settings = mining_settings(hard)
    first = preset_of(train)
    config = training_experiment(train, train_records, val_records, val_json, extra={
        "steps": settings.steps, "init_checkpoint": str(base_dir), "init_checkpoint_modules": "all",
        # a gentle restart: at the first round's peak rate the fine-tuning undoes what it learnt
        "learning_rate": settings.learning_rate or first.learning_rate / 20,
        "warmup_steps": max(1, min(first.warmup_steps, settings.steps // 10))})
    log.info("round 2: %d steps from %s at learning rate %g", settings.steps, base_dir,
             config.trainer.optimizer_config.learning_rate.cosine.initial_learning_rate)
    result = run_training(config, model_dir, log=log, threads=threads, metrics_json=metrics_json)
    after, _ = false_boxes_per_photo(labels_dir, tables, tile_detector(checkpoint_detector(model_dir)),
                                     search.with_threshold(settings.score), log)
    before = json.loads(before_json.read_text(encoding="utf-8"))
    report = {"score": settings.score, "tiles": before.get("tiles"), "before": before["before"], "after": after}
    report_json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name in ("mining", "held_out"):
        log.info("%s photos: false boxes per photo %s before, %s after the hard negatives", name,
                 before["before"][name]["per_photo"], after[name]["per_photo"])
    return result


def export_stage(model_dir: Path, saved_model: Path, tflite: Path | None = None, log: logging.Logger = _log) -> dict:
    """Export the newest checkpoint of ``model_dir`` as SavedModel (uint8 images in), and TFLite when asked."""
    from spatule.model import export, read_config

    config = read_config(model_dir / "params.yaml")
    paths = export(config, model_dir, saved_model, tflite_path=tflite, log=log)
    log.info("exported %s", paths)
    return paths


def tflite_stage(model_dir: Path, tflite: Path, log: logging.Logger = _log) -> str:
    """The newest checkpoint of ``model_dir`` as a TFLite model."""
    from spatule.model import export_tflite, read_config

    return export_tflite(read_config(model_dir / "params.yaml"), model_dir, tflite, log=log)
