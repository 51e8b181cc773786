# hard negatives: the first model's false boxes on the train split's photos become tag-free tiles,
# and a second training round continues from the first model with them (hard_negatives.enabled).


rule mine_negatives:
    input:
        metrics=rules.train.output.metrics,
        settings=rules.search_settings.output[0],
        train=tfrecord_names("train"),
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
        problems=rules.index_labels.output.problems,
        photos=rules.split.output.photos,
        backgrounds=rules.split.output.backgrounds,
    output:
        tiles=directory("results/negatives/tiles"),
        round_two=tfrecord_names("train", prefix="hard-"),
        summary="results/negatives/summary.json",
    log:
        "logs/mine_negatives.log",
    benchmark:
        "benchmarks/mine_negatives.tsv"
    conda:
        TF_ENV
    threads: 4
    params:
        hard=config["hard_negatives"],
        jpeg_quality=config["synth"]["jpeg_quality"],
    script:
        "../scripts/mine_negatives.py"


rule train_hard:
    input:
        train=rules.mine_negatives.output.round_two,
        val=tfrecord_names("val"),
        val_json="results/tiles/val.json",
        base=rules.train.output.metrics,
        before=rules.mine_negatives.output.summary,
        settings=rules.search_settings.output[0],
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
        problems=rules.index_labels.output.problems,
        photos=rules.split.output.photos,
        backgrounds=rules.split.output.backgrounds,
    output:
        metrics="results/model-hard/metrics.json",
        report="results/model-hard/hard_negatives.json",
    log:
        "logs/train_hard.log",
    benchmark:
        "benchmarks/train_hard.tsv"
    conda:
        TF_ENV
    threads: int(config["train"]["threads"])
    resources:
        gpu=int(config["train"]["gpus"]),
        runtime=int(config["train"]["runtime_min"]),
        mem_mb=int(config["train"]["mem_mb"]),
    params:
        train=train_params(),
        hard=config["hard_negatives"],
    script:
        "../scripts/train_hard.py"
