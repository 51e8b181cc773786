"""read_threshold rule: when a reading is a bird, chosen on the val split's tags whose identity is a code."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import read_threshold
from spatule.stages.reading import LabelledTags, ReaderFiles, ThresholdSettings

with logged_step(snakemake) as log:
    inputs, params = snakemake.input, snakemake.params
    read_threshold(LabelledTags(Path(inputs.tags), Path(inputs.crops), Path(inputs.identities)),
                   ReaderFiles(Path(inputs.weights).parent, Path(inputs.registry[0]) if inputs.registry else None,
                               Path(inputs.sheet[0]) if inputs.sheet else None),
                   ThresholdSettings(None if params.threshold is None else float(params.threshold),
                                     float(params.target_accuracy), float(params.margin), int(params.seed)),
                   Path(snakemake.output[0]), snakemake.threads, log)
