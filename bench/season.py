"""A season searched for real through the workflow, at the real camera's size (issue 26, item 3).

    .venv/bin/python bench/season.py draw --season /data/season          # 7.8 GiB; 53 min here, beside other runs
    .venv/bin/python bench/season.py run --workdir /tmp/demo-a --season /data/season --out season.json

``draw`` draws two sites of the demo's colony at 3264x2448 (site ``a`` from ``demo.seed``, the
colony the demo's model and reader learnt; site ``b`` from another seed), each with the demo's two
cameras (the site's folder and its ``camera2/``): 4 camera folders, 3,030 photos. The last
:data:`ADDED` photos of site ``a``'s first camera are held back in ``SEASON-added/``: the next
frames off that camera's card, for the addition below.

``run`` needs a finished demo run (``--workdir``: its model, reader and search settings) and copies
it twice (``cp -a``, and :data:`RERUN_TRIGGERS`: no step upstream of detection runs again). In each
copy it asks Snakemake for ``results/detect/detections.csv`` with ``detect.images`` pointing at a season
folder, on 2 cores, and samples the memory of the whole process tree (Snakemake and its jobs, the sum of
their resident sets) every :data:`SAMPLE_S` seconds:

1. the first :data:`SMALL` photos (the same share of each camera, hard links in ``SEASON-1000/``),
   start to end;
2. the whole season, killed with ``kill -9`` of the whole process group once half its photos are in
   the cache, then ``snakemake --unlock`` and the same command with ``--rerun-incomplete`` (what
   README.md says to do); the job logs say how many photos each job took from the cache and how
   many it searched;
3. the held-back photos moved into site ``a``'s first camera folder, and the same command again.

It prints and writes (``--out``) photos per second, peak memory, the cache's size per photo, and the
photos searched at each step.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (3264, 2448)
SITES = {"a": (0, 1530), "b": (100, 1500)}
"""Site folder -> (seed offset from ``demo.seed``, photos drawn)."""
ADDED = 30
"""Photos of site ``a``'s first camera held back for the addition (1% of the season)."""
SMALL = 1000
SAMPLE_S = 0.5
KILL_POLL_S = 5.0
"""How often the killed run counts the cache's entries: a count of 3,000 took 42 ms (timed beside other work),
which every 0.2 s (as on 2026-12-07, the figures of docs/results.md) took up to some 8% of the 2 cores."""
RERUN_TRIGGERS = ("mtime", "params", "input", "software-env")
"""Snakemake's rerun triggers but ``code``, which for a ``script:`` rule compares the script's mtime with the
outputs': this repository cloned after the demo run was made would make every step run again."""
LOG_LINE = re.compile(r"(\d+) already searched with this model and these settings, (\d+) to search")


def draw_site(season: Path, site: str) -> str:
    """Draw one site into ``season/site`` (its truth table beside the season: ``SEASON-truth-SITE.csv``)."""
    from detect_speed import draw_photos  # beside this script

    offset, photos = SITES[site]
    summary = draw_photos(season / site, photos, "x".join(map(str, SIZE)), offset,
                          season.parent / f"{season.name}-truth-{site}.csv")
    return f"site {site}: {summary.photos} photos, {summary.tags} tags"


def draw(season: Path) -> None:
    """Both sites side by side (one process each), then hold back the last photos of site a's first camera."""
    if season.exists():
        raise SystemExit(f"{season} exists: remove it first")
    season.mkdir(parents=True)
    with multiprocessing.Pool(len(SITES)) as pool:
        for line in pool.starmap(draw_site, [(season, site) for site in SITES]):
            print(line, flush=True)
    added = season.parent / f"{season.name}-added"
    added.mkdir()
    for photo in sorted((season / "a").glob("*.JPG"))[-ADDED:]:
        photo.rename(added / photo.name)
    print(f"{sum(1 for _ in season.rglob('*.JPG'))} photos in {season}, {ADDED} held back in {added}")


def camera_folders(season: Path) -> list[Path]:
    """The season's folders that hold photos, in name order."""
    return sorted({p.parent for p in season.rglob("*.JPG")})


def link_small(season: Path, count: int) -> Path:
    """Hard links to the first photos of each camera, ``count`` in all, the same share of each."""
    small = season.parent / f"{season.name}-{count}"
    shutil.rmtree(small, ignore_errors=True)
    total = sum(1 for _ in season.rglob("*.JPG"))
    folders = camera_folders(season)
    for k, folder in enumerate(folders):
        photos = sorted(folder.glob("*.JPG"))
        take = round(count * len(photos) / total) if k < len(folders) - 1 else count - sum(
            1 for _ in small.rglob("*.JPG"))
        target = small / folder.relative_to(season)
        target.mkdir(parents=True, exist_ok=True)
        for photo in photos[:take]:
            os.link(photo, target / photo.name)
    return small


class TreeMemory(threading.Thread):
    """Samples the summed resident memory of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples, self._done = pid, 0, 0, threading.Event()

    def run(self) -> None:
        import psutil

        while not self._done.is_set():
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            rss = 0
            for process in tree:
                try:
                    rss += process.memory_info().rss
                except psutil.Error:  # it ended between the listing and now: the others still count
                    pass
            self.peak, self.samples = max(self.peak, rss), self.samples + 1
            self._done.wait(SAMPLE_S)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def snakemake(workdir: Path, config: Path, *extra: str, kill_when=None) -> dict:
    """Run the workflow in ``workdir`` (its own process group); with ``kill_when``, kill -9 the whole group
    once ``kill_when()`` is true. Seconds, peak memory (MiB), and whether it was killed."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "results/detect/detections.csv", "--cores", "2", "--rerun-triggers", *RERUN_TRIGGERS, *extra,
               "--configfile", str(config)]
    log = open(workdir / f"bench-season-{int(time.time())}.log", "w", encoding="utf-8")
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    memory = TreeMemory(process.pid)
    memory.start()
    killed = False
    while process.poll() is None:
        if kill_when is not None and not killed and kill_when():
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
        time.sleep(KILL_POLL_S if kill_when is not None else 0.2)
    seconds = time.perf_counter() - start
    peak = memory.stop()
    log.close()
    if process.returncode and not killed:
        raise SystemExit(f"snakemake failed ({process.returncode}): see {log.name}")
    return {"seconds": round(seconds, 1), "peak_mib": round(peak / 2**20), "killed": killed}


def job_counts(workdir: Path) -> dict[str, int]:
    """Jobs that ran, photos taken from the cache and photos searched, from the detection jobs' logs."""
    counts = {"jobs": 0, "cached": 0, "searched": 0}
    for log in sorted((workdir / "logs/detect").glob("*.log")):
        for found in LOG_LINE.finditer(log.read_text(encoding="utf-8")):
            counts["jobs"] += 1
            counts["cached"] += int(found.group(1))
            counts["searched"] += int(found.group(2))
    return counts


def benchmarks(workdir: Path) -> dict:
    """Snakemake's own records (``benchmark:``): the detection jobs' seconds and largest resident set, the
    gather's."""
    import csv

    def rows(path: Path) -> list[dict]:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f, delimiter="\t"))

    jobs = [r for path in sorted((workdir / "benchmarks/detect").glob("*.tsv")) for r in rows(path)]
    gather = rows(workdir / "benchmarks/detect.tsv")[-1]
    return {"jobs_seconds": round(sum(float(r["s"]) for r in jobs), 1),
            "job_max_rss_mib": round(max(float(r["max_rss"]) for r in jobs)),
            "gather_seconds": float(gather["s"]), "gather_max_rss_mib": round(float(gather["max_rss"]))}


def cache_entries(workdir: Path) -> int:
    return sum(1 for p in (workdir / "results/detect/cache").rglob("*") if p.is_file())


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def fresh_copy(run: Path, target: Path, season: Path) -> Path:
    """A copy of the finished demo run with no detection results, and its config for ``season``."""
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-a", str(run), str(target)], check=True)
    for stale in ("results/detect", "logs/detect", "benchmarks/detect", "benchmarks/detect.tsv", ".snakemake/locks"):
        if (target / stale).is_file():
            (target / stale).unlink()
        shutil.rmtree(target / stale, ignore_errors=True)
    config = target / "season.yaml"
    config.write_text(f"detect:\n  images: {season}\n", encoding="utf-8")
    return config


def season_run(workdir: Path, config: Path, photos: int) -> dict:
    """One search of a season start to end, with its figures."""
    figures = snakemake(workdir, config)
    cache, crops = (folder_mib(workdir / "results/detect" / name) for name in ("cache", "crops"))
    return {"photos": photos, **figures, "photos_per_s": round(photos / figures["seconds"], 3),
            **job_counts(workdir), **benchmarks(workdir), "cache_kib_per_photo": round(1024 * cache / photos, 1),
            "crops_kib_per_photo": round(1024 * crops / photos, 1)}


def killed_run(workdir: Path, config: Path, photos: int) -> dict:
    """The season killed (kill -9 of the whole workflow) with half its photos in the cache, then run again."""
    first = snakemake(workdir, config, kill_when=lambda: cache_entries(workdir) >= photos // 2)
    in_cache = cache_entries(workdir)
    shutil.rmtree(workdir / "logs/detect", ignore_errors=True)
    subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
                    "--unlock"], check=True, capture_output=True)
    second = snakemake(workdir, config, "--rerun-incomplete")
    rerun = job_counts(workdir)
    seconds = first["seconds"] + second["seconds"]
    return {"photos": photos, "killed_after_s": first["seconds"], "in_cache_when_killed": in_cache,
            "rerun": {**second, **rerun}, "searched_twice": in_cache + rerun["searched"] - photos,
            "both_runs": benchmarks(workdir),
            "seconds": round(seconds, 1), "photos_per_s": round(photos / seconds, 3),
            "peak_mib": max(first["peak_mib"], second["peak_mib"]),
            "cache_kib_per_photo": round(1024 * folder_mib(workdir / "results/detect/cache") / photos, 1)}


def added_run(workdir: Path, config: Path, season: Path, photos: int) -> dict:
    """The held-back photos moved into site a's first camera, and the season asked for again."""
    added = season.parent / f"{season.name}-added"
    moved = sorted(added.glob("*.JPG"))
    for photo in moved:
        photo.rename(season / "a" / photo.name)
    try:
        shutil.rmtree(workdir / "logs/detect", ignore_errors=True)
        figures = snakemake(workdir, config)
        counts = job_counts(workdir)
    finally:
        for photo in moved:
            (season / "a" / photo.name).rename(added / photo.name)
    total = photos + len(moved)
    return {"added": len(moved), "photos": total, **figures, **counts,
            "searched_again": counts["searched"] - len(moved),
            "share_searched": round(counts["searched"] / total, 4),
            "share_of_jobs": f"{counts['jobs']} of {len(list((workdir / 'results/detect/jobs').iterdir()))}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["draw", "run"])
    parser.add_argument("--season", type=Path, required=True, help="the season folder (draw makes it)")
    parser.add_argument("--workdir", type=Path, help="a finished demo run (run)")
    parser.add_argument("--scratch", type=Path, default=None, help="where the copies go (default: beside --season)")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    parser.add_argument("--small", type=int, default=SMALL, help=f"photos of the smaller season (default {SMALL})")
    args = parser.parse_args()
    season = args.season.resolve()
    if args.step == "draw":
        draw(season)
        return 0
    if args.workdir is None:
        raise SystemExit("run needs --workdir (a finished demo run)")
    scratch = args.scratch or season.parent
    photos = sum(1 for _ in season.rglob("*.JPG"))
    small = link_small(season, args.small)
    figures = {"cameras": len(camera_folders(season)), "size": "x".join(map(str, SIZE))}
    config = fresh_copy(args.workdir, scratch / "season-small", small)
    figures["small"] = season_run(scratch / "season-small", config, args.small)
    print(json.dumps(figures, indent=2), flush=True)
    config = fresh_copy(args.workdir, scratch / "season-whole", season)
    figures["whole_killed"] = killed_run(scratch / "season-whole", config, photos)
    print(json.dumps(figures, indent=2), flush=True)
    figures["added"] = added_run(scratch / "season-whole", config, season, photos)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
