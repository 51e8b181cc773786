"""spatule against Ultralytics YOLO + SAHI on the same tiles and the same held-out photos (issue 26, item 1).

    .venv/bin/python bench/peer/compare.py --run /tmp/demo-a --out bench/out/peer       # ~30 min on 2 cores

Needs a finished demo run (``--run``: its synthetic tiles, split, exported model and timing) and the
peer's environment (``bench/peer/README.md``). In the same run, on 2 threads:

1. spatule's exported model searches the val and test photos whole (the season path of ``detect``:
   tiles batched across photos, photos decoded ahead), detections down to ``evaluate.min_score``;
2. ``bench/peer/yolo.py`` (the peer's environment) trains YOLO on the same train tiles (val tiles for
   its own best epoch) for as many minutes as the demo's training took (``results/model/timing.json``),
   once per ``--imgsz`` (or for ``--epochs``, one count per size: a set number of epochs, so that two such
   runs train the same weights; not the same weights as the run capped by the clock, whose schedule
   Ultralytics fits to the minutes), and searches the same photos with SAHI;
3. each detector's score threshold is chosen on the val photos the way spatule chooses its own (the
   lowest score at which precision reaches ``evaluate.target_precision``), the peer's input size too
   (the best val AP50), and every figure is measured on the test photos with spatule's own metric
   functions: AP50 (95% bootstrap interval over photos), precision and recall at the threshold (95%
   Wilson intervals), training minutes, photos per second.

Prints a Markdown table and the missed test tags (:func:`missed_tags`), and writes ``compare.json`` under
``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
PEER_PYTHON = REPO / "bench/peer/.venv/bin/python"


def held_out(run: Path, split: str):
    """The held-out photos of ``split`` as the evaluation takes them (name -> HeldOutPhoto)."""
    from spatule.evaluate import held_out_photos
    from spatule.labels.objects import read_objects_csv
    from spatule.problems import doubtful_xml, read_problems
    from spatule.tables import read_csv

    held = held_out_photos(read_objects_csv(run / "results/labels/objects.csv"),
                           read_csv(run / "results/split/photos.csv"),
                           read_csv(run / "results/split/backgrounds.csv"),
                           doubtful_xml(read_problems(run / "results/labels/problems.csv")), split)
    return {p.image: p for p in held.photos}


def spatule_search(run: Path, photos: dict[str, Path], min_score: float, threads: int):
    """spatule's search of every photo (the season path), detections down to ``min_score``, and seconds
    (the first photo untimed, as for the peer)."""
    from spatule.detection.batches import detect_photos, read_rgb
    from spatule.detection.card import read_card, saved_model_of, tflite_of
    from spatule.detection.engines import load_search_detector, search_model
    from spatule.evaluate import as_image_detections

    model = run / "results/exported"
    settings = read_card(model).settings().with_threshold(min_score)
    detector = load_search_detector(search_model(saved_model_of(model), tflite_of(model), "auto"), threads)
    names = sorted(photos)
    first = dict(detect_photos([(names[0], read_rgb(photos[names[0]]))], detector, settings))
    start = time.perf_counter()
    found = dict(detect_photos(((n, read_rgb(photos[n])) for n in names[1:]), detector, settings))
    seconds = time.perf_counter() - start
    return {n: as_image_detections(f or []) for n, f in {**first, **found}.items()}, seconds


def read_detections(path: Path):
    """A detections CSV (image, box, score) as the metrics' detections per photo."""
    from spatule.metrics import ImageDetections

    rows: dict[str, list] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.setdefault(r["image"], []).append(
                (tuple(float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")), float(r["score"])))
    return {n: ImageDetections(tuple(b for b, _ in v), tuple(s for _, s in v)) for n, v in rows.items()}


def measured(truth: dict, detections: dict, target: float, bootstrap: int) -> dict:
    """Threshold chosen on val; val AP50 and test AP50, precision and recall at it."""
    from spatule.detection.threshold import choose_threshold
    from spatule.evaluate import evaluation_metrics

    val = {n: d for n, d in detections.items() if n in truth["val"]}
    choice = choose_threshold(truth["val"], val, target)
    threshold = choice.score_threshold
    out = {"threshold": round(threshold, 4), "threshold_source": choice.source, "threshold_note": choice.note}
    for split in ("val", "test"):
        part = {n: detections.get(n) for n in truth[split] if n in detections}
        m = evaluation_metrics(truth[split], part, threshold, bootstrap)
        out[split] = {"AP50": round(m["coco"]["AP50"], 3), "AP50_ci": m["coco"]["AP50_ci"],
                      "AP": round(m["coco"]["AP"], 3), **{k: m["at_threshold"][k] for k in
                                                           ("tp", "fp", "fn", "precision", "recall",
                                                            "precision_ci", "recall_ci")}}
    return out


def missed_tags(truth: dict, detections: dict, threshold: float) -> dict:
    """At ``threshold``, by spatule's matching (:func:`spatule.metrics.match_detections`): the longer side of the
    test tags found and of those missed, and for each missed tag the detector's best box on it at any score
    (its IoU and score; ``None`` when no box touches it)."""
    import numpy as np

    from spatule.geometry import iou_matrix
    from spatule.metrics import ImageDetections, filter_scores, match_detections

    found, missed = [], []
    for name, t in truth.items():
        every = detections.get(name) or ImageDetections()
        _, taken = match_detections(t, filter_scores(every, threshold))
        for box, hard, hit in zip(t.boxes, t.difficult, taken):
            side = round(max(box[2] - box[0], box[3] - box[1]))
            if hard:
                continue
            if hit:
                found.append(side)
                continue
            iou = iou_matrix(np.asarray([box], dtype=float), np.asarray(every.boxes, dtype=float).reshape(-1, 4))[0]
            k = int(np.argmax(iou)) if iou.size and iou.max() > 0 else None
            missed.append({"side": side, "best_iou": None if k is None else round(float(iou[k]), 2),
                           "best_score": None if k is None else round(float(every.scores[k]), 4)})
    return {"found_sides": sorted(found), "missed": sorted(missed, key=lambda m: m["side"])}


def row(name: str, figures: dict) -> str:
    """One Markdown row of the test figures."""
    t = figures["test"]

    def rate(value, k, n, ci):
        return "-" if value is None else f"{value:.3f} ({k}/{n}, {ci[0]:.3f}-{ci[1]:.3f})"

    ci = t["AP50_ci"] or [float("nan")] * 2
    return (f"| {name} | {figures['train_minutes']:.1f} | {figures['val']['AP50']:.3f} | "
            f"{t['AP50']:.3f} ({ci[0]:.3f}-{ci[1]:.3f}) | {figures['threshold']:g} | "
            f"{rate(t['precision'], t['tp'], t['tp'] + t['fp'], t['precision_ci'])} | "
            f"{rate(t['recall'], t['tp'], t['tp'] + t['fn'], t['recall_ci'])} | {figures['photos_per_s']:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a finished demo run")
    parser.add_argument("--out", type=Path, required=True, help="folder for the peer's files and compare.json")
    parser.add_argument("--imgsz", type=int, nargs="*", default=[640, 256],
                        help="YOLO input sizes tried, the best on val kept (default 640 256)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="YOLO training minutes (default: the demo's training, results/model/timing.json)")
    parser.add_argument("--epochs", type=int, nargs="*", default=[],
                        help="YOLO epochs, one per --imgsz, instead of the minutes (two such runs: the same weights)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-training", action="store_true", help="reuse the peer's detections under --out")
    args = parser.parse_args()
    import yaml

    run, out = args.run.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((run / "config.yaml").read_text()) if (run / "config.yaml").is_file() else \
        yaml.safe_load((REPO / "config.yaml").read_text())
    evaluate = config["evaluate"]
    labels = run / config["labels"]["dir"]
    held = {split: held_out(run, split) for split in ("val", "test")}
    truth = {split: {n: p.truth for n, p in photos.items()} for split, photos in held.items()}
    photos = {n: labels / n for split in held.values() for n in split}
    (out / "photos.json").write_text(json.dumps({n: str(p) for n, p in sorted(photos.items())}, indent=1),
                                     encoding="utf-8")
    timing = json.loads((run / "results/model/timing.json").read_text())
    train_seconds = float(timing["seconds"])
    minutes = args.minutes or train_seconds / 60
    detections, seconds = spatule_search(run, photos, float(evaluate["min_score"]), args.threads)
    found = {"spatule": detections}
    results = {"spatule": {**measured(truth, detections, evaluate["target_precision"], evaluate["bootstrap"]),
                           "train_minutes": train_seconds / 60,
                           "photos_per_s": round((len(photos) - 1) / seconds, 3)}}
    if args.epochs and len(args.epochs) != len(args.imgsz):
        parser.error("--epochs needs one count per --imgsz")
    for k, imgsz in enumerate(args.imgsz):
        arm = out / f"yolo-{imgsz}"
        length = ["--epochs", str(args.epochs[k])] if args.epochs else ["--minutes", f"{minutes:.2f}"]
        if not args.skip_training:
            subprocess.run([str(PEER_PYTHON), str(REPO / "bench/peer/yolo.py"), "--tiles", str(run / "results/tiles"),
                            "--work", str(out / "work"), "--photos", str(out / "photos.json"), "--out", str(arm),
                            *length, "--imgsz", str(imgsz), "--threads", str(args.threads),
                            "--min-score", str(evaluate["min_score"])], check=True)
        peer = json.loads((arm / "peer.json").read_text())
        found[f"yolo-{imgsz}"] = read_detections(arm / "detections.csv")
        results[f"yolo-{imgsz}"] = {**measured(truth, found[f"yolo-{imgsz}"],
                                               evaluate["target_precision"], evaluate["bootstrap"]),
                                    "train_minutes": peer["train_seconds"] / 60, "epochs": peer["epochs"],
                                    "trained_by": peer.get("trained_by", "minutes"),
                                    "photos_per_s": peer["photos_per_s"], "model": peer["model"],
                                    "versions": {k: peer[k] for k in ("ultralytics", "sahi", "torch")}}
    peers = [k for k in results if k != "spatule"]
    best = max(peers, key=lambda k: results[k]["val"]["AP50"]) if peers else None
    for name, figures in results.items():
        figures["test_missed"] = missed_tags(truth["test"], found[name], figures["threshold"])
    results["peer_chosen_on_val"] = best
    results["photos"] = {split: len(v) for split, v in truth.items()}
    results["tags"] = {split: sum(1 for t in v.values() for h in t.difficult if not h) for split, v in truth.items()}
    (out / "compare.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("| detector | training (min) | val AP50 | test AP50 (95%) | threshold (val) | test precision (95%) "
          "| test recall (95%) | photos/s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ["spatule", *peers]:
        print(row(name + (" (chosen on val)" if name == best and len(peers) > 1 else ""), results[name]))
    for name in ["spatule", *peers]:
        m = results[name]["test_missed"]
        sides, boxed = m["found_sides"], [t for t in m["missed"] if t["best_iou"] is not None]
        scores = [t["best_score"] for t in boxed]
        print(f"{name}: {len(m['missed'])} test tag(s) missed, sides {[t['side'] for t in m['missed']]} px (found: "
              + (f"{sides[0]}-{sides[-1]} px, median {sides[len(sides) // 2]}" if sides else "none")
              + f"); {len(boxed)} with a box on them ({sum(t['best_iou'] >= 0.5 for t in boxed)} at IoU >= 0.5)"
              + (f", scored {min(scores)}-{max(scores)}" if scores else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
