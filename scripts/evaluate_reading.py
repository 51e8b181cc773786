"""evaluate_reading rule: the reader on every split's tags whose identity is a code, and on the new photos
whose tags are known."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import evaluate_reading
from spatule.stages.reading import LabelledTags, ReaderFiles
from spatule.stages.reading_evaluation import NewDay

with logged_step(snakemake) as log:
    inputs = snakemake.input
    evaluate_reading(LabelledTags(Path(inputs.tags), Path(inputs.crops), Path(inputs.identities)),
                     ReaderFiles(Path(inputs.weights).parent,
                                 Path(inputs.registry) if "registry" in inputs.keys() else None),
                     Path(inputs.acceptance), Path(snakemake.output.metrics).parent,
                     NewDay(Path(inputs.truth[0]), Path(inputs.detections)) if inputs.truth else None,
                     snakemake.threads, log)
