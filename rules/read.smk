# train_reader: the code reader, trained on codes rendered with the tag font (read.glyph_sheet, or the
# demo's font) on bands drawn as real ones look, and on the labelled tags of the train split whose
# identity is a code.
# read_threshold: when a reading is a bird, chosen on the val split's tags (read.target_accuracy).
# self_train_reader (read.self_train): the reader goes on learning from the tags detect read with
# confidence; detect then reads every crop again with it.
# evaluate_reading: the reader on every split's labelled tags and, when where they are is known
# (detect.truth; the demo's new day), on the tags detect found in the new photos.
# detect_job reads every detected tag with it (rules/detect.smk).


rule train_reader:
    input:
        sheet=glyph_sheet_input(),
        tags=rules.extract_tags.output.tags,
        crops=rules.extract_tags.output.crops,
        identities=rules.split.output.identities,
    output:
        weights=READER_WEIGHTS,
        info=READER_INFO,
        rendered=report(
            "results/reader/rendered.jpg",
            caption="../report/reader_rendered.rst",
            category="Reading the codes",
            labels={"figure": "rendered training crops"},
        ),
        real_vs_rendered=report(
            "results/reader/real_vs_rendered.jpg",
            caption="../report/reader_real_vs_rendered.rst",
            category="Reading the codes",
            labels={"figure": "real tags beside rendered ones"},
        ),
    log:
        "logs/train_reader.log",
    benchmark:
        "benchmarks/train_reader.tsv"
    conda:
        TF_ENV
    threads: int(config["read"]["threads"])
    params:
        read={k: config["read"][k] for k in READER_KEYS},
    script:
        "../scripts/train_reader.py"


rule read_threshold:
    input:
        weights="results/{reader}/reader.npz",
        info="results/{reader}/reader.json",
        registry=[registry_path()] if registry_path() else [],
        sheet=glyph_sheet_input(),
        tags=rules.extract_tags.output.tags,
        crops=rules.extract_tags.output.crops,
        identities=rules.split.output.identities,
    output:
        "results/{reader}/threshold.json",
    log:
        "logs/read_threshold-{reader}.log",
    wildcard_constraints:
        reader="reader|reader-self",
    conda:
        TF_ENV
    threads: int(config["read"]["threads"])
    params:
        threshold=config["read"]["threshold"],
        target_accuracy=config["read"]["target_accuracy"],
        margin=config["read"]["margin"],
        seed=config["read"]["seed"],
    script:
        "../scripts/read_threshold.py"


rule self_train_reader:
    input:
        unpack(reader_input),
        acceptance="results/reader/threshold.json",
        sheet=glyph_sheet_input(),
        jobs=detect_job_tables,
        tags=rules.extract_tags.output.tags,
        crops=rules.extract_tags.output.crops,
        identities=rules.split.output.identities,
    output:
        weights="results/reader-self/reader.npz",
        info="results/reader-self/reader.json",
    log:
        "logs/self_train_reader.log",
    benchmark:
        "benchmarks/self_train_reader.tsv"
    conda:
        TF_ENV
    threads: int(config["read"]["threads"])
    params:
        read={k: config["read"][k] for k in READER_KEYS},
    script:
        "../scripts/self_train_reader.py"


rule evaluate_reading:
    input:
        unpack(final_reader_input),
        tags=rules.extract_tags.output.tags,
        crops=rules.extract_tags.output.crops,
        identities=rules.split.output.identities,
        truth=new_photos_truth(),
        detections="results/detect/detections.csv" if new_photos_truth() else [],
    output:
        metrics="results/eval/reading/metrics.json",
        readings="results/eval/reading/readings.csv",
        curve="results/eval/reading/curve.csv",
        figure=report(
            "results/eval/reading/coverage.png",
            caption="../report/reading_coverage.rst",
            category="Reading the codes",
            labels={"figure": "accuracy against coverage"},
        ),
    log:
        "logs/evaluate_reading.log",
    benchmark:
        "benchmarks/evaluate_reading.tsv"
    conda:
        TF_ENV
    threads: int(config["read"]["threads"])
    script:
        "../scripts/evaluate_reading.py"
