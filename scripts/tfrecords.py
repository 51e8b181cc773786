"""tfrecords rule: each split's COCO JSON + tiles -> sharded TFRecords, and the label map."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import tfrecords

with logged_step(snakemake) as log:
    tfrecords(
        coco_jsons=[Path(p) for p in snakemake.input.json],
        records=[Path(p) for p in snakemake.output.records],
        shards=snakemake.params.shards,
        class_name=snakemake.params.class_name,
        label_map_out=Path(snakemake.output.label_map),
        log=log,
    )
