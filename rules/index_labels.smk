# index_labels: every photo + labelImg XML under labels.dir -> tag/background rows + problems.


rule index_labels:
    input:
        labels=labels_dir(),
        identities=identities_input(),
    output:
        objects="results/labels/objects.csv",
        problems="results/labels/problems.csv",
    log:
        "logs/index_labels.log",
    benchmark:
        "benchmarks/index_labels.tsv"
    conda:
        DATA_ENV
    threads: 2
    params:
        labels=config["labels"],
        # photos too small for one tile are recorded here, not dropped later without a word
        synth={k: v for k, v in config["synth"].items() if k in ("tile_size", "use_labelled_regions")},
    script:
        "../scripts/index_labels.py"
