# evaluate: the exported detector on held-out birds, the real photos at full size through the tiled detector.
# evaluate_val: the real val photos (+ val backgrounds), where the score threshold is chosen (rule model_card
# writes it beside the model); evaluate_real and evaluate_synthetic: the real test photos (+ test
# backgrounds) and the synthetic test tiles, measured at that threshold.


rule evaluate_synthetic:
    input:
        unpack(search_models),
        card=rules.model_card.output[0],
        json="results/tiles/test.json",
        tiles=expand("results/tiles/test/{shard}", shard=tile_shards()),
    output:
        metrics="results/eval/synthetic/metrics.json",
        detections="results/eval/synthetic/detections.csv",
        pr_curve="results/eval/synthetic/pr_curve.csv",
        sheet=report(
            "results/eval/synthetic/sheet.jpg",
            caption="../report/eval_sheet.rst",
            category="Evaluation",
            subcategory="Synthetic test tiles",
            labels={"set": "synthetic", "figure": "detections vs truth"},
        ),
    log:
        "logs/evaluate/synthetic.log",
    benchmark:
        "benchmarks/evaluate/synthetic.tsv"
    conda:
        TF_ENV
    threads: 2
    params:
        engine=config["detect"]["engine"],
        evaluate=config["evaluate"],
    script:
        "../scripts/evaluate_synthetic.py"


rule evaluate_val:
    input:
        unpack(search_models),
        card=rules.search_settings.output[0],  # no score threshold yet: chosen here
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
        problems=rules.index_labels.output.problems,
        photos=rules.split.output.photos,
        backgrounds=rules.split.output.backgrounds,
    output:
        metrics="results/eval/val/metrics.json",
        detections="results/eval/val/detections.csv",
        pr_curve="results/eval/val/pr_curve.csv",
        sheet=report(
            "results/eval/val/sheet.jpg",
            caption="../report/eval_sheet.rst",
            category="Evaluation",
            subcategory="Real val photos (threshold chosen here)",
            labels={"set": "val", "figure": "detections vs truth"},
        ),
    log:
        "logs/evaluate/val.log",
    benchmark:
        "benchmarks/evaluate/val.tsv"
    conda:
        TF_ENV
    threads: 4
    params:
        split="val",
        engine=config["detect"]["engine"],
        evaluate=config["evaluate"],
    script:
        "../scripts/evaluate_real.py"


rule evaluate_real:
    input:
        unpack(search_models),
        card=rules.model_card.output[0],
        labels=labels_dir(),
        objects=rules.index_labels.output.objects,
        problems=rules.index_labels.output.problems,
        photos=rules.split.output.photos,
        backgrounds=rules.split.output.backgrounds,
    output:
        metrics="results/eval/real/metrics.json",
        detections="results/eval/real/detections.csv",
        pr_curve="results/eval/real/pr_curve.csv",
        sheet=report(
            "results/eval/real/sheet.jpg",
            caption="../report/eval_sheet.rst",
            category="Evaluation",
            subcategory="Real held-out photos",
            labels={"set": "real", "figure": "detections vs truth"},
        ),
    log:
        "logs/evaluate/real.log",
    benchmark:
        "benchmarks/evaluate/real.tsv"
    conda:
        TF_ENV
    threads: 4
    params:
        split="test",
        engine=config["detect"]["engine"],
        evaluate=config["evaluate"],
    script:
        "../scripts/evaluate_real.py"
