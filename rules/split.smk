# split: train/val/test by disjoint tag identities; background photos by photo; a burst (frames of one camera
# within split.burst_minutes, by EXIF time) goes whole to one split.


rule split:
    input:
        objects=rules.index_labels.output.objects,
        tags=rules.extract_tags.output.tags,
        labels=labels_dir(),  # the photos' EXIF times (split.burst_minutes)
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
