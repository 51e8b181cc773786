"""The peer: Ultralytics YOLO trained on spatule's synthetic tiles, searched over whole photos with SAHI.

Runs in the peer bench's own environment (``bench/peer/.venv``, ``bench/peer/requirements.txt``); it
imports nothing of spatule. ``bench/peer/compare.py`` calls it:

    bench/peer/.venv/bin/python bench/peer/yolo.py --tiles RUN/results/tiles --work W \
        --minutes 8 --imgsz 640 --photos W/photos.json --out W/yolo-640

``--tiles``: spatule's ``results/tiles`` (``train/``, ``val/``: 640x640 JPEG + labelImg XML, every box a
tag). They become a YOLO dataset under ``--work`` (hard links and one label file a tile). The model
(``--model``, the smallest current YOLO by default) is built from its YAML, not from COCO weights: the
demo's RetinaNet learns from scratch too, and this machine cannot download weights. It trains for
``--minutes`` on the CPU (Ultralytics' ``time``, which sets the schedule to end then; the epochs that
fit depend on the machine's speed), or for ``--epochs`` (two such runs train the same weights), keeping the
epoch best on the val tiles. Then SAHI cuts each photo of ``--photos`` (JSON: name -> path) into
640x640 slices (its default 0.2 overlap, and its whole-photo pass), predicts down to ``--min-score``
(``--slices`` slices a model call) and merges, as its README shows. Writes ``detections.csv`` (name,
box, score) and ``peer.json`` (training and search seconds, epochs) under ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

MODEL = "yolo26n.yaml"
"""The smallest model of Ultralytics' current family (nano)."""


def yolo_labels(xml: Path) -> str:
    """One labelImg file as YOLO label lines: class 0, centre and size relative to the image."""
    root = ET.parse(xml).getroot()
    width, height = (float(root.findtext(f"size/{k}")) for k in ("width", "height"))
    lines = []
    for obj in root.iter("object"):
        x0, y0, x1, y1 = (float(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
        lines.append(f"0 {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} "
                     f"{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}")
    return "".join(line + "\n" for line in lines)


def make_dataset(tiles: Path, folder: Path) -> Path:
    """The train and val tiles as a YOLO dataset (``images/``, ``labels/``, ``data.yaml``)."""
    shutil.rmtree(folder, ignore_errors=True)
    for split in ("train", "val"):
        (folder / "images" / split).mkdir(parents=True)
        (folder / "labels" / split).mkdir(parents=True)
        for xml in sorted((tiles / split).rglob("*.xml")):
            jpg = xml.with_suffix(".jpg")
            os.link(jpg, folder / "images" / split / jpg.name)
            (folder / "labels" / split / f"{xml.stem}.txt").write_text(yolo_labels(xml), encoding="utf-8")
    data = folder / "data.yaml"
    data.write_text(f"path: {folder}\ntrain: images/train\nval: images/val\nnames:\n  0: tag\n", encoding="utf-8")
    return data


def train(data: Path, work: Path, model: str, imgsz: int, minutes: float, epochs: int, batch: int,
          seed: int) -> dict:
    """Train for ``epochs``, or for ``minutes`` when ``epochs`` is 0; the best epoch's weights (Ultralytics'
    fitness on the val tiles) and timing."""
    from ultralytics import YOLO

    start = time.perf_counter()
    yolo = YOLO(model)
    length = {"epochs": epochs} if epochs else {"epochs": 1000, "time": minutes / 60}
    yolo.train(data=str(data), **length, imgsz=imgsz, batch=batch, device="cpu", workers=2,
               project=str(work), name="train", exist_ok=True, plots=False, amp=False, seed=seed,
               deterministic=True, pretrained=False, verbose=False)
    seconds = time.perf_counter() - start
    best = work / "train" / "weights" / "best.pt"
    done = sum(1 for _ in open(work / "train" / "results.csv", encoding="utf-8")) - 1
    return {"weights": str(best), "train_seconds": round(seconds, 1), "epochs": done,
            "trained_by": "epochs" if epochs else "minutes"}


def search(weights: Path, photos: dict[str, str], imgsz: int, min_score: float,
           batch: int) -> tuple[list[list], float]:
    """SAHI's sliced prediction over every photo: rows (name, x0, y0, x1, y1, score) and seconds (the first
    photo, a warm-up, untimed but searched)."""
    from sahi import AutoDetectionModel
    from sahi.predict import get_sliced_prediction

    model = AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=str(weights),
                                               confidence_threshold=min_score, device="cpu", image_size=imgsz)
    rows: list[list] = []
    names = sorted(photos)
    start = 0.0
    for k, name in enumerate(names):
        if k == 1:
            start = time.perf_counter()
        result = get_sliced_prediction(photos[name], model, slice_height=640, slice_width=640,
                                       overlap_height_ratio=0.2, overlap_width_ratio=0.2, verbose=0,
                                       batch_size=batch)
        for p in result.object_prediction_list:
            x0, y0, x1, y1 = p.bbox.to_xyxy()
            rows.append([name, round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1), round(p.score.value, 4)])
    return rows, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=Path, required=True, help="spatule's results/tiles")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (dataset, training)")
    parser.add_argument("--photos", type=Path, required=True, help="JSON: photo name -> path")
    parser.add_argument("--out", type=Path, required=True, help="folder for detections.csv and peer.json")
    parser.add_argument("--minutes", type=float, default=0.0, help="training time on the CPU")
    parser.add_argument("--epochs", type=int, default=0, help="train this many epochs instead (0: --minutes)")
    parser.add_argument("--imgsz", type=int, default=640, help="training and slice input size (default 640)")
    parser.add_argument("--model", default=MODEL, help=f"Ultralytics model YAML (default {MODEL})")
    parser.add_argument("--batch", type=int, default=16, help="batch size (default 16, Ultralytics' own)")
    parser.add_argument("--slices", type=int, default=8, help="slices a model call (default 8, spatule's batch)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--min-score", type=float, default=0.05, help="detections kept (default 0.05)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.epochs and args.minutes <= 0:
        parser.error("give --minutes or --epochs")
    import torch

    torch.set_num_threads(args.threads)
    work = args.work / f"{Path(args.model).stem}-{args.imgsz}"
    data = make_dataset(args.tiles, args.work / "dataset")
    trained = train(data, work, args.model, args.imgsz, args.minutes, args.epochs, args.batch, args.seed)
    photos = json.loads(args.photos.read_text(encoding="utf-8"))
    rows, seconds = search(Path(trained["weights"]), photos, args.imgsz, args.min_score, args.slices)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "detections.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["image", "xmin", "ymin", "xmax", "ymax", "score"])
        writer.writerows(rows)
    import sahi
    import ultralytics

    figures = {**trained, "model": args.model, "imgsz": args.imgsz, "batch": args.batch, "threads": args.threads,
               "slices_per_call": args.slices,
               "search_seconds": round(seconds, 1), "photos_per_s": round((len(photos) - 1) / seconds, 3),
               "ultralytics": ultralytics.__version__, "sahi": sahi.__version__, "torch": torch.__version__}
    (args.out / "peer.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
