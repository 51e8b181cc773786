"""tflite rule: the newest checkpoint of the final model as a TFLite model."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import tflite

with logged_step(snakemake) as log:
    model_dir = Path(snakemake.input.metrics).parent  # results/model or results/model-hard
    tflite(model_dir=model_dir, tflite=Path(snakemake.output.tflite), log=log)
