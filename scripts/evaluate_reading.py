"""evaluate_reading rule: the reader on held-out tags whose identity is a code."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import evaluate_reading

with logged_step(snakemake) as log:
    inputs = snakemake.input
    evaluate_reading(Path(inputs.tags), Path(inputs.crops), Path(inputs.identities), Path(inputs.weights).parent,
                     Path(inputs.registry) if "registry" in inputs.keys() else None,
                     float(snakemake.params.threshold), Path(snakemake.output.metrics).parent, snakemake.threads, log)
