"""train_reader rule: the code reader trained on rendered crops of the tag font."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import train_reader

with logged_step(snakemake) as log:
    params = snakemake.params
    train_reader(params.alphabet, Path(snakemake.input.sheet) if snakemake.input.sheet else None, int(params.crops),
                 int(params.epochs), int(params.seed), int(params.code_length),
                 Path(snakemake.output.weights).parent, snakemake.threads, log)
