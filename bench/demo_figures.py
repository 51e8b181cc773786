"""The figures docs/results.md gives for the demo, from a run of the workflow.

    .venv/bin/python bench/demo_figures.py --run /tmp/demo-a            # run the demo from scratch there, ~15 min
    .venv/bin/python bench/demo_figures.py --run /tmp/demo-b --same-as /tmp/demo-a   # ... and compare the two
    .venv/bin/python bench/demo_figures.py                                # the figures of ./results

``--run DIR`` runs ``snakemake --cores N`` (``--cores``, default 2) with this repository's Snakefile
in the empty or missing folder ``DIR`` and times it; without it, the figures are read from the
current folder's ``results/``. Printed as the tables of docs/results.md: the held-out evaluation (synthetic
test tiles and the real held-out photos searched at full size), detection on the demo's new photos against
where their tags really are (boxes, tags found, false boxes, boxes on the camera's info bar) and, with
``--same-as``, whether the files of :data:`SAME_BYTES` (metrics, the model card, the TFLite model, the
reader, detections and sightings) of the two runs are byte-identical (with ``--every-file``, every file
under ``results/`` and ``resources/``, the run folders' own paths set aside); with ``--search-bar``,
what the exported model draws on the info bar when the bar is searched too (``detect.search_info_bar``),
which tells whether training alone keeps the model quiet there or only leaving the bar out does.
"""

from __future__ import annotations

import argparse
from collections import Counter
import csv
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np

from spatule.geometry import iou_matrix
from spatule.intervals import rate, shown
from spatule.metrics import ImageDetections, ImageTruth, match_detections, match_image
from spatule.tables import read_csv

SAME_BYTES = ("results/model/metrics.json", "results/model-hard/metrics.json", "results/eval/val/metrics.json",
              "results/eval/real/metrics.json", "results/eval/synthetic/metrics.json", "results/exported/spatule.json",
              "results/exported/model.tflite", "results/reader/reader.npz", "results/reader/threshold.json",
              "results/eval/reading/metrics.json", "results/detect/detections.csv", "results/detect/sightings.csv")
"""The files two runs of one config on one machine give byte for byte (``--same-as`` hashes each one present)."""


def run_workflow(workdir: Path, cores: int) -> float:
    """Run the demo from scratch in ``workdir``; seconds it took."""
    if workdir.exists() and any(workdir.iterdir()):
        raise SystemExit(f"{workdir} is not empty: give a new folder to run the demo from scratch in")
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.time()
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
                             str(workdir), "--cores", str(cores)], capture_output=True, text=True, check=False)
    (workdir / "snakemake.out").write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode:
        raise SystemExit(f"the workflow failed, see {workdir / 'snakemake.out'}")
    return time.time() - began


def evaluation_rows(workdir: Path) -> list[str]:
    """The held-out detection figures: val chose the score threshold, test is measured at it (95% intervals)."""
    rows = ["| set | images | tags | AP (95%) | AP50 (95%) | threshold | precision (95%) | recall (95%) |",
            "|---|---|---|---|---|---|---|---|"]
    for name in ("val", "real", "synthetic"):
        m = json.loads((workdir / f"results/eval/{name}/metrics.json").read_text())
        at, coco = m["at_threshold"], m["coco"]
        def with_ci(value: float, ci: list[float] | None) -> str:
            return f"{value:.3f} ({ci[0]:.3f}-{ci[1]:.3f})" if ci else (f"{value:.3f}" if value >= 0 else "n/a")

        rows.append(f"| {name} | {m['images']} | {m['tags']} (+{m['difficult']} difficult) | "
                    f"{with_ci(coco['AP'], coco.get('AP_ci'))} | {with_ci(coco['AP50'], coco.get('AP50_ci'))} | "
                    f"{m['score_threshold']:.4f} ({(m.get('threshold') or {}).get('source', '')}) | "
                    f"{shown(rate(at['tp'], at['tp'] + at['fp']))} | {shown(rate(at['tp'], at['tp'] + at['fn']))} |")
    return rows


def detection_rows(workdir: Path) -> list[str]:
    """``results/detect`` against where the tags of the demo's new photos really are (``new_truth.csv``)."""
    truth: dict[str, ImageTruth] = {}
    boxes: dict[str, list] = {}
    for r in read_csv(workdir / "results/detect/photos.csv"):
        if r["status"] == "ok":
            truth[r["photo"]] = ImageTruth(int(r["width"]), int(r["height"]))
    for r in read_csv(workdir / "resources/demo/new_truth.csv"):
        t = truth[r["image"]]
        box = tuple(float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
        truth[r["image"]] = ImageTruth(t.width, t.height, (*t.boxes, box), (*t.difficult, r["difficult"] == "1"))
    for r in read_csv(workdir / "results/detect/detections.csv"):
        boxes.setdefault(r["photo"], []).append(((float(r["x0"]), float(r["y0"]), float(r["x1"]), float(r["y1"])),
                                                 float(r["score"])))
    tp = fp = fn = twice = 0
    false_scores: list[float] = []
    for name, t in truth.items():
        found = boxes.get(name, [])
        detections = ImageDetections(tuple(x for x, _ in found), tuple(s for _, s in found))
        a, b, c = match_image(t, detections)
        tp, fp, fn = tp + a, fp + b, fn + c
        outcome, _ = match_detections(t, detections)
        false_scores += [s for (_, s), o in zip(found, outcome) if o == 0]
        if found and t.boxes:  # a tag that two boxes both cover at IoU >= 0.5 (a seam copy, or two boxes of one tile)
            twice += int(((iou_matrix(np.array([x for x, _ in found]), np.array(t.boxes)) >= 0.5).sum(0) > 1).sum())
    tags = sum(1 for t in truth.values() for h in t.difficult if not h)
    total = sum(map(len, boxes.values()))
    scores = f"{min(false_scores):.2f}-{max(false_scores):.2f}" if false_scores else "-"
    return ["| photos | tags (not difficult) | boxes | boxes / tags | tags found (recall, 95%) | false boxes (scores) "
            "| precision (95%) | tags found twice |", "|---|---|---|---|---|---|---|---|",
            f"| {len(truth)} | {tags} | {total} | {total / tags:.2f} | {shown(rate(tp, tp + fn))} | {fp} ({scores}) | "
            f"{shown(rate(tp, tp + fp))} | {twice} |"]


def season_rows(workdir: Path) -> list[str]:
    """Visits and static boxes on the demo's new day: how many visits were linked and read, the static places
    found, and what landed on the camera's logo (boxes, static or not, and sightings: there should be none)."""
    import yaml

    from spatule.demo.new_day import logo_box
    from spatule.demo.plan import DemoParams
    from spatule.geometry import iou

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    params = DemoParams(**config["demo"], info_bar_px=config["camera"]["info_bar_px"])
    logo = logo_box(params)
    visits = read_csv(workdir / "results/detect/visits.csv")
    found = read_csv(workdir / "results/detect/detections.csv")
    seen = read_csv(workdir / "results/detect/sightings.csv")
    on_logo = [r for r in found if iou(logo, [float(r[k]) for k in ("x0", "y0", "x1", "y1")]) > 0]
    static = read_csv(workdir / "results/detect/static.csv")
    rows = [f"visits: {len(visits)} ({sum(v['code'] != 'unread' for v in visits)} read, "
            f"{sum(bool(v['flag']) for v in visits)} flagged: frames leaning to different birds), "
            f"{sum(int(v['frames']) for v in visits)} frames; frames per visit: "
            + ", ".join(f"{n}: {c}" for n, c in sorted(Counter(int(v['frames']) for v in visits).items())),
            f"static places: {len(static)} "
            + "; ".join(f"{p['camera']} ({p['x0']}, {p['y0']}, {p['x1']}, {p['y1']}) in {p['frames']} of "
                        f"{p['camera_frames']} frames" for p in static),
            f"the logo {logo}: {len(on_logo)} box(es) on it ({sum(r['static'] == '1' for r in on_logo)} static), "
            f"{sum(1 for s in seen if iou(logo, [float(s[k]) for k in ('x0', 'y0', 'x1', 'y1')]) > 0)} sighting(s)"]
    return rows


def benchmark_seconds(tsv: Path) -> float:
    """The wall-clock seconds a Snakemake ``benchmark:`` file recorded."""
    with tsv.open(newline="") as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))["s"])


def reading_rows(workdir: Path) -> list[str]:
    """The reader's figures (``results/eval/reading/metrics.json``: rendered crops never seen, the labelled
    tags of each split, the new photos' tags detect found), each with n and a 95% interval, the threshold
    chosen on the val split, and what reading and training the reader cost."""
    import re

    from spatule.intervals import shown
    from spatule.report import READING_ROWS

    m = json.loads((workdir / "results/eval/reading/metrics.json").read_text())
    rows = [f"threshold {m['threshold']:.4g} ({m['threshold_source']}), margin {m['margin']:g}; "
            f"{m['registry_codes']} registry codes", "",
            "| tags | n | coverage (accepted of n) | accuracy (right of accepted) | wrong accepted |",
            "|---|---|---|---|---|"]
    for key, name in READING_ROWS.items():
        f = m["rows"].get(key)
        if f is None:
            continue
        if key == "rendered":
            rows.append(f"| {name} | {f['n']} | - | {shown(f)} | - |")
        else:
            rows.append(f"| {name} | {f['n']} | {shown(f['coverage'])} | {shown(f['accuracy'])} | "
                        f"{f['wrong']} of {f['accepted']} ({shown(f['wrong_share'])}) |")
    if "new_day" in m["rows"]:
        day = m["rows"]["new_day"]
        rows += ["", f"new photos: {day['missed']} legible tag(s) not found by detect; {day['false_boxes_read']} "
                     f"other box(es) read as a bird they do not show; {day.get('extra_boxes_read_right', 0)} other "
                     "box(es) on a tag (a second or loose box) read as that tag's bird"]
    read_s = job_s = 0.0
    for job in (workdir / "results/detect/jobs").iterdir():
        found = re.findall(r"reading took ([0-9.]+) s", (workdir / f"logs/detect/{job.name}.log").read_text())
        read_s += sum(map(float, found))
        job_s += benchmark_seconds(workdir / f"benchmarks/detect/{job.name}.tsv")
    train_s = benchmark_seconds(workdir / "benchmarks/train_reader.tsv")
    rows += ["", f"reading in the detect jobs: {read_s:.1f} s, adding {100 * read_s / (job_s - read_s):.1f}% to "
                 f"the {job_s - read_s:.1f} s they took otherwise; train_reader: {train_s / 60:.1f} min"]
    return rows


def bar_rows(workdir: Path) -> list[str]:
    """Boxes the exported model draws on the demo's new photos with the info bar searched too, and on the bar."""
    import yaml

    from spatule.detection.engines import load_search_detector, search_model
    from spatule.detection.batches import detect_full_photo, read_rgb
    from spatule.detection.settings import settings_from_labels
    from spatule.detection.season import season_photos

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    info_bar_px = int(config["camera"]["info_bar_px"])
    from spatule.detection.card import card_threshold

    exported = workdir / "results/exported"
    threshold = card_threshold(exported / "spatule.json").score_threshold  # the one detect searched at
    model = search_model(exported / "saved_model", exported / "model.tflite", config["detect"]["engine"])
    detector = load_search_detector(model, 2)
    photos_dir = workdir / "resources/demo/new"
    counts = {}
    for searched in (False, True):
        settings = settings_from_labels({**config["detect"], "search_info_bar": searched},
                                        config["synth"]["tile_size"], workdir / "results/labels/objects.csv",
                                        info_bar_px).with_threshold(threshold)
        boxes = on_bar = 0
        for name in season_photos(photos_dir):
            rgb = read_rgb(photos_dir / name)
            found = detect_full_photo(rgb, detector, settings)
            boxes += len(found)
            on_bar += sum(1 for d in found if d.y1 > rgb.shape[0] - info_bar_px)
        counts[searched] = (boxes, on_bar)
    return ["| info bar | boxes | boxes on the info bar |", "|---|---|---|",
            *(f"| {'searched' if k else 'left out (default)'} | {v[0]} | {v[1]} |" for k, v in counts.items())]


def static_rows(workdir: Path, threshold: float) -> list[str]:
    """The demo's new photos searched again at ``threshold`` (below the one chosen on val, where the camera's
    logo starts to draw boxes): boxes on the logo, how many of them ``detect`` marks static (the config's
    ``detect.static_iou`` and ``static_share``), and the static places."""
    import yaml

    from spatule.demo.new_day import logo_box
    from spatule.demo.plan import DemoParams
    from spatule.detection.batches import detect_full_photo, read_rgb
    from spatule.detection.card import card_at
    from spatule.detection.engines import load_search_detector, search_model
    from spatule.detection.gathering import StaticSettings, mark_static
    from spatule.detection.rows import DetectionRow
    from spatule.geometry import iou

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    params = DemoParams(**config["demo"], info_bar_px=config["camera"]["info_bar_px"])
    logo, exported = logo_box(params), workdir / "results/exported"
    settings = card_at(exported / "spatule.json").settings({"score_threshold": threshold})
    detector = load_search_detector(search_model(exported / "saved_model", exported / "model.tflite",
                                                 config["detect"]["engine"]), 2)
    listed = [r for r in read_csv(workdir / "results/detect/photos.csv") if r["status"] == "ok"]
    rows = []
    for photo in listed:
        rgb = read_rgb(workdir / "resources/demo/new" / photo["photo"])
        for n, d in enumerate(detect_full_photo(rgb, detector, settings), start=1):
            rows.append(DetectionRow(photo["photo"], n, *d.box, d.score, rgb.shape[1], rgb.shape[0], "", 0, 0, 0, 0))
    marked, places = mark_static(rows, listed, StaticSettings(config["detect"]["static_iou"],
                                                              config["detect"]["static_share"]))
    on_logo = [r for r in marked if iou(logo, r.box) > 0]
    moving = [r for r in marked if r.reading["static"] == "0"]
    return [f"searched again at score threshold {threshold:g}: {len(rows)} boxes, {len(on_logo)} touching the logo "
            f"{logo} ({sum(r.reading['static'] == '1' for r in on_logo)} of them static), "
            f"{sum(r.reading['static'] == '1' for r in marked)} static in all, {len(moving)} kept",
            *(f"static place: {p.camera} {tuple(round(v) for v in p.box)} in {p.frames} of {p.camera_frames} "
              f"frames (mean score {p.mean_score:.2f})" for p in places)]


def digests(workdir: Path) -> dict[str, str]:
    return {m: hashlib.sha256((workdir / m).read_bytes()).hexdigest() for m in SAME_BYTES if (workdir / m).is_file()}


def every_digest(workdir: Path) -> dict[str, str]:
    """sha256 of every file the run made under ``results/`` and ``resources/`` (not logs or timings), the run's
    own folder written as ``<run>`` (labelImg files name their photo's absolute path)."""
    digests = {}
    for folder in ("results", "resources"):
        for path in sorted((workdir / folder).rglob("*")):
            if path.is_file():
                data = path.read_bytes().replace(str(workdir.resolve()).encode(), b"<run>")
                digests[path.relative_to(workdir).as_posix()] = hashlib.sha256(data).hexdigest()
    return digests


def every_file_rows(workdir: Path, other: Path) -> list[str]:
    """How every file of two runs compares: identical, different, or made by one run only."""
    a, b = every_digest(workdir), every_digest(other)
    same = [m for m in a if a[m] == b.get(m)]
    lines = [f"every file under results/ and resources/: {len(same)} of {len(a)} byte-identical to {other}'s"]
    groups = (("differ", [m for m in a if m in b and a[m] != b[m]]), ("only in this run", sorted(set(a) - set(b))),
              (f"only in {other}", sorted(set(b) - set(a))))
    for label, names in groups:
        lines.append(f"{label} ({len(names)}): {', '.join(shortened(names)) if names else '-'}")
    return lines


def shortened(names: list[str], most: int = 12) -> list[str]:
    """The names, or past ``most`` of them, their folders with a count (a cache folder holds one file a photo)."""
    if len(names) <= most:
        return names
    folders: dict[str, int] = {}
    for name in names:
        parts = name.split("/")
        folder = "/".join(parts[:4]) + "/" if len(parts) > 4 else name
        folders[folder] = folders.get(folder, 0) + 1
    return [f"{folder} ({n} files)" if n > 1 else folder for folder, n in folders.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="run the demo from scratch in this new folder first")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--same-as", type=Path, help="another run's folder: compare the bytes of SAME_BYTES")
    parser.add_argument("--search-bar", action="store_true", help="also detect with the info bar searched")
    parser.add_argument("--static-at", type=float, help="also search the new photos at this lower score threshold "
                        "and say which boxes are static (the camera's logo)")
    parser.add_argument("--every-file", action="store_true", help="with --same-as: compare every file under "
                        "results/ and resources/, not only SAME_BYTES")
    args = parser.parse_args()
    workdir = args.run or Path.cwd()
    if args.run:
        seconds = run_workflow(args.run, args.cores)
        print(f"demo run from scratch: {seconds / 60:.1f} min on {args.cores} cores ({workdir})\n")
    print("\n".join(evaluation_rows(workdir)) + "\n")
    print("\n".join(detection_rows(workdir)) + "\n")
    print("\n".join(reading_rows(workdir)) + "\n")
    print("\n".join(season_rows(workdir)) + "\n")
    if args.search_bar:
        print("\n".join(bar_rows(workdir)) + "\n")
    if args.static_at is not None:
        print("\n".join(static_rows(workdir, args.static_at)) + "\n")
    if args.same_as:
        a, b = digests(workdir), digests(args.same_as)
        same = [m for m in a if a[m] == b.get(m)]
        differ = [m for m in a if m not in same]
        print(f"files byte-identical to {args.same_as}'s: {len(same)} of {len(a)} ({', '.join(same)})"
              + (f"; these differ: {', '.join(differ)}" if differ else ""))
        if args.every_file:
            print("\n".join(every_file_rows(workdir, args.same_as)))


if __name__ == "__main__":
    main()
