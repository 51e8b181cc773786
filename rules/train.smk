# train: Model Garden RetinaNet on the TFRecords (GPU on a lab server or cluster; the demo preset runs on CPU).
# The model folder is not a declared output: Snakemake would delete it when a job fails, and the
# checkpoints in it are what an interrupted training resumes from. metrics.json marks completion.


# A preset that needs a GPU (gpu) first checks, on a node like the training one, that TensorFlow
# sees a GPU: without one the run stops before the synthesis, with the install command.
rule devices:
    output:
        devices="results/model/devices.json",
    params:
        train=config["train"],
    priority: 50
    resources:
        gpu=int(config["train"]["gpus"]),
    log:
        "logs/devices.log",
    conda:
        TF_ENV
    script:
        "../scripts/devices.py"


rule train:
    input:
        train=tfrecord_names("train"),
        val=tfrecord_names("val"),
        val_json="results/tiles/val.json",
        label_map="results/tfrecords/label_map.pbtxt",
        pretrained=pretrained_input(),
        devices=devices_input(),
    output:
        metrics="results/model/metrics.json",
    params:
        train=config["train"],
        pretrained=pretrained_folder(),
    threads: int(config["train"]["threads"])
    resources:
        gpu=int(config["train"]["gpus"]),
        runtime=int(config["train"]["runtime_min"]),
        mem_mb=int(config["train"]["mem_mb"]),
    log:
        "logs/train.log",
    benchmark:
        "benchmarks/train.tsv"
    conda:
        TF_ENV
    script:
        "../scripts/train.py"


# The download runs where Snakemake itself runs (a cluster's login node has the internet that
# compute nodes often lack).
localrules:
    pretrained,


rule pretrained:
    output:
        directory(pretrained_folder()),
    params:
        pretrained=config["pretrained"],
    log:
        "logs/pretrained.log",
    conda:
        TF_ENV
    script:
        "../scripts/pretrained.py"
