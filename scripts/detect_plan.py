"""detect_plan checkpoint: the detection jobs of a folder the workflow makes itself (the demo's), once it exists."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import detect_plan

with logged_step(snakemake) as log:
    detect_plan(Path(snakemake.input.images), int(snakemake.params.photos_per_job), Path(snakemake.output[0]), log=log)
