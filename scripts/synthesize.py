"""synthesize rule: render one shard of one split's synthetic tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import synthesize_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    synth = snakemake.params.synth  # noqa: F821
    split = snakemake.wildcards.split  # noqa: F821
    synthesize_stage(
        split=split,
        shard=int(snakemake.wildcards.shard),  # noqa: F821
        shards=int(synth["shards"]),
        count=int(synth["tiles"][split]),
        seed=int(synth["seed"]),
        synth=synth,
        class_name=snakemake.params.class_name,  # noqa: F821
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        crops_dir=Path(snakemake.input.crops),  # noqa: F821
        tables={k: Path(snakemake.input[k]) for k in  # noqa: F821
                ("objects", "problems", "backgrounds", "photos", "identities", "tags")},
        out_dir=Path(snakemake.output[0]),  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        log=log,
        info_bar_px=int(snakemake.params.info_bar_px),  # noqa: F821
    )
