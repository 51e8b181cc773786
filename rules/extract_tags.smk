# extract_tags: cut each tag with a context margin (seamlessClone zeroes the mask's frame).


rule extract_tags:
    input:
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
    output:
        crops=directory("results/tags/crops"),
        tags="results/tags/tags.csv",
    params:
        margin_px=config["tags"]["margin_px"],
        margin_fraction=config["tags"]["margin_fraction"],
    threads: 2
    log:
        "logs/extract_tags.log",
    benchmark:
        "benchmarks/extract_tags.tsv"
    conda:
        DATA_ENV
    script:
        "../scripts/extract_tags.py"
