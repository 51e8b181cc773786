"""split rule: identities and background photos -> train/val/test, disjoint, bursts of one scene whole."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.labels.dirs import LabelDirs
from spatule.smk import logged_step
from spatule.stages import split
from spatule.stages.splitting import SplitTables

with logged_step(snakemake) as log:
    split(
        objects_csv=Path(snakemake.input.objects),
        tags_csv=Path(snakemake.input.tags),
        split_config=snakemake.params.split,
        outputs=SplitTables(*(Path(snakemake.output[k]) for k in ("identities", "backgrounds", "photos", "summary"))),
        log=log,
        labels_dir=LabelDirs.of(snakemake.config["labels"]["dir"]),
    )
