# train: Model Garden RetinaNet on the TFRecords (GPU on a lab server or cluster; the demo preset runs on CPU).
# The model folder is not a declared output: Snakemake would delete it when a job fails, and the
# checkpoints in it are what an interrupted training resumes from. metrics.json marks completion.


# A preset that needs a GPU (gpu) first checks, on a node like the training one, that TensorFlow
# sees a GPU: without one the run stops before the synthesis, with the install command.
rule devices:
    output:
        devices="results/model/devices.json",
    log:
        "logs/devices.log",
    priority: 50
    conda:
        TF_ENV
    resources:
        gpu=int(config["train"]["gpus"]),
    params:
        train=train_params(),
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
    log:
        "logs/train.log",
    benchmark:
        "benchmarks/train.tsv"
    conda:
        TF_ENV
    threads: int(config["train"]["threads"])
    resources:
        gpu=int(config["train"]["gpus"]),
        runtime=int(config["train"]["runtime_min"]),
        mem_mb=int(config["train"]["mem_mb"]),
    params:
        train=train_params(),
        pretrained=pretrained_param(),
    script:
        "../scripts/train.py"


# The download runs where Snakemake itself runs (a cluster's login node has the internet that
# compute nodes often lack).
localrules:
    pretrained,


rule pretrained:
    output:
        directory(pretrained_folder()),
    log:
        "logs/pretrained.log",
    conda:
        TF_ENV
    params:
        pretrained=config["pretrained"],
    script:
        "../scripts/pretrained.py"
