"""model_card rule: beside the exported model, the search settings and the score threshold chosen on the real
val photos (for detect_job, the test figures and spatule detect)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import model_card

with logged_step(snakemake) as log:
    model_card(Path(snakemake.input.settings), Path(snakemake.input.val), Path(snakemake.output[0]), log=log)
