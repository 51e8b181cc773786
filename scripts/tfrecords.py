"""tfrecords rule: each split's COCO JSON + tiles -> sharded TFRecords, and the label map."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.tfrecords import label_map, record_files, write_split

with logged_step(snakemake) as log:
    records = [Path(p) for p in snakemake.output.records]
    for coco_json in map(Path, snakemake.input.json):
        split = coco_json.stem
        names = set(record_files(split, int(snakemake.params.shards[split])))
        outputs = [p for p in records if p.name in names]
        counts = write_split(coco_json, outputs, snakemake.params.class_name)
        log.info("%s: %d tiles, %d tags in %d shard(s)", split, counts["tiles"], counts["tags"], len(outputs))
    Path(snakemake.output.label_map).write_text(label_map(snakemake.params.class_name), encoding="utf-8")
