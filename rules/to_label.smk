# to_label: the new photos the models are unsure about (boxes near the threshold, unread tags, visits whose
# frames disagree, photos unlike the labelled ones), with the reasons; not ranked (docs/results.md).


rule to_label:
    input:
        detections=rules.detect.output.detections,
        photos=rules.detect.output.photos,
        visits=rules.detect.output.visits,
        card=rules.model_card.output[0],
        split_photos=rules.split.output.photos,
        objects=rules.index_labels.output.objects,  # photos labelled already: left out
        backgrounds=rules.split.output.backgrounds,
        images=detect_images(),
        labels=labels_dir(),
    output:
        "results/detect/to_label.csv",
    log:
        "logs/to_label.log",
    benchmark:
        "benchmarks/to_label.tsv"
    conda:
        DATA_ENV
    script:
        "../scripts/to_label.py"
