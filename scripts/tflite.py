"""tflite rule: newest checkpoint of the final model -> TFLite."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import tflite_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    tflite_stage(
        model_dir=Path(snakemake.input.metrics).parent,  # noqa: F821  (results/model or results/model-hard)
        tflite=Path(snakemake.output.tflite),  # noqa: F821
        log=log,
    )
