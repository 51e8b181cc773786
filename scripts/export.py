"""export and tflite rules: newest checkpoint of the final model -> SavedModel (uint8 image input) or TFLite."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.pipeline import export_stage, tflite_stage
from spatule.smk import logged_step

with logged_step(snakemake) as log:
    model_dir = Path(snakemake.input.metrics).parent  # results/model or results/model-hard
    if snakemake.rule == "tflite":
        tflite_stage(model_dir=model_dir, tflite=Path(snakemake.output.tflite), log=log)
    else:
        export_stage(model_dir=model_dir, saved_model=Path(snakemake.output.saved_model), log=log)
