"""coco rule: gather one split's shards into COCO JSON, records and a contact sheet."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import coco
from spatule.stages.synthesis import CocoOutputs

with logged_step(snakemake) as log:
    coco(
        split=snakemake.wildcards.split,
        shard_dirs=[Path(p) for p in snakemake.input],
        tile_size=int(snakemake.params.tile_size),
        class_name=snakemake.params.class_name,
        outputs=CocoOutputs(*(Path(snakemake.output[k]) for k in ("json", "records", "sheet"))),
        log=log,
    )
