#!/usr/bin/env python
"""Synthetic tiles per second: the original per-tile method, spatule's render_shard, and the floor.

Run by hand (not a test, not in CI), on the real sample photos:

    .venv/bin/python bench/synth_speed.py [--sample DIR] [--tiles 150] [--out result.json]

Three methods, measured in the same run on the same plan: the same photos, the
same 640x640 windows (off the bottom 80 px) and the same three real tag crops,
one NORMAL_CLONE paste per tile, JPEG quality 92.

original  what the original notebook did, per tile: cv2.imread of the whole
          photo, crop the window, one seamlessClone of the tag crop with a
          full-size mask, cv2.imwrite the JPEG, write the labelImg XML.
spatule   the workflow's path: index the sample, resolve identities, cut the
          tags (the project's own functions), build grounds and tags with
          synth_sources, plan with plan_split (tags_per_tile (0, 1), blend
          normal, no jitter) and time render_shard, which decodes each photo
          once for all its tiles.
floor     seamlessClone + cv2.imencode alone on an already-decoded window;
          nothing decoded, nothing written.

threads=1 is the fair comparison (cv2.setNumThreads(1), one worker each);
threads=2 gives each method 2 workers and OpenCV its default thread count.
Targets: spatule / original >= 5, spatule / floor >= 0.6 (threads=1).
"""

from __future__ import annotations

import argparse
import csv
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2
import numpy as np

from spatule.labels.identities import assign_identities, read_identities_csv
from spatule.labels.photos import read_photo
from spatule.labels.objects import IndexSettings, write_objects
from spatule.labels.index import read_label_folder
from spatule.problems import write_problems
from spatule.synth import (SynthSettings, TileSpec, plan_split, prepare_crop, render_shard,
                           shard_tiles, synth_sources, tile_xml)
from spatule.labels.tags import cut_tags, write_tags

SPLIT = "train"
CLASS_NAME = "tag"
MARGIN_PX, MARGIN_FRACTION = 8, 0.25  # config.yaml tags.*
IDENTITY_TOLERANCE_PX = 4  # config.yaml labels.identity_tolerance_px
TARGET_ORIGINAL, TARGET_FLOOR = 5.0, 0.6
LOAD_WARNING = 0.5  # 1-minute load average above which the figures are flagged as shared-CPU


def prepare_inputs(sample: Path, work: Path, seed: int, count: int, photos: int | None = None):
    """objects/problems/tags CSVs and crops written by the project's own functions, then
    grounds and tags through synth_sources with every photo and identity in one split.

    ``photos`` keeps only the first N ground photos (by name), so that more tiles share one
    decoded photo, as in the workflow's own plans."""
    rows, problems = read_label_folder(sample, IndexSettings(verify_pixels=False))
    tags = [r for r in rows if r.kind == "tag"]
    id_rows, bad = read_identities_csv(sample / "identities.csv")
    named, found = assign_identities(tags, id_rows, IDENTITY_TOLERANCE_PX, str(sample / "identities.csv"))
    problems += bad + found
    by_key = {(t.image, t.object): t for t in named}
    rows = [by_key.get((r.image, r.object), r) if r.kind == "tag" else r for r in rows]
    tables = {k: work / f"{k}.csv" for k in ("objects", "problems", "tags", "backgrounds", "photos", "identities")}
    write_objects(tables["objects"], rows)
    write_problems(tables["problems"], problems)
    crops_dir = work / "crops"
    crops = cut_tags(sample, named, crops_dir, MARGIN_PX, MARGIN_FRACTION)
    write_tags(tables["tags"], crops)

    def table(path: Path, header: list[str], body: list[list[object]]) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(body)

    table(tables["backgrounds"], ["image", "split"], [[b, SPLIT] for b in sorted({r.image for r in rows
                                                                                   if r.kind == "background"})])
    table(tables["photos"], ["image", "split", "tags"],
          [[p, SPLIT, sum(c.image == p for c in crops)] for p in sorted({c.image for c in crops})])
    table(tables["identities"], ["identity", "split"], [[i, SPLIT] for i in sorted({c.identity for c in crops})])
    settings = SynthSettings(tags_per_tile=(0.0, 1.0), blend="normal", cut_tags=0.0, info_bar_px=80)
    grounds, sources = synth_sources(SPLIT, tables["objects"], tables["problems"], tables["backgrounds"],
                                     tables["photos"], tables["identities"], tables["tags"],
                                     settings.use_labelled_regions, tags_in_place=False)
    if photos is not None:
        grounds = sorted(grounds, key=lambda g: g.image)[:photos]
    plan = plan_split(SPLIT, count, seed, grounds, sources, settings)
    if any(len(spec.pastes) != 1 for spec in plan):
        sys.exit("plan has a tile without exactly one paste; cannot compare")
    return settings, grounds, sources, plan, crops_dir


# --- the three methods -------------------------------------------------------------------------


def run_pool(fn, items, threads: int) -> None:
    if threads == 1:
        for item in items:
            fn(item)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(fn, items))


def original(specs, sample: Path, out_dir: Path, crops: dict, by_tag: dict, settings: SynthSettings,
             threads: int) -> float:
    """Per tile: decode the whole photo, crop, clone with a full-size mask, imwrite, write XML."""
    out_dir.mkdir(parents=True, exist_ok=True)
    size = settings.tile_size
    params = [cv2.IMWRITE_JPEG_QUALITY, int(settings.jpeg_quality)]

    def one(spec: TileSpec) -> None:
        photo = cv2.imread(str(sample / spec.image))
        if photo is None:
            raise OSError(f"cannot read {spec.image}")
        window = photo[spec.window_y:spec.window_y + size, spec.window_x:spec.window_x + size]
        paste = spec.pastes[0]
        tag = by_tag[paste.tag_id]
        crop = crops[paste.tag_id]
        h, w = crop.shape[:2]
        # put the crop so that its tag lands where the plan put it, clamped inside the tile
        x0 = min(max(0, paste.box[0] - tag.box[0]), size - w)
        y0 = min(max(0, paste.box[1] - tag.box[1]), size - h)
        mask = np.full((h, w), 255, np.uint8)
        tile = cv2.seamlessClone(crop, window, mask, (x0 + w // 2, y0 + h // 2), cv2.NORMAL_CLONE)
        if not cv2.imwrite(str(out_dir / f"{spec.tile_id}.jpg"), tile, params):
            raise OSError(f"cannot write {spec.tile_id}")
        label = (x0 + tag.box[0], y0 + tag.box[1], x0 + tag.box[2], y0 + tag.box[3])
        placed = replace(spec, pastes=(replace(paste, box=label),))
        (out_dir / f"{spec.tile_id}.xml").write_bytes(tile_xml(placed, size, CLASS_NAME, out_dir.name))

    start = time.perf_counter()
    run_pool(one, specs, threads)
    return time.perf_counter() - start


def spatule_run(specs, sample: Path, out_dir: Path, crops_dir: Path, grounds, by_tag: dict,
                settings: SynthSettings, threads: int) -> float:
    """render_shard on one shard holding every tile, as rule synthesize calls it."""
    part = shard_tiles(specs, 1)[0]
    by_image = {g.image: g for g in grounds}

    def read_ground(image: str) -> np.ndarray:
        ground = by_image[image]
        return read_photo(sample / image, ground.orientation, ground.orientation_applied)

    def read_crop(tag_id: str) -> np.ndarray:
        return cv2.imread(str(crops_dir / by_tag[tag_id].file), cv2.IMREAD_COLOR)

    start = time.perf_counter()
    written = render_shard(part, out_dir, read_ground, read_crop, by_tag, settings, CLASS_NAME, threads)
    elapsed = time.perf_counter() - start
    if len(written) != len(specs):
        sys.exit(f"render_shard wrote {len(written)} tiles, expected {len(specs)}")
    return elapsed


def floor(specs, sample: Path, grounds, crops: dict, by_tag: dict, settings: SynthSettings, threads: int) -> float:
    """seamlessClone (spatule's exact call) + imencode on already-decoded windows; only that is timed."""
    size, pad = settings.tile_size, settings.clone_pad_px
    params = [cv2.IMWRITE_JPEG_QUALITY, int(settings.jpeg_quality)]
    by_image = {g.image: g for g in grounds}
    by_photo: dict[str, list[TileSpec]] = {}
    for spec in specs:
        by_photo.setdefault(spec.image, []).append(spec)
    total = 0.0
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        for image, group in by_photo.items():  # decode untimed, photo by photo (keeps memory small)
            ground = by_image[image]
            photo = read_photo(sample / image, ground.orientation, ground.orientation_applied)
            jobs = []
            for spec in group:
                paste = spec.pastes[0]
                pixels, box = prepare_crop(crops[paste.tag_id], by_tag[paste.tag_id], paste, pad)
                window = np.ascontiguousarray(photo[spec.window_y:spec.window_y + size,
                                                    spec.window_x:spec.window_x + size])
                mask_w, mask_h = box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad
                centre = (paste.mask_x + mask_w // 2, paste.mask_y + mask_h // 2)
                jobs.append((pixels, window, (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), centre))
            del photo

            def one(job) -> bytes:
                pixels, window, (x0, y0, x1, y1), centre = job
                mask = np.zeros(pixels.shape[:2], np.uint8)
                mask[y0:y1, x0:x1] = 255
                tile = cv2.seamlessClone(pixels, window, mask, centre, cv2.NORMAL_CLONE)
                ok, jpeg = cv2.imencode(".jpg", tile, params)
                if not ok:
                    raise OSError("encode failed")
                return jpeg

            start = time.perf_counter()
            if pool is None:
                for job in jobs:
                    one(job)
            else:
                list(pool.map(one, jobs))
            total += time.perf_counter() - start
    finally:
        if pool is not None:
            pool.shutdown()
    return total


class _InlineExecutor:
    """Stands in for ThreadPoolExecutor so that cProfile (main thread only) sees the tile work."""

    def __init__(self, max_workers: int = 1) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, fn, *iterables):
        return [fn(*args) for args in zip(*iterables)]

    def submit(self, fn, *args):
        done: Future = Future()
        done.set_result(fn(*args))
        return done


def profile_spatule(specs, sample: Path, out_dir: Path, crops_dir: Path, grounds, by_tag: dict,
                    settings: SynthSettings) -> str:
    """cProfile of render_shard with its pool made inline (threads=1 does the same work on one worker)."""
    import spatule.synth.render as synth  # render_shard's module: its pool is the one replaced

    profile = cProfile.Profile()
    saved = synth.ThreadPoolExecutor
    synth.ThreadPoolExecutor = _InlineExecutor  # only for this untimed run
    try:
        profile.enable()
        spatule_run(specs, sample, out_dir, crops_dir, grounds, by_tag, settings, 1)
        profile.disable()
    finally:
        synth.ThreadPoolExecutor = saved
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(14)
    return text.getvalue()


# --- driver ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=REPO.parent / "shared" / "data" / "spatule-sample",
                        help="the real sample folder (default: ../shared/data/spatule-sample)")
    parser.add_argument("--tiles", type=int, default=150, help="timed tiles per method (default 150)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed warm-up tiles per method (default 4)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per method, interleaved; the median is reported (default 3)")
    parser.add_argument("--photos", type=int,
                        help="use only the first N ground photos, so that --tiles/N tiles share one decode "
                             "(default: all of them, ~10 tiles per photo with the default --tiles)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts to run (default 1 2)")
    parser.add_argument("--scratch", type=Path, default=REPO / "results",
                        help="where the tiles are written, in a temporary folder that is removed afterwards "
                             "(default: results/, the disk the workflow writes its tiles to)")
    parser.add_argument("--out", type=Path, help="also write the numbers as JSON here")
    parser.add_argument("--profile", action="store_true", help="cProfile render_shard (threads=1) and print the top")
    args = parser.parse_args()

    sample = args.sample.resolve()
    if not (sample.is_dir() and (sample / "identities.csv").is_file()):
        sys.exit(f"sample not found: {sample} (needs the photos, their XML and identities.csv; "
                 "pass --sample DIR). It is not part of the repository.")
    if args.tiles < 1 or args.repeat < 1 or (args.photos is not None and args.photos < 1):
        sys.exit("--tiles, --repeat and --photos must be at least 1")
    default_cv_threads = cv2.getNumThreads()
    load = os.getloadavg()

    args.scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spatule-bench-", dir=args.scratch) as tmp:
        work = Path(tmp)
        settings, grounds, tags, plan, crops_dir = prepare_inputs(sample, work, args.seed, args.tiles + args.warmup,
                                                                       args.photos)
        timed, warm = plan[:args.tiles], plan[args.tiles:]
        by_tag = {t.tag_id: t for t in tags}
        crops = {t.tag_id: cv2.imread(str(crops_dir / t.file), cv2.IMREAD_COLOR) for t in tags}
        for g in grounds:  # the page cache holds every photo before anything is timed
            (sample / g.image).read_bytes()
        print(f"sample {sample}: {len(grounds)} ground photo(s), {len(tags)} tag crop(s) "
              f"({', '.join(f'{c.shape[1]}x{c.shape[0]}' for c in crops.values())} px); "
              f"{len(timed)} timed tiles on {len({s.image for s in timed})} photo(s), {len(warm)} warm-up")
        print(f"OpenCV {cv2.__version__}, {os.cpu_count()} CPU(s), default cv2 threads {default_cv_threads}")

        results: dict[str, dict[str, float]] = {}
        for threads in args.threads:
            cv2.setNumThreads(1 if threads == 1 else default_cv_threads)
            run = work / f"t{threads}"
            if warm:
                original(warm, sample, run / "warm-original", crops, by_tag, settings, threads)
                spatule_run(warm, sample, run / "warm-spatule", crops_dir, grounds, by_tag, settings, threads)
                floor(warm, sample, grounds, crops, by_tag, settings, threads)
            runs: dict[str, list[float]] = {"original": [], "spatule": [], "floor": []}
            for rep in range(args.repeat):  # interleaved, so a slow spell of a shared machine hits all three
                out = run / f"rep{rep}"
                runs["original"].append(original(timed, sample, out / "original", crops, by_tag, settings, threads))
                runs["spatule"].append(spatule_run(timed, sample, out / "spatule", crops_dir, grounds, by_tag,
                                                   settings, threads))
                runs["floor"].append(floor(timed, sample, grounds, crops, by_tag, settings, threads))
                shutil.rmtree(out)
            for how, pick in (("median", statistics.median), ("best", min)):
                rate = {k: len(timed) / pick(v) for k, v in runs.items()}
                results[f"{threads}/{how}"] = {
                    "threads": threads,
                    "statistic": how,
                    **{f"{k}_tiles_per_s": round(v, 2) for k, v in rate.items()},
                    "spatule_over_original": round(rate["spatule"] / rate["original"], 2),
                    "spatule_over_floor": round(rate["spatule"] / rate["floor"], 2),
                }
            results[f"{threads}/median"]["runs_tiles_per_s"] = {k: [round(len(timed) / x, 1) for x in v]
                                                                for k, v in runs.items()}
        profile_text = ""
        if args.profile:
            cv2.setNumThreads(1)
            profile_text = profile_spatule(timed, sample, work / "profile", crops_dir, grounds, by_tag, settings)
        cv2.setNumThreads(default_cv_threads)

    print()
    print(f"{'threads':>10} {'original':>9} {'spatule':>9} {'floor':>9}   "
          f"{'spatule/original':>16}   {'spatule/floor':>13}")
    print(f"{'':>10} {'tiles/s':>9} {'tiles/s':>9} {'tiles/s':>9}   {'(target >= 5)':>16}   {'(target >= 0.6)':>13}")
    for key, r in results.items():
        so, sf = r["spatule_over_original"], r["spatule_over_floor"]
        print(f"{key:>10} {r['original_tiles_per_s']:>9.1f} {r['spatule_tiles_per_s']:>9.1f} "
              f"{r['floor_tiles_per_s']:>9.1f}   {so:>9.2f}x {'ok' if so >= TARGET_ORIGINAL else 'MISS':>4}   "
              f"{sf:>8.2f} {'ok' if sf >= TARGET_FLOOR else 'MISS':>4}")
    print(f"median and best of {args.repeat} interleaved run(s); every run, tiles/s:")
    for key, r in results.items():
        if "runs_tiles_per_s" in r:
            print(f"  threads={r['threads']}: " + "; ".join(f"{k} {', '.join(map(str, v))}"
                                                         for k, v in r["runs_tiles_per_s"].items()))
    if load[0] > LOAD_WARNING:
        print(f"warning: load average {load[0]:.2f} at the start: other processes share the CPUs, so figures are "
              "low and noisy (trust 'best' more, or rerun when the machine is idle)")
    if profile_text:
        print("\nrender_shard, threads=1, an extra untimed run on the main thread, by own time:\n" + profile_text)

    report = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "opencv": cv2.__version__, "load_average_before": round(load[0], 2),
                    "load_average_after": round(os.getloadavg()[0], 2)},
        "sample": str(sample),
        "scratch": str(args.scratch),
        "tiles": len(timed),
        "warmup": len(warm),
        "repeat": args.repeat,
        "photos": len({s.image for s in timed}),
        "tiles_per_photo": round(len(timed) / len({s.image for s in timed}), 1),
        "tag_crops": len(tags),
        "targets": {"spatule_over_original": TARGET_ORIGINAL, "spatule_over_floor": TARGET_FLOOR},
        "results": results,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
