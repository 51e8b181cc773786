"""demo_new_photos rule: unlabelled photos of a later day of the demo colony (what detect searches)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import demo_new_photos

with logged_step(snakemake) as log:
    demo_new_photos(snakemake.params.demo, int(snakemake.params.info_bar_px), Path(snakemake.output.photos),
                    Path(snakemake.output.truth), log=log)
