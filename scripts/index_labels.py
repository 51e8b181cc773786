"""index_labels rule: photos + VOC XML -> objects.csv and problems.csv."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.labels.dirs import LabelDirs
from spatule.smk import logged_step
from spatule.stages import index_labels

with logged_step(snakemake) as log:
    labels = snakemake.params.labels
    index_labels(
        labels_dir=LabelDirs.of(snakemake.config["labels"]["dir"]),
        identities=Path(snakemake.input.identities[0]) if snakemake.input.identities else None,
        labels_config=labels,
        objects_csv=Path(snakemake.output.objects),
        problems_csv=Path(snakemake.output.problems),
        threads=snakemake.threads,
        log=log,
        synth_config=snakemake.params.synth,
    )
