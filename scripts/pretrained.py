"""pretrained rule: fetch (or find) and unpack the published checkpoint of the gpu preset."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import pretrained

with logged_step(snakemake) as log:
    pretrained(snakemake.params.pretrained, Path(snakemake.output[0]).parent, log=log)  # PRETRAINED_ROOT
