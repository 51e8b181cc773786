"""Does labelling the photos of highest priority in ``to_label.csv`` first teach the reader more than random ones?

    .venv/bin/python bench/to_label.py --run /tmp/demo-run --k 12 --draws 3      # about 20 min on 2 cores

On a finished demo run (its new day's truth, ``resources/demo/new_truth.csv``, says where every tag is and
whose it is), each camera's frames are cut in time: the first ``--pool`` share is the pool photos are
labelled from, the rest (but for the frames within ``--apart`` minutes of the pool's last: a visit going
on) is held out, the same for every arm. Arm **ranked** labels the ``--k`` pool photos of highest
``priority`` in ``results/detect/to_label.csv`` (ties by name); each arm **random-d** labels ``--k`` pool
photos drawn at random (draw ``d``). "Labelling" a photo gives the reader its truth tags with a code (crops
cut as ``extract_tags`` cuts them) on top of the labelled train tags, and the reader is trained again with
the run's ``read`` settings (the same seed in every arm). The held-out tags are the legible truth tags
``detect`` found (IoU 0.5) in the held-out photos, each read from its detection crop; coverage and accuracy
at the run's threshold and margin (``results/reader/threshold.json``), with n and 95% intervals, beside the
run's own reader (no photo added). Only the reader is trained again: the detector's reasons (boxes near the
threshold, photos unlike the labelled ones) are not measured here.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def truth_by_photo(run: Path) -> dict[str, list[dict[str, str]]]:
    """The new day's truth rows of each photo."""
    from spatule.stages.reading_evaluation import rows_by_photo

    return rows_by_photo(run / "resources/demo/new_truth.csv", "image")


def day_halves(run: Path, pool_share: float, apart_minutes: float) -> tuple[list[str], list[str]]:
    """The searched photos split in time, camera by camera: the first ``pool_share`` of each camera's frames are
    the pool the arms label from; the rest, but for the frames within ``apart_minutes`` of the pool's last
    (the visit going on then), are held out."""
    from spatule.tables import read_csv

    photos = [r for r in read_csv(run / "results/detect/photos.csv") if r["status"] == "ok"]
    pool, held = [], []
    for camera in sorted({r["camera"] for r in photos}):
        mine = sorted((r for r in photos if r["camera"] == camera), key=lambda r: (r["time"], r["photo"]))
        cut = int(round(pool_share * len(mine)))
        pool += [r["photo"] for r in mine[:cut]]
        if cut:
            last = datetime.fromisoformat(mine[cut - 1]["time"])
            held += [r["photo"] for r in mine[cut:]
                     if datetime.fromisoformat(r["time"]) - last > timedelta(minutes=apart_minutes)]
        else:
            held += [r["photo"] for r in mine]
    return sorted(pool), sorted(held)


def arms(run: Path, pool: list[str], k: int, draws: int) -> dict[str, list[str]]:
    """Each arm's photos to label: the ``k`` of the pool of highest priority, and ``draws`` random sets of ``k``."""
    from spatule.tables import read_csv

    listed = [r for r in read_csv(run / "results/detect/to_label.csv") if r["photo"] in set(pool)]
    ranked = [r["photo"] for r in sorted(listed, key=lambda r: (-float(r["priority"]), r["photo"]))][:k]
    if len(ranked) < k:
        raise SystemExit(f"to_label.csv lists only {len(ranked)} photo(s) of the pool, fewer than --k {k}: the arms "
                         "would not label as many photos each; lower --k")
    out = {"ranked": ranked}
    for d in range(draws):
        rng = np.random.default_rng([2025, d])
        out[f"random-{d}"] = sorted(str(p) for p in rng.choice(pool, size=k, replace=False))
    return out


def held_out_tags(run: Path, photos: list[str]) -> list[tuple[dict[str, str], dict[str, str]]]:
    """``(truth tag, detection)`` of every legible coded truth tag of ``photos`` that detect found."""
    from spatule.code_space import is_code
    from spatule.stages.reading_evaluation import matched, rows_by_photo

    truth, found = truth_by_photo(run), rows_by_photo(run / "results/detect/detections.csv", "photo")
    out = []
    for photo in photos:
        tags, boxes = truth.get(photo, []), found.get(photo, [])
        for b, t in matched(tags, boxes, 0.5)[0]:
            if tags[t]["difficult"] != "1" and is_code(tags[t]["identity"]):
                out.append((tags[t], boxes[b]))
    return out


def added_tags(run: Path, photos: list[str], margins: dict[str, float]) -> list:
    """The truth tags with a code of ``photos``, as the reader learns a labelled tag (crop and box in it)."""
    import cv2

    from spatule.code_space import is_code
    from spatule.detection.crops import crop_window
    from spatule.reading.train import RealTag

    truth, out = truth_by_photo(run), []
    for photo in photos:
        pixels = cv2.imread(str(run / "resources/demo/new" / photo), cv2.IMREAD_COLOR)
        for n, tag in enumerate(truth.get(photo, [])):
            if tag["difficult"] == "1" or not is_code(tag["identity"]):
                continue
            box = [int(tag[c]) for c in ("xmin", "ymin", "xmax", "ymax")]
            x0, y0, x1, y1 = crop_window(box, pixels.shape[1], pixels.shape[0], int(margins["margin_px"]),
                                         float(margins["margin_fraction"]))
            out.append(RealTag(pixels[y0:y1, x0:x1].copy(), (box[0] - x0, box[1] - y0, box[2] - x0, box[3] - y0),
                               tag["identity"], f"added/{photo}#{n}"))
    return out


def train_arm(run: Path, added: list, out_dir: Path, read: dict, threads: int) -> None:
    """The reader trained as rule train_reader trains it, with ``added`` tags among the labelled train ones."""
    from spatule.model import configure_tensorflow
    from spatule.reading.codes import READER_FILE, write_reader_info
    from spatule.reading.labelled import LabelledTags, real_tags
    from spatule.reading.train import fit_reader
    from spatule.reading.weights import save_weights
    from spatule.stages.reading import ReaderSettings, glyph_set

    configure_tensorflow(threads)
    settings = ReaderSettings.of(read)
    glyphs = glyph_set(settings.alphabet, None)
    labelled = LabelledTags(run / "results/tags/tags.csv", run / "results/tags/crops",
                            run / "results/split/identities.csv")
    every, where = real_tags(labelled, settings.alphabet, settings.code_length, ("train",))
    model, _ = fit_reader(glyphs, settings.crops, max(200, settings.crops // 16), settings.epochs, settings.seed,
                          settings.code_length, real=list(every) + added, real_views=settings.real_views,
                          real_epochs=settings.real_epochs, workers=threads, frame_epochs=settings.frame_epochs)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights(model.get_weights(), out_dir / READER_FILE)
    write_reader_info(out_dir, settings.alphabet, settings.code_length, Path(glyphs.source).name, {})


def measure(run: Path, reader_dir: Path, tags: list, threads: int) -> dict:
    """Coverage and accuracy of a reader on the held-out tags (their detection crops), at the run's acceptance."""
    import cv2

    from spatule.reading.codes import read_acceptance
    from spatule.reading.evaluation import set_figures
    from spatule.stages.reading import ReaderFiles

    reader = ReaderFiles(reader_dir, run / "resources/demo/registry.csv").load(threads)
    acceptance = read_acceptance(run / "results/reader/threshold.json")
    crops = [cv2.imread(str(run / "results/detect/crops" / d["crop"]), cv2.IMREAD_COLOR) for _, d in tags]
    boxes = [tuple(int(round(float(d[k]) - float(d[o]))) for k, o in
                   (("x0", "crop_x0"), ("y0", "crop_y0"), ("x1", "crop_x0"), ("y1", "crop_y0"))) for _, d in tags]
    reads = reader.read(crops, boxes)
    return set_figures([(t["identity"], acceptance.of_read(r)) for (t, _), r in zip(tags, reads)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished demo run (its working directory)")
    parser.add_argument("--k", type=int, default=12, help="photos each arm labels")
    parser.add_argument("--draws", type=int, default=3, help="random arms")
    parser.add_argument("--pool", type=float, default=0.5, help="share of each camera's first frames to label from")
    parser.add_argument("--apart", type=float, default=40.0, help="minutes between the pool's last frame and the "
                        "first held-out one (a visit going on)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="the arms' readers (default RUN/bench-to-label)")
    args = parser.parse_args()
    from spatule.intervals import shown

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    out = args.out or args.run / "bench-to-label"
    pool, held = day_halves(args.run, args.pool, args.apart)
    chosen = arms(args.run, pool, args.k, args.draws)
    tags = held_out_tags(args.run, held)
    print(f"pool: {len(pool)} photo(s) (the first {args.pool:.0%} of each camera's frames); held out: {len(tags)} "
          f"legible tag(s) found by detect in {len(held)} later photo(s)")
    figures = {"none added (the run's reader)": measure(args.run, args.run / "results/reader", tags, args.threads)}
    for name, photos in chosen.items():
        added = added_tags(args.run, photos, config["tags"])
        train_arm(args.run, added, out / name, config["read"], args.threads)
        figures[f"{name}: {len(photos)} photo(s), {len(added)} tag(s)"] = measure(args.run, out / name, tags,
                                                                                    args.threads)
    print("| arm | coverage (accepted of n) | accuracy (right of accepted) | read right of n |\n|---|---|---|---|")
    for name, f in figures.items():
        print(f"| {name} | {shown(f['coverage'])} | {shown(f['accuracy'])} | {shown(f['read_right'])} |")
    (out / "figures.json").write_text(json.dumps({"arms": chosen, "figures": figures}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
