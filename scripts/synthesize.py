"""synthesize rule: render one shard of one split's synthetic tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import synthesize

with logged_step(snakemake) as log:
    synth = snakemake.params.synth
    split = snakemake.wildcards.split
    synthesize(
        split=split,
        shard=int(snakemake.wildcards.shard),
        shards=int(synth["shards"]),
        count=int(synth["tiles"][split]),
        seed=int(synth["seed"]),
        synth=synth,
        class_name=snakemake.params.class_name,
        labels_dir=Path(snakemake.input.labels),
        crops_dir=Path(snakemake.input.crops),
        tables={k: Path(snakemake.input[k]) for k in
                ("objects", "problems", "backgrounds", "photos", "identities", "tags")},
        out_dir=Path(snakemake.output[0]),
        threads=snakemake.threads,
        log=log,
        info_bar_px=int(snakemake.params.info_bar_px),
    )
