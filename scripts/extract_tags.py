"""extract_tags rule: objects.csv + photos -> tag crops with context and tags.csv."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.labels.dirs import LabelDirs
from spatule.smk import logged_step
from spatule.stages import extract_tags

with logged_step(snakemake) as log:
    extract_tags(
        labels_dir=LabelDirs.of(snakemake.config["labels"]["dir"]),
        objects_csv=Path(snakemake.input.objects),
        crops_dir=Path(snakemake.output.crops),
        tags_csv=Path(snakemake.output.tags),
        margin_px=int(snakemake.params.margin_px),
        margin_fraction=float(snakemake.params.margin_fraction),
        threads=snakemake.threads,
        log=log,
    )
