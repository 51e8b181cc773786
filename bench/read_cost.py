"""What reading the codes adds to a detection job, in one run: the same folder searched as one job by
``spatule detect`` without and then with the reader, each from an empty cache, timed whole (process
start, TensorFlow, the search, the crops and, for the second, loading the reader and reading), with
this repository's ``spatule`` (``python -m spatule``).

    .venv/bin/python bench/read_cost.py --workdir /tmp/demo-a                      # a finished demo run
    .venv/bin/python bench/read_cost.py --workdir /tmp/demo-a --photos DIR --repeat 3

By default it searches the demo's 60 labelled photos (a job of ``detect.photos_per_job`` = 100 photos
is the season's unit); each pair is run ``--repeat`` times, alternating. It prints the seconds of
each, the share reading adds, and what the jobs' logs say reading itself took.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)  # this spatule
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - began, result.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a finished demo run")
    parser.add_argument("--photos", type=Path, help="folder to search (default: the demo's labelled photos)")
    parser.add_argument("--repeat", type=int, default=2, help="pairs of runs (default 2)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    photos = args.photos or args.workdir / "resources/demo/photos"
    command = [sys.executable, "-m", "spatule", "detect", str(photos), "--model",
               str(args.workdir / "results/exported"), "--threads", str(args.threads)]
    reading = ["--reader", str(args.workdir / "results/reader"), "--registry",
               str(args.workdir / "resources/demo/registry.csv")]
    plain, read, inside, tags = [], [], [], 0
    for _ in range(args.repeat):
        for with_reader in (False, True):
            out = Path(tempfile.mkdtemp(prefix="read-cost-"))
            seconds, log = timed(command + ["--out", str(out)] + (reading if with_reader else []))
            (read if with_reader else plain).append(seconds)
            if with_reader:
                inside += [float(s) for s in re.findall(r"reading took ([0-9.]+) s", log)]
                tags = int(re.findall(r"([0-9]+) tag\(s\) read in", log)[0])
            shutil.rmtree(out)
    without, with_ = min(plain), min(read)
    figures = {"photos": len(list(photos.rglob("*.JPG"))), "tags": tags, "threads": args.threads,
               "without_reader_s": [round(s, 1) for s in plain], "with_reader_s": [round(s, 1) for s in read],
               "added": round((with_ - without) / without, 3),
               "reading_in_log_s": [round(s, 2) for s in inside],
               "reading_in_log_share": round(min(inside) / without, 3) if inside else None}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
