"""devices rule: what TensorFlow sees where training runs; a GPU preset without GPU stops here, early."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.pipeline import devices_stage
from spatule.smk import logged_step

with logged_step(snakemake) as log:
    devices_stage(snakemake.params.train, Path(snakemake.output.devices), log=log)
