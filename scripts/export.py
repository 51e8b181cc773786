"""export and tflite rules: newest checkpoint of the final model -> SavedModel (uint8 image input) or TFLite."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import export_stage, tflite_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    model_dir = Path(snakemake.input.metrics).parent  # noqa: F821  (results/model or results/model-hard)
    if snakemake.rule == "tflite":  # noqa: F821
        tflite_stage(model_dir=model_dir, tflite=Path(snakemake.output.tflite), log=log)  # noqa: F821
    else:
        export_stage(model_dir=model_dir, saved_model=Path(snakemake.output.saved_model), log=log)  # noqa: F821
