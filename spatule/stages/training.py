"""Rules ``devices``, ``pretrained``, ``train``, ``mine_negatives``, ``train_hard``, ``export`` and ``tflite``.

TensorFlow is imported inside the functions: the workflow's other rules never load it."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from spatule.config import default
from spatule.negatives import (
    NEGATIVE_COLUMNS,
    SOURCE_ID_BASE,
    MiningSettings,
    deal_records,
    false_boxes_per_photo,
    false_detections,
    photo_sets,
    plan_negatives,
)
from spatule.presets import PRETRAINED_ROOT, preset_name, preset_of, train_overrides
from spatule.problems import SpatuleError
from spatule.tables import write_csv
from spatule.detection.tiling import Detector

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


def train(train: Mapping[str, Any], train_records: list[Path], val_records: list[Path], val_json: Path,
          model_dir: Path, metrics_json: Path, threads: int = 1, pretrained: Path | None = None,
          log: logging.Logger = _log) -> dict:
    """Build the preset's Model Garden experiment and train it into ``model_dir`` (resuming)."""
    from spatule.model import run_training

    config = training_experiment(train, train_records, val_records, val_json, pretrained)
    log.info("preset %s: %s, input %s, %d steps, batch %d", preset_name(train),
             config.task.model.backbone.type, config.task.model.input_size[:2], config.trainer.train_steps,
             config.task.train_data.global_batch_size)
    return run_training(config, model_dir, log=log, threads=threads, metrics_json=metrics_json)


def train_hard(train: Mapping[str, Any], hard: Mapping[str, Any], train_records: list[Path],
               val_records: list[Path], val_json: Path, base_dir: Path,
               model_dir: Path, metrics_json: Path, before_json: Path, report_json: Path, labels_dir: Path,
               tables: Mapping[str, Path], search: Any, threads: int = 1, log: logging.Logger = _log) -> dict:
    """Second round: continue from the first model's weights (``base_dir``) on ``train_records``
    (the synthetic tiles plus the hard negatives, dealt over the shards), then count the new model's
    false boxes on the photos the first model was counted on (``report_json``: ``before`` and ``after``)."""
    from spatule.model import checkpoint_detector
    from spatule.model import run_training
    from spatule.negatives import false_boxes_per_photo, mining_settings
    from spatule.detection.runtimes import tile_detector

    before = json.loads(before_json.read_text(encoding="utf-8"))
    if set(before.get("before", {})) != {"mining", "val"}:
        raise SpatuleError(f"{before_json}: false boxes counted by an older spatule (not on the val photos); "
                           "delete it and run again (rule mine_negatives writes it)")
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
    report = {"score": settings.score, "tiles": before.get("tiles"), "before": before["before"], "after": after}
    report_json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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


def mine_negatives(labels_dir: Path, tables: Mapping[str, Path], detector: Callable[[], Detector],
                   search: Any, settings: MiningSettings, tile: int, jpeg_quality: int, class_name: str,
                   out_dir: Path, train_records: Sequence[Path], round_two: Sequence[Path], summary_json: Path,
                   log: logging.Logger = _log) -> dict[str, Any]:
    """Search the train split's photos with the first model, cut tiles around its false boxes, write
    them (JPEG + empty VOC XML + ``negatives.csv`` in ``out_dir``), the second round's training
    records (``round_two``: ``train_records`` and the negatives, see :func:`deal_records`) and the
    false-box counts of the first model (``summary_json``)."""
    import cv2

    from spatule.labels.photos import read_photo
    from spatule.synth import TileSpec, tile_xml
    from spatule.tfrecords import example_fields, to_example

    out_dir.mkdir(parents=True, exist_ok=True)
    search = search.with_threshold(settings.score)
    run = detector()
    counts, found = false_boxes_per_photo(labels_dir, tables, run, search, log)
    mining = {p.image: p for p in photo_sets(tables)["mining"]}
    false = {name: false_detections(found[name], mining[name].truth.boxes) for name in mining}
    plan = plan_negatives(false, {n: p.truth.boxes for n, p in mining.items()},
                          {n: (p.truth.width, p.truth.height) for n, p in mining.items()}, tile, settings)
    rows, examples = [], []
    pixels, decoded = None, None
    for i, neg in enumerate(plan, start=1):  # the plan is in photo order: each photo is decoded once
        p = mining[neg.photo]
        if decoded != neg.photo:
            pixels, decoded = read_photo(labels_dir / neg.photo, p.orientation, p.orientation_applied), neg.photo
        window = pixels[neg.window_y:neg.window_y + tile, neg.window_x:neg.window_x + tile]
        spec = TileSpec("negatives", i, neg.photo, neg.window_x, neg.window_y, ())
        ok, jpeg = cv2.imencode(".jpg", window, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        if not ok:
            raise OSError(f"could not encode {spec.tile_id}")
        (out_dir / f"{spec.tile_id}.jpg").write_bytes(jpeg.tobytes())
        (out_dir / f"{spec.tile_id}.xml").write_bytes(tile_xml(spec, tile, class_name, "negatives"))
        d = neg.detection
        rows.append([spec.tile_id, f"{spec.tile_id}.jpg", neg.photo, neg.window_x, neg.window_y,
                     *(round(v, 1) for v in d.box), round(d.score, 4)])
        image = {"id": SOURCE_ID_BASE + i, "file_name": f"negatives/{spec.tile_id}.jpg", "width": tile, "height": tile}
        examples.append(to_example(example_fields(image, [], jpeg.tobytes(), class_name))
                        .SerializeToString(deterministic=True))
    write_csv(out_dir / "negatives.csv", NEGATIVE_COLUMNS, rows)
    round_two[0].parent.mkdir(parents=True, exist_ok=True)
    records = deal_records(train_records, examples, round_two)
    summary = {"score": settings.score, "tiles": len(plan), "false_boxes_not_on_tags": sum(map(len, false.values())),
               "round_two_records": records, "before": counts}
    summary_json.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("%d hard-negative tile(s) around %d false box(es) of the first model -> %s", len(plan),
             summary["false_boxes_not_on_tags"], out_dir)
    return summary


def pretrained(entry: Mapping[str, Any], root: Path = Path(PRETRAINED_ROOT), log: logging.Logger = _log) -> str:
    """The published checkpoint of the ``pretrained`` config section, fetched (``download``) and
    unpacked under ``root``; returns its checkpoint prefix."""
    from spatule.model import Pretrained, pretrained_checkpoint

    prefix = pretrained_checkpoint(Pretrained(entry["url"], entry.get("sha256") or None, entry["name"]), root,
                                   fetch=bool(entry.get("download", default("pretrained", "download"))))
    log.info("checkpoint ready: %s", prefix)
    return prefix
