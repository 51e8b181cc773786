"""coco rule: gather one split's shards into COCO JSON, records and a contact sheet."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import coco_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    coco_stage(
        split=snakemake.wildcards.split,  # noqa: F821
        shard_dirs=[Path(p) for p in snakemake.input],  # noqa: F821
        tile_size=int(snakemake.params.tile_size),  # noqa: F821
        class_name=snakemake.params.class_name,  # noqa: F821
        json_out=Path(snakemake.output.json),  # noqa: F821
        csv_out=Path(snakemake.output.records),  # noqa: F821
        sheet_out=Path(snakemake.output.sheet),  # noqa: F821
        log=log,
    )
