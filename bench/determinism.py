"""What TensorFlow op determinism costs in training speed, and what it buys: the same weights.

Trains the demo preset for ``--steps`` steps on the TFRecords of a finished run (default the
workflow's ``results/tfrecords``), each run in its own process (op determinism is process-wide):
twice with ``deterministic: true`` and twice with ``false``, taking turns. Reports the steady
steps/s of each run, the ratio deterministic/free, and whether the two runs of each kind ended
with identical weights (sha256 over every variable of the last checkpoint).

    .venv/bin/python bench/determinism.py                 # ~8 min on 2 cores
    .venv/bin/python bench/determinism.py --steps 60 --out determinism.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ONE_RUN = """
import hashlib, json, sys
sys.path.insert(0, {repo!r})
import numpy as np
import tensorflow as tf
from spatule.model import experiment_config, run_training
records = {records!r}
config = experiment_config("demo", records["train"], records["val"], records["val_json"],
                           {{"steps": {steps}, "steps_per_loop": {loop}, "checkpoint_interval": {steps},
                             "eval_interval": 100000, "deterministic": {deterministic}}})
result = run_training(config, {model_dir!r}, threads={threads})
digest = hashlib.sha256()
for name, _ in sorted(tf.train.list_variables(result["checkpoint"])):
    if "optimizer" in name or "save_counter" in name:
        continue
    digest.update(name.encode() + np.ascontiguousarray(tf.train.load_variable(result["checkpoint"], name)).tobytes())
print("RESULT " + json.dumps({{"steps_per_second": result["steps_per_second"], "loss": result["loss"],
                              "weights": digest.hexdigest()}}))
"""


def run(records: dict, steps: int, deterministic: bool, threads: int) -> dict:
    """One training run in a fresh process; its steady steps/s, final loss and weights digest."""
    with tempfile.TemporaryDirectory(prefix="spatule-det-") as model_dir:
        code = ONE_RUN.format(repo=str(REPO), records=records, steps=steps, loop=max(1, steps // 6),
                              deterministic=deterministic, model_dir=model_dir, threads=threads)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    line = next((text for text in out.stdout.splitlines() if text.startswith("RESULT ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"training run failed:\n{out.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tfrecords", type=Path, default=REPO / "results/tfrecords")
    parser.add_argument("--tiles", type=Path, default=REPO / "results/tiles")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    train = sorted(str(p) for p in args.tfrecords.glob("train-*.tfrecord"))
    val = sorted(str(p) for p in args.tfrecords.glob("val-*.tfrecord"))
    if not train or not val or not (args.tiles / "val.json").is_file():
        raise SystemExit(f"no TFRecords under {args.tfrecords}: run the workflow up to them first "
                         "(snakemake --cores all results/tfrecords/label_map.pbtxt)")
    records = {"train": train, "val": val, "val_json": str(args.tiles / "val.json")}
    runs = {True: [], False: []}
    for _ in range(2):
        for deterministic in (True, False):
            runs[deterministic].append(run(records, args.steps, deterministic, args.threads))
            print(f"deterministic={deterministic}: {runs[deterministic][-1]}", flush=True)
    rate = {k: statistics.median(r["steps_per_second"] for r in v) for k, v in runs.items()}
    summary = {"steps": args.steps, "threads": args.threads,
               "steps_per_second": {"deterministic": rate[True], "free": rate[False]},
               "ratio_deterministic_to_free": round(rate[True] / rate[False], 3),
               "identical_weights": {"deterministic": runs[True][0]["weights"] == runs[True][1]["weights"],
                                     "free": runs[False][0]["weights"] == runs[False][1]["weights"]},
               "runs": {"deterministic": runs[True], "free": runs[False]}}
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
