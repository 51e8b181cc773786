"""demo_data rule: the embedded demo campaign (labelled photos + identities CSV)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import demo_data

with logged_step(snakemake) as log:
    demo_data(snakemake.params.demo, int(snakemake.params.info_bar_px), Path(snakemake.output.photos),
              Path(snakemake.output.identities), snakemake.threads, log=log)
