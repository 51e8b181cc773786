"""train_reader rule: the code reader trained on rendered crops of the tag font and the train split's tags."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import train_reader
from spatule.stages.reading import LabelledTags, ReaderSettings

with logged_step(snakemake) as log:
    inputs = snakemake.input
    train_reader(ReaderSettings.of(snakemake.params.read), Path(inputs.sheet[0]) if inputs.sheet else None,
                 Path(snakemake.output.weights).parent,
                 LabelledTags(Path(inputs.tags), Path(inputs.crops), Path(inputs.identities)), snakemake.threads, log)
