"""Work redone when photos are added to a season, through the whole workflow.

    .venv/bin/python bench/detect_added.py --workdir /tmp/demo-a     # a finished demo run

Copies the demo's new photos (``resources/demo/new``) to ``WORKDIR/season-added`` and points
``detect.images`` there (with ``--photos-per-job`` files a job), asks for
``results/detect/detections.csv``, then adds ``--add`` photos (10% by default: copies of the
demo's labelled photos under new names, at the end of the folder) and asks again. Prints how
many detection jobs each run ran, how many photos they searched and took from the cache, and
the share of the photo searches done again after the addition.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(workdir: Path, config: Path) -> dict[str, int]:
    """Ask for the detections; the detection jobs run, and what their logs say they searched."""
    logs = workdir / "logs" / "detect"
    shutil.rmtree(logs, ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
                             str(workdir), "--cores", "2", "results/detect/detections.csv",
                             # not "code": a script newer than the run (a later clone) would run the demo again
                             "--rerun-triggers", "mtime", "params", "input", "software-env",
                             "--configfile", str(config)], capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    counts = {"jobs": 0, "searched": 0, "cached": 0}
    for log in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        found = re.search(r"(\d+) already searched with this model and these settings, (\d+) to search",
                          log.read_text())
        counts["jobs"] += 1
        counts["cached"] += int(found.group(1)) if found else 0
        counts["searched"] += int(found.group(2)) if found else 0
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a finished demo run")
    parser.add_argument("--add", type=int, default=None, help="photos added (default: 10%% of the season)")
    parser.add_argument("--photos-per-job", type=int, default=5, help="files per detection job (default 5)")
    args = parser.parse_args()
    season = args.workdir / "season-added"
    shutil.rmtree(season, ignore_errors=True)
    shutil.copytree(args.workdir / "resources/demo/new", season)
    before = sorted(p for p in season.rglob("*.JPG"))
    config = args.workdir / "season-added.yaml"
    config.write_text(f"detect:\n  images: {season}\n  photos_per_job: {args.photos_per_job}\n", encoding="utf-8")
    first = run(args.workdir, config)
    add = args.add if args.add is not None else max(1, round(len(before) / 10))
    labelled = sorted((args.workdir / "resources/demo/photos").glob("*.JPG"))[:add]
    for k, photo in enumerate(labelled, start=1):
        shutil.copy(photo, season / f"ZZ_added_{k:04d}.JPG")  # after the others in name order
    second = run(args.workdir, config)
    total = len(before) + len(labelled)
    figures = {"photos": len(before), "added": len(labelled), "first": first, "after_adding": second,
               "share_redone": round(second["searched"] / total, 3)}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
