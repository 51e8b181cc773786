# extract_tags: cut each tag with a context margin (seamlessClone zeroes the mask's frame).


rule extract_tags:
    input:
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
    output:
        crops=directory("results/tags/crops"),
        tags="results/tags/tags.csv",
    log:
        "logs/extract_tags.log",
    benchmark:
        "benchmarks/extract_tags.tsv"
    conda:
        DATA_ENV
    threads: 2
    params:
        margin_px=config["tags"]["margin_px"],
        margin_fraction=config["tags"]["margin_fraction"],
    script:
        "../scripts/extract_tags.py"
