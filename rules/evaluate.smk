# evaluate: the exported detector on held-out birds: the synthetic test tiles, and the real
# labelled test photos (+ test backgrounds) at full size through the tiled detector.


rule evaluate_synthetic:
    input:
        unpack(search_models),
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
        detect=search_params(),
        engine=config["detect"]["engine"],
        evaluate=config["evaluate"],
        tile_size=config["synth"]["tile_size"],
    script:
        "../scripts/evaluate_synthetic.py"


rule evaluate_real:
    input:
        unpack(search_models),
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
        detect=search_params(),
        engine=config["detect"]["engine"],
        evaluate=config["evaluate"],
        tile_size=config["synth"]["tile_size"],
        info_bar_px=config["camera"]["info_bar_px"],
    script:
        "../scripts/evaluate_real.py"
