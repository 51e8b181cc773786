"""devices rule: what TensorFlow sees where training runs; a GPU preset without GPU stops here, early."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import devices

with logged_step(snakemake) as log:
    devices(snakemake.params.train, Path(snakemake.output.devices), log=log)
