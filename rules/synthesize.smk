# synthesize (scatter): each shard of each split renders its share of the planned tiles.


rule synthesize:
    input:
        labels=labels_dir(),
        crops=rules.extract_tags.output.crops,
        tags=rules.extract_tags.output.tags,
        objects=rules.index_labels.output.objects,
        problems=rules.index_labels.output.problems,
        identities=rules.split.output.identities,
        backgrounds=rules.split.output.backgrounds,
        photos=rules.split.output.photos,
    output:
        directory("results/tiles/{split}/shard-{shard}"),
    log:
        "logs/synthesize/{split}-{shard}.log",
    benchmark:
        "benchmarks/synthesize/{split}-{shard}.tsv"
    wildcard_constraints:
        split="train|val|test",
        shard=r"\d+",
    conda:
        DATA_ENV
    threads: 2
    params:
        synth=with_camera_mask(config["synth"]),  # camera.mask: filled grey, no tag pasted over it
        info_bar_px=config["camera"]["info_bar_px"],
        class_name=config["labels"]["class_name"],
    script:
        "../scripts/synthesize.py"
