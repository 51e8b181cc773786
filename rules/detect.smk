# detect: tags in a folder of photos (detect.images; in the demo, its new photos of a later day),
# a season at a time, planned once from the folder (rules/common.smk: detect_jobs): detect_job searches detect.photos_per_job files each (a cluster job
# each, side by side), remembering every photo it searched (results/detect/cache/); detect gathers
# the jobs' tables, draws the sheet and writes labelImg files of the boxes (results/detect/voc/).
# Each job reads the code of every tag it found (rule train_reader's reader, read.registry); detect
# links each camera's frames of one bird into visits read from all their frames (visits.csv), marks boxes
# that come back at one place in many frames (static.csv: a logo), and writes who was seen when and where:
# sightings.csv, birds.csv, the timeline and the read tags' sheet.


rule detect_job:
    input:
        unpack(detect_job_input),
        unpack(search_models),
        unpack(reader_input),
        card=rules.model_card.output[0],  # the search settings, at the score threshold chosen on val
    output:
        detections="results/detect/jobs/{job}/detections.csv",
        photos="results/detect/jobs/{job}/photos.csv",
        crops=directory("results/detect/crops/{job}"),
    log:
        "logs/detect/{job}.log",
    benchmark:
        "benchmarks/detect/{job}.tsv"
    conda:
        TF_ENV
    threads: int(config["detect"]["threads"])
    resources:
        gpu=int(config["detect"]["gpus"]),
    params:
        images=detect_images(),
        files=lambda wildcards: detect_jobs()[wildcards.job],
        cache="results/detect/cache",
        engine=config["detect"]["engine"],
        margin_px=config["tags"]["margin_px"],
        margin_fraction=config["tags"]["margin_fraction"],
        exif_orientation=config["labels"]["exif_orientation"],
    script:
        "../scripts/detect_job.py"


rule detect:
    input:
        unpack(final_reader_input),
        jobs=detect_job_tables,
        images=detect_images(),
    output:
        detections="results/detect/detections.csv",
        photos="results/detect/photos.csv",
        megadetector="results/detect/detections.json",  # the same for Timelapse and AddaxAI
        voc_table="results/detect/voc.csv",  # what became of each labelImg file
        static="results/detect/static.csv",  # boxes at the same place in many frames (a logo), for review
        sheet=report(
            "results/detect/sheet.jpg",
            caption="../report/detect_sheet.rst",
            category="Detection on new photos",
            labels={"figure": "detections"},
        ),
        sightings="results/detect/sightings.csv",
        visits="results/detect/visits.csv",
        birds="results/detect/birds.csv",
        timeline=report(
            "results/detect/timeline.png",
            caption="../report/timeline.rst",
            category="Reading the codes",
            labels={"figure": "timeline of resightings"},
        ),
        read_sheet=report(
            "results/detect/read_tags.jpg",
            caption="../report/read_tags.rst",
            category="Reading the codes",
            labels={"figure": "read tags"},
        ),
    log:
        "logs/detect.log",
    benchmark:
        "benchmarks/detect.tsv"
    conda:
        TF_ENV
    params:
        # not an output: Snakemake would delete the labelImg files you corrected
        voc=lambda wildcards, output: os.path.join(os.path.dirname(output.voc_table), "voc"),
        labels=config["labels"],
        searches_labels=os.path.normpath(detect_images()) in labelled_folders(),
        reread=bool(config["read"]["self_train"]),
        static_iou=config["detect"]["static_iou"],
        static_share=config["detect"]["static_share"],
        visit_gap_minutes=config["read"]["visit_gap_minutes"],
    script:
        "../scripts/detect.py"
