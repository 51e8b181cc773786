"""synthesize rule: render one shard of one split's synthetic tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.labels.dirs import LabelDirs
from spatule.smk import logged_step
from spatule.stages import synthesize
from spatule.stages.synthesis import Shard, SynthInputs

with logged_step(snakemake) as log:
    synthesize(
        shard=Shard(snakemake.wildcards.split, int(snakemake.wildcards.shard)),
        synth=snakemake.params.synth,
        class_name=snakemake.params.class_name,
        inputs=SynthInputs(
            labels_dir=LabelDirs.of(snakemake.config["labels"]["dir"]),
            crops_dir=Path(snakemake.input.crops),
            tables={k: Path(snakemake.input[k]) for k in
                    ("objects", "problems", "backgrounds", "photos", "identities", "tags")},
        ),
        out_dir=Path(snakemake.output[0]),
        threads=snakemake.threads,
        log=log,
        info_bar_px=int(snakemake.params.info_bar_px),
    )
