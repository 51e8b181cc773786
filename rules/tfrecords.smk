# tfrecords: every split's tiles -> sharded TFRecords (JPEG passed through) + label map.


rule tfrecords:
    input:
        json=expand("results/tiles/{split}.json", split=SPLITS),
        shards=[
            shard
            for split in SPLITS
            for shard in expand("results/tiles/{split}/{shard}", split=split, shard=tile_shards())
        ],
    output:
        records=[name for split in SPLITS for name in tfrecord_names(split)],
        label_map="results/tfrecords/label_map.pbtxt",
    log:
        "logs/tfrecords.log",
    benchmark:
        "benchmarks/tfrecords.tsv"
    conda:
        TF_ENV
    params:
        class_name=config["labels"]["class_name"],
        shards=config["tfrecords"]["shards"],
    script:
        "../scripts/tfrecords.py"
