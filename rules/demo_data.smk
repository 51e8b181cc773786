# demo_data: the embedded default input, a synthetic field campaign made from a seed.


rule demo_data:
    output:
        photos=directory("resources/demo/photos"),
        identities="resources/demo/identities.csv",
    log:
        "logs/demo_data.log",
    benchmark:
        "benchmarks/demo_data.tsv"
    conda:
        DATA_ENV
    params:
        demo=config["demo"],
        info_bar_px=config["camera"]["info_bar_px"],
    script:
        "../scripts/demo_data.py"
