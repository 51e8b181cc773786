# detect: tags in a folder of new photos (detect.images; default the labels folder, i.e. the demo
# photos): tiled full-size detection, merged across seams; a table of boxes and one crop per tag.


rule detect:
    input:
        saved_model=rules.export.output.saved_model,
        images=detect_images(),
        objects=rules.index_labels.output.objects,
    output:
        detections="results/detect/detections.csv",
        photos="results/detect/photos.csv",
        crops=directory("results/detect/crops"),
        sheet=report(
            "results/detect/sheet.jpg",
            caption="../report/detect_sheet.rst",
            category="Detection on new photos",
            labels={"figure": "detections"},
        ),
    log:
        "logs/detect.log",
    benchmark:
        "benchmarks/detect.tsv"
    conda:
        TF_ENV
    threads: 4
    params:
        detect=config["detect"],
        tile_size=config["synth"]["tile_size"],
        info_bar_px=config["camera"]["info_bar_px"],
        margin_px=config["tags"]["margin_px"],
        margin_fraction=config["tags"]["margin_fraction"],
        exif_orientation=config["labels"]["exif_orientation"],
    script:
        "../scripts/detect.py"
