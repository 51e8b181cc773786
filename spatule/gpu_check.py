"""``python -m spatule gpu-check``: what TensorFlow sees, then a few training steps of a preset.

For a lab server or a cluster node before the real run: it prints the GPUs
TensorFlow finds (name, compute capability), the CUDA/cuDNN versions it was
built for, how the chosen preset would train there (:mod:`spatule.devices`),
and then trains that preset for ``steps`` steps on tiles it generates (a white
band with dark marks on a textured ground, the tile size of the workflow), from
scratch (no checkpoint download), and reports steps/s, images/s and the peak
GPU memory. ``--data WORKDIR`` trains on a workflow run's TFRecords instead and
validates on its whole validation split (``bench/gpu_check.sh``). A GPU preset
on a machine without a visible GPU stops at the first step with the install hint.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from spatule.presets import TAG_SIDE_PX, TILE_SIZE, resolve_preset

LOG = logging.getLogger(__name__)


def check_tile(rng: np.random.Generator, tags: int, size: int = TILE_SIZE) -> tuple[np.ndarray, list[list[int]]]:
    """A BGR tile of textured ground holding ``tags`` light bands with dark marks; their boxes [x, y, w, h]."""
    import cv2

    ground = rng.normal(110, 35, (size // 8, size // 8, 3)).clip(0, 255).astype(np.uint8)
    tile = cv2.resize(ground, (size, size), interpolation=cv2.INTER_CUBIC)
    boxes = []
    for _ in range(tags):
        h = int(rng.integers(TAG_SIDE_PX[0], TAG_SIDE_PX[1] + 1))
        w = max(12, int(h * rng.uniform(0.4, 0.7)))
        x, y = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
        tile[y:y + h, x:x + w] = rng.integers(200, 250)
        for k in range(4):  # four dark glyph-like marks down the band
            top = y + (k * h) // 4 + h // 16
            tile[top:top + max(1, h // 8), x + w // 4:x + 3 * w // 4] = rng.integers(10, 60)
        boxes.append([x, y, w, h])
    return tile, boxes


def write_check_split(folder: Path, split: str, tiles: int, seed: int, first_id: int = 1,
                      size: int = TILE_SIZE) -> tuple[Path, Path]:
    """``tiles`` generated tiles of ``split`` as one TFRecord shard + its COCO JSON (the workflow's writers)."""
    import cv2
    import tensorflow as tf

    from spatule.tfrecords import example_fields, to_example

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{split}-00000-of-00001.tfrecord"
    images, annotations = [], []
    with tf.io.TFRecordWriter(str(record)) as writer:
        for i in range(tiles):
            pixels, boxes = check_tile(rng, 1 + i % 3, size)
            ok, jpeg = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise OSError(f"could not encode check tile {i}")
            image = {"id": first_id + i, "file_name": f"{split}/{first_id + i:05d}.jpg", "width": size,
                     "height": size}
            mine = [{"id": len(annotations) + k + 1, "image_id": image["id"], "category_id": 1,
                     "bbox": [float(v) for v in box], "area": float(box[2] * box[3]), "iscrowd": 0}
                    for k, box in enumerate(boxes)]
            writer.write(to_example(example_fields(image, mine, jpeg.tobytes(), "tag")).SerializeToString())
            images.append(image)
            annotations.extend(mine)
    coco = folder / f"{split}.json"
    coco.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": [{"id": 1, "name": "tag"}]}), encoding="utf-8")
    return record, coco


def check_overrides(steps: int, batch_size: int) -> dict[str, Any]:
    """Training settings of the check: ``steps`` steps in 4 loops (the first one traces the graph),
    one checkpoint and one small evaluation at the end, from scratch."""
    loop = max(1, steps // 4)
    return {"steps": steps, "steps_per_loop": loop, "checkpoint_interval": steps, "eval_interval": steps,
            "eval_steps": 1, "val_batch_size": batch_size, "init_checkpoint": "", "warmup_steps": 1}


def workflow_records(workdir: Path) -> tuple[str, str, Path]:
    """The train and validation TFRecords (globs) and the validation COCO JSON of a workflow run."""
    from spatule.problems import SpatuleError

    records, val_json = workdir / "results" / "tfrecords", workdir / "results" / "tiles" / "val.json"
    if not (any(records.glob("train-*.tfrecord")) and any(records.glob("val-*.tfrecord")) and val_json.is_file()):
        raise SpatuleError(f"{workdir}: no results/tfrecords/train-*, val-* and results/tiles/val.json; make them "
                           "with: snakemake --cores all results/tfrecords/label_map.pbtxt results/tiles/val.json")
    return str(records / "train-*.tfrecord"), str(records / "val-*.tfrecord"), val_json


def gpu_check(preset: str = "gpu", steps: int = 20, overrides: Optional[Mapping[str, Any]] = None,
              workdir: Optional[Path] = None, threads: Optional[int] = None, data: Optional[Path] = None,
              log: logging.Logger = LOG) -> dict[str, Any]:
    """Describe the devices, then train ``preset`` for ``steps`` steps on generated tiles, or on the
    TFRecords of the workflow run in ``data`` (then validated on its whole validation split).

    Returns ``{"devices": ..., "plan": ..., "steps", "batch_size", "steps_per_second",
    "images_per_second", "seconds", "gpu_memory_mib"}``. Raises :class:`SpatuleError`
    (with the install hint) when the preset needs a GPU and TensorFlow sees none.
    """
    from spatule.devices import describe, device_plan, gpu_memory_mib
    from spatule.model import experiment_config, run_training

    devices = describe()
    log_devices(devices, log)
    settings = resolve_preset(preset, overrides)
    chosen = {**dict(overrides or {}), **check_overrides(steps, settings.batch_size)}
    if data is not None:
        chosen.update({"eval_steps": -1, "val_batch_size": settings.val_batch_size})
    plan = device_plan(resolve_preset(preset, chosen), len(devices["gpus"]), devices["problem"], preset)
    log.info("%s", plan.summary())
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        root = Path(scratch)
        train_record, val_record, val_json = check_data(root / "data", data, settings.batch_size)
        config = experiment_config(preset, str(train_record), str(val_record), str(val_json), chosen,
                                   gpus=plan.gpus)
        began = time.time()
        metrics = run_training(config, root / "model", log=log, threads=threads)
        seconds = time.time() - began
        memory = gpu_memory_mib(plan.gpus)
    rate = metrics.get("steps_per_second")
    result = {"devices": devices, "plan": plan.as_dict(),
              "preset": preset, "steps": steps, "batch_size": settings.batch_size,
              "input_size": settings.input_size, "steps_per_second": rate,
              "images_per_second": rate * settings.batch_size if rate else None,
              "seconds": round(seconds, 1), "gpu_memory_mib": memory,
              "data": str(data) if data is not None else "generated", "AP": metrics.get("AP"),
              "AP50": metrics.get("AP50")}
    log.info("%d steps of preset %s (batch %d at %d px): %s steps/s, %s images/s, %.0f s in all, GPU memory %s; "
             "val AP50 %s", steps, preset, settings.batch_size, settings.input_size, _fmt(rate),
             _fmt(result["images_per_second"]), seconds,
             ", ".join(f"peak {m['peak_mib']:.0f} MiB" for m in memory) or "-", result["AP50"])
    return result


def log_devices(devices: Mapping[str, Any], log: logging.Logger = LOG) -> None:
    """Log what :func:`spatule.devices.describe` found: TensorFlow's build, the driver, each GPU or why none."""
    log.info("TensorFlow %s (CUDA build %s: CUDA %s, cuDNN %s), NVIDIA driver %s, CUDA_VISIBLE_DEVICES=%s",
             devices["tensorflow"], devices["cuda_build"], devices["cuda_version"] or "-",
             devices["cudnn_version"] or "-", "found" if devices["nvidia_driver"] else "not found",
             devices["CUDA_VISIBLE_DEVICES"])
    for gpu in devices["gpus"]:
        log.info("%s: %s, compute capability %s", gpu["device"], gpu["name"], gpu["compute_capability"])
    if not devices["gpus"]:
        log.info("no GPU visible: %s", devices["problem"] or "no reason found")


def check_data(folder: Path, data: Optional[Path], batch_size: int) -> tuple[Any, Any, Path]:
    """The check's train and validation TFRecords and validation COCO JSON: generated into ``folder``
    (``max(8, 2 * batch_size)`` train tiles, ``batch_size`` val tiles), or the workflow run's in ``data``."""
    if data is not None:
        return workflow_records(data)
    train_record, _ = write_check_split(folder, "train", max(8, 2 * batch_size), seed=0)
    val_record, val_json = write_check_split(folder, "val", batch_size, seed=1, first_id=10_001)
    return train_record, val_record, val_json


def _fmt(value: Optional[float]) -> str:
    return f"{value:.2f}" if value is not None else "n/a (too few steps)"
