"""Is the demo's learning rate what it should be? The demo preset trained at several peak rates.

The demo preset trains from scratch at 0.08 with batch 8: 8x the Model Garden's RetinaNet rate
per image (0.32 at batch 256, i.e. 0.01 at batch 8), which the gpu preset keeps. This trains
the demo preset exactly as the workflow does (same steps, schedule and seed; op determinism on,
so a rerun gives the same figures) at each ``--rates`` value on the TFRecords of a finished run,
each in its own process, and reports the final training loss and the COCO AP/AP50 on the
validation tiles, with each rate's AP50 against the first rate's (the baseline).

    .venv/bin/python bench/learning_rate.py --workdir . --rates 0.08 0.01    # ~10 min per rate on 2 cores
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, sys
sys.path.insert(0, {repo!r})
from spatule.gpu_check import workflow_records
from spatule.model import run_training
from spatule.stages.training import training_experiment
from pathlib import Path
train_glob, val_glob, val_json = workflow_records(Path({workdir!r}))
config = training_experiment({{"preset": "demo"}}, [train_glob], [val_glob], val_json,
                             extra={{"learning_rate": {rate}}})
result = run_training(config, {model_dir!r}, threads={threads})
print("RESULT " + json.dumps({{k: result[k] for k in ("loss", "AP", "AP50", "final_step", "steps_per_second")}}))
"""


def run(workdir: Path, rate: float, threads: int) -> dict:
    """One demo training at peak ``rate`` in a fresh process; its final loss, val AP and AP50."""
    with tempfile.TemporaryDirectory(prefix="spatule-lr-") as model_dir:
        code = ONE_RUN.format(repo=str(REPO), workdir=str(workdir.resolve()), rate=rate, model_dir=model_dir,
                              threads=threads)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    line = next((text for text in out.stdout.splitlines() if text.startswith("RESULT ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"training at {rate} failed:\n{out.stderr[-3000:]}")
    return {"learning_rate": rate, **json.loads(line[len("RESULT "):])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=REPO, help="a run's working directory (results/tfrecords)")
    parser.add_argument("--rates", type=float, nargs="+", default=[0.08, 0.01], help="the first is the baseline")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args()
    results = [run(args.workdir, rate, args.threads) for rate in args.rates]
    base = results[0]["AP50"]
    for r in results:
        ratio = f"{r['AP50'] / base:.2f}" if base else "n/a"
        print(f"learning rate {r['learning_rate']:g}: loss {r['loss']:.4f}, val AP {r['AP']:.3f}, "
              f"AP50 {r['AP50']:.3f} ({ratio} x the {args.rates[0]:g} run)")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
