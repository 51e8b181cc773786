# train_reader: the code reader, trained on codes rendered with the tag font (read.glyph_sheet, or
# the demo's font) on bands as detection crops show them; no hand-read crop needed.
# evaluate_reading: the reader on the held-out (test split) tags whose identity is a code.
# detect_job reads every detected tag with it (rules/detect.smk).


rule train_reader:
    input:
        sheet=glyph_sheet_input(),
    output:
        weights=READER_WEIGHTS,
        info=READER_INFO,
        rendered=report(
            "results/reader/rendered.jpg",
            caption="../report/reader_rendered.rst",
            category="Reading the codes",
            labels={"figure": "rendered training crops"},
        ),
    log:
        "logs/train_reader.log",
    benchmark:
        "benchmarks/train_reader.tsv"
    conda:
        TF_ENV
    threads: int(config["read"]["threads"])
    params:
        alphabet=config["read"]["alphabet"],
        code_length=config["read"]["code_length"],
        crops=config["read"]["crops"],
        epochs=config["read"]["epochs"],
        seed=config["read"]["seed"],
    script:
        "../scripts/train_reader.py"


rule evaluate_reading:
    input:
        unpack(reader_input),
        tags=rules.extract_tags.output.tags,
        crops=rules.extract_tags.output.crops,
        identities=rules.split.output.identities,
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
    params:
        threshold=config["read"]["threshold"],
    script:
        "../scripts/evaluate_reading.py"
