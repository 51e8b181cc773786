"""provenance rule: the config, package versions, seeds and input checksums of this run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.labels.dirs import LabelDirs
from spatule.smk import logged_step
from spatule.stages import provenance

with logged_step(snakemake) as log:
    provenance(
        config=snakemake.params.config,
        labels_dir=LabelDirs.of(snakemake.config["labels"]["dir"]),
        identities=Path(snakemake.input.identities[0]) if snakemake.input.identities else None,
        workflow_dir=Path(snakemake.scriptdir).parent,
        snakemake_version=snakemake.params.snakemake_version,
        out_json=Path(snakemake.output[0]),
        threads=snakemake.threads,
        log=log,
    )
