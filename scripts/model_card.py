"""model_card rule: beside the exported model, the search settings it was evaluated with and the score threshold
chosen on the real val photos (for detect_job, the test figures and spatule detect)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import model_card

with logged_step(snakemake) as log:
    params = snakemake.params
    model_card(params.detect, int(params.tile_size), Path(snakemake.input.objects), int(params.info_bar_px),
               params.class_name, Path(snakemake.input.val), Path(snakemake.output[0]), log=log)
