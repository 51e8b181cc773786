# demo_data: the embedded default input, a synthetic field campaign made from a seed (a checkpoint too: with
# detect.images its photos, detect plans its jobs once they exist).
# demo_new_photos: unlabelled photos of a later day of the same colony, which detect searches in the demo (a
# checkpoint: the detection jobs are planned from its folder once it exists).
# demo_registry: the demo colony's banded birds (read.registry in the demo).


checkpoint demo_data:
    output:
        photos=directory(DEMO_PHOTOS),
        identities="resources/demo/identities.csv",
    log:
        "logs/demo_data.log",
    benchmark:
        "benchmarks/demo_data.tsv"
    conda:
        DATA_ENV
    threads: 2
    params:
        demo={k: v for k, v in config["demo"].items() if k not in ("new_photos", "banded")},
        info_bar_px=config["camera"]["info_bar_px"],
    script:
        "../scripts/demo_data.py"


checkpoint demo_new_photos:
    output:
        photos=directory(DEMO_NEW_PHOTOS),
        truth="resources/demo/new_truth.csv",
    log:
        "logs/demo_new_photos.log",
    benchmark:
        "benchmarks/demo_new_photos.tsv"
    conda:
        DATA_ENV
    params:
        demo={k: v for k, v in config["demo"].items() if k != "banded"},
        info_bar_px=config["camera"]["info_bar_px"],
    script:
        "../scripts/demo_new_photos.py"


rule demo_registry:
    input:
        identities="resources/demo/identities.csv",
    output:
        registry=DEMO_REGISTRY,
    log:
        "logs/demo_registry.log",
    conda:
        DATA_ENV
    params:
        banded=config["demo"].get("banded", 100),
        seed=config["demo"]["seed"],
    script:
        "../scripts/demo_registry.py"
