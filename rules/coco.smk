# coco (gather): a split's shards -> COCO JSON, tile records, contact sheet.


rule coco:
    input:
        split_shards,
    output:
        json="results/tiles/{split}.json",
        records="results/tiles/{split}.csv",
        sheet=report(
            "results/tiles/{split}_sheet.jpg",
            caption="../report/tiles_sheet.rst",
            category="Synthetic tiles",
            labels={"split": "{split}"},
        ),
    log:
        "logs/coco/{split}.log",
    wildcard_constraints:
        split="train|val|test",
    conda:
        DATA_ENV
    params:
        tile_size=config["synth"]["tile_size"],
        class_name=config["labels"]["class_name"],
    script:
        "../scripts/coco.py"
