#!/usr/bin/env bash
# The GPU figures of docs/results.md, on a machine with an NVIDIA GPU (one run, meant to fit in about
# 8 minutes; not run yet: no GPU was lent to this project so far):
#   bash bench/gpu_check.sh [OUT]          # OUT: where the figures go (default bench/out/gpu)
# 1. installs the GPU requirements (requirements-gpu.txt) into .venv, as the README says;
# 2. `spatule gpu-check`: what TensorFlow sees, 20 steps of the gpu preset on generated tiles;
# 3. makes the demo's TFRecords (the workflow up to them; CPU work);
# 4. trains the gpu preset from scratch (no checkpoint download) on them for STEPS steps
#    (default 300) and validates on the whole val split: steps/s, images/s, peak GPU memory, val AP.
# Each step writes a JSON file under OUT; the log goes to OUT/gpu_check.log.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/out/gpu}
STEPS=${STEPS:-300}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/nvidia-smi.csv" || true
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
# the CUDA wheels are several GB: install them only where they are missing (offline machines carry them)
if ! .venv/bin/python -c "import nvidia.cudnn" 2>/dev/null; then
  .venv/bin/pip install -q -r requirements-gpu.txt -c constraints.txt
fi
.venv/bin/python -m spatule gpu-check --steps 20 --json "$OUT/check-generated.json"
.venv/bin/python -m snakemake --cores all --directory "$OUT/work" -s "$PWD/Snakefile" \
    results/tfrecords/label_map.pbtxt results/tiles/val.json
.venv/bin/python -m spatule gpu-check --steps "$STEPS" --data "$OUT/work" --json "$OUT/check-demo.json"
.venv/bin/python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
for name in ("check-generated.json", "check-demo.json"):
    r = json.loads((out / name).read_text())
    gpus = ", ".join(g["name"] for g in r["devices"]["gpus"]) or "none"
    peak = max((m["peak_mib"] for m in r["gpu_memory_mib"]), default=0)
    print(f"{name}: {gpus}; {r['steps']} steps, batch {r['batch_size']} at {r['input_size']} px: "
          f"{r['steps_per_second']:.2f} steps/s, {r['images_per_second']:.1f} images/s, "
          f"peak GPU memory {peak:.0f} MiB, val AP {r['AP']} AP50 {r['AP50']}")
PY
