"""devices rule: what TensorFlow sees where training runs; a GPU preset without GPU stops here, early."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import devices_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    devices_stage(snakemake.params.train, Path(snakemake.output.devices), log=log)  # noqa: F821
