# split: train/val/test by disjoint tag identities; background photos by photo.


rule split:
    input:
        objects=rules.index_labels.output.objects,
        tags=rules.extract_tags.output.tags,
    output:
        identities="results/split/identities.csv",
        backgrounds="results/split/backgrounds.csv",
        photos="results/split/photos.csv",
        summary="results/split/summary.json",
    log:
        "logs/split.log",
    conda:
        DATA_ENV
    params:
        split=config["split"],
    script:
        "../scripts/split.py"
