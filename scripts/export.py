"""export rule: the newest checkpoint of the final model as a SavedModel (uint8 RGB tiles in)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import export

with logged_step(snakemake) as log:
    model_dir = Path(snakemake.input.metrics).parent  # results/model or results/model-hard
    export(model_dir=model_dir, saved_model=Path(snakemake.output.saved_model), log=log)
