# demo_data: the embedded default input, a synthetic field campaign made from a seed.


rule demo_data:
    output:
        photos=directory("resources/demo/photos"),
        identities="resources/demo/identities.csv",
    params:
        demo=config["demo"],
        info_bar_px=config["camera"]["info_bar_px"],
    log:
        "logs/demo_data.log",
    benchmark:
        "benchmarks/demo_data.tsv"
    conda:
        DATA_ENV
    script:
        "../scripts/demo_data.py"
