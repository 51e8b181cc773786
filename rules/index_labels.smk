# index_labels: every photo + labelImg XML under labels.dir -> tag/background rows + problems.


rule index_labels:
    input:
        labels=labels_dir(),
        identities=identities_input(),
    output:
        objects="results/labels/objects.csv",
        problems="results/labels/problems.csv",
    params:
        labels=config["labels"],
    threads: 2
    log:
        "logs/index_labels.log",
    benchmark:
        "benchmarks/index_labels.tsv"
    conda:
        DATA_ENV
    script:
        "../scripts/index_labels.py"
