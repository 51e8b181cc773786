"""Rules ``devices``, ``pretrained``, ``train``, ``mine_negatives``, ``train_hard``, ``export`` and ``tflite``.

TensorFlow is imported inside the functions: the workflow's other rules never load it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from spatule.config import default
from spatule.detection.card import ModelCard, card_at
from spatule.detection.engines import Searcher, TrainedModel, searcher
from spatule.evaluate import PhotoTables
from spatule.negatives import (
    NEGATIVE_COLUMNS,
    MiningSettings,
    NegativeTiles,
    deal_records,
    false_boxes_per_photo,
    false_detections,
    mining_settings,
    photo_sets,
    plan_negatives,
    write_negative_tiles,
)
from spatule.presets import PRETRAINED_ROOT, preset_name, preset_of, train_overrides
from spatule.problems import SpatuleError
from spatule.tables import write_csv

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

_log = logging.getLogger("spatule")


def devices(train: Mapping[str, Any], out_json: Path, log: logging.Logger = _log) -> dict:
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


@dataclass(frozen=True)
class TrainingRecords:
    """What a training round reads: its train and val TFRecords and the val tiles' COCO JSON."""

    train: Sequence[Path]
    val: Sequence[Path]
    val_json: Path


@dataclass(frozen=True)
class HardRound:
    """The second round's folders and files: the first model (``base_dir``), its false boxes counted by rule
    ``mine_negatives`` (``before_json``), and where the new model, its metrics and the before/after report go."""

    base_dir: Path
    before_json: Path
    model_dir: Path
    metrics_json: Path
    report_json: Path


def train(train: Mapping[str, Any], records: TrainingRecords, model_dir: Path, metrics_json: Path, threads: int = 1,
          pretrained: Path | None = None, log: logging.Logger = _log) -> dict:
    """Build the preset's Model Garden experiment and train it into ``model_dir`` (resuming)."""
    from spatule.model import run_training

    config = training_experiment(train, records.train, records.val, records.val_json, pretrained)
    log.info("preset %s: %s, input %s, %d steps, batch %d", preset_name(train),
             config.task.model.backbone.type, config.task.model.input_size[:2], config.trainer.train_steps,
             config.task.train_data.global_batch_size)
    return run_training(config, model_dir, log=log, threads=threads, metrics_json=metrics_json)


def train_hard(train: Mapping[str, Any], hard: Mapping[str, Any], records: TrainingRecords, round_two: HardRound,
               photos: PhotoTables, card: ModelCard | Path, threads: int = 1, log: logging.Logger = _log) -> dict:
    """Second round: continue from the first model's weights (``round_two.base_dir``) on ``records.train``
    (the synthetic tiles plus the hard negatives, dealt over the shards), then count the new model's
    false boxes on the photos the first model was counted on, searched with the ``card``'s settings
    (``round_two.report_json``: ``before`` and ``after``)."""
    from spatule.model import checkpoint_detector, run_training
    from spatule.negatives import false_boxes_per_photo, mining_settings
    from spatule.detection.runtimes import tile_detector

    before = json.loads(round_two.before_json.read_text(encoding="utf-8"))
    if set(before.get("before", {})) != {"mining", "val"}:
        raise SpatuleError(f"{round_two.before_json}: false boxes counted by an older spatule (not on the val "
                           "photos); delete it and run again (rule mine_negatives writes it)")
    settings = mining_settings(hard)
    search = (card if isinstance(card, ModelCard) else card_at(card)).settings()  # before training: fail at once
    first = preset_of(train)
    config = training_experiment(train, records.train, records.val, records.val_json, extra={
        "steps": settings.steps, "init_checkpoint": str(round_two.base_dir), "init_checkpoint_modules": "all",
        # a gentle restart: at the first round's peak rate the fine-tuning undoes what it learnt
        "learning_rate": settings.learning_rate or first.learning_rate / 20,
        "warmup_steps": max(1, min(first.warmup_steps, settings.steps // 10))})
    log.info("round 2: %d steps from %s at learning rate %g", settings.steps, round_two.base_dir,
             config.trainer.optimizer_config.learning_rate.cosine.initial_learning_rate)
    result = run_training(config, round_two.model_dir, log=log, threads=threads, metrics_json=round_two.metrics_json)
    after, _ = false_boxes_per_photo(photos.labels_dir, photos.tables,
                                     tile_detector(checkpoint_detector(round_two.model_dir)),
                                     search.with_threshold(settings.score), log)
    report = {"score": settings.score, "tiles": before.get("tiles"), "before": before["before"], "after": after}
    round_two.report_json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name in ("mining", "val"):
        log.info("%s photos: false boxes per photo %s before, %s after the hard negatives", name,
                 before["before"][name]["per_photo"], after[name]["per_photo"])
    return result


def export(model_dir: Path, saved_model: Path, tflite: Path | None = None, log: logging.Logger = _log) -> dict:
    """Export the newest checkpoint of ``model_dir`` as SavedModel (uint8 images in), and TFLite when asked."""
    from spatule.model import export_model
    from spatule.model import read_config

    config = read_config(model_dir / "params.yaml")
    paths = export_model(config, model_dir, saved_model, tflite_path=tflite, log=log)
    log.info("exported %s", paths)
    return paths


def tflite(model_dir: Path, tflite: Path, log: logging.Logger = _log) -> str:
    """The newest checkpoint of ``model_dir`` as a TFLite model."""
    from spatule.model import export_tflite, read_config

    return export_tflite(read_config(model_dir / "params.yaml"), model_dir, tflite, log=log)


@dataclass(frozen=True)
class RoundTwoFiles:
    """Rule ``mine_negatives``' files: the first round's train records in; out, the negatives' tiles folder
    (JPEG + empty VOC XML + ``negatives.csv``), the second round's records and the first model's false-box
    counts."""

    train_records: Sequence[Path]
    tiles_dir: Path
    round_two: Sequence[Path]
    summary_json: Path


def mine_negatives(photos: PhotoTables, model: TrainedModel | Searcher, card: ModelCard | Path,
                   hard: Mapping[str, Any] | MiningSettings, jpeg_quality: int, files: RoundTwoFiles,
                   log: logging.Logger = _log) -> dict[str, Any]:
    """Search the train split's photos with the first model (the ``card``'s search settings, at
    ``hard_negatives.score``), cut tiles around its false boxes and write them, the second round's
    training records (``files.round_two``: the first round's and the negatives, see :func:`deal_records`)
    and the false-box counts of the first model (``files.summary_json``)."""
    settings = hard if isinstance(hard, MiningSettings) else mining_settings(hard)
    card = card if isinstance(card, ModelCard) else card_at(card)
    search = card.settings().with_threshold(settings.score)
    files.tiles_dir.mkdir(parents=True, exist_ok=True)
    counts, found = false_boxes_per_photo(photos.labels_dir, photos.tables, searcher(model, log).load(), search,
                                          log)
    mining = {p.image: p for p in photo_sets(photos.tables)["mining"]}
    false = {name: false_detections(found[name], mining[name].truth.boxes) for name in mining}
    plan = plan_negatives(false, {n: p.truth.boxes for n, p in mining.items()},
                          {n: (p.truth.width, p.truth.height) for n, p in mining.items()}, search.tile_size, settings)
    rows, examples = write_negative_tiles(plan, photos.labels_dir, mining, NegativeTiles(
        files.tiles_dir, search.tile_size, int(jpeg_quality), card.class_name, search.mask))
    write_csv(files.tiles_dir / "negatives.csv", NEGATIVE_COLUMNS, rows)
    files.round_two[0].parent.mkdir(parents=True, exist_ok=True)
    records = deal_records(files.train_records, examples, files.round_two)
    summary = {"score": settings.score, "tiles": len(plan), "false_boxes_not_on_tags": sum(map(len, false.values())),
               "round_two_records": records, "before": counts}
    files.summary_json.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("%d hard-negative tile(s) around %d false box(es) of the first model -> %s", len(plan),
             summary["false_boxes_not_on_tags"], files.tiles_dir)
    return summary


def pretrained(entry: Mapping[str, Any], root: Path = Path(PRETRAINED_ROOT), log: logging.Logger = _log) -> str:
    """The published checkpoint of the ``pretrained`` config section, fetched (``download``) and
    unpacked under ``root``; returns its checkpoint prefix."""
    from spatule.model import Pretrained, pretrained_checkpoint

    prefix = pretrained_checkpoint(Pretrained(entry["url"], entry.get("sha256") or None, entry["name"]), root,
                                   fetch=bool(entry.get("download", default("pretrained", "download"))))
    log.info("checkpoint ready: %s", prefix)
    return prefix
