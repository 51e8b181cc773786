# report: PR curves, training curves, the split table and a summary (results/report/), all
# flagged for `snakemake --report report.html` together with the contact sheets. No TensorFlow: the
# training curves are read from the event files by spatule.events.


rule report:
    input:
        val=rules.evaluate_val.output.metrics,
        real=rules.evaluate_real.output.metrics,
        synthetic=rules.evaluate_synthetic.output.metrics,
        split_summary=rules.split.output.summary,
        tiles=expand("results/tiles/{split}.json", split=SPLITS),
        training=rules.train.output.metrics,
        hard=rules.train_hard.output.report if config["hard_negatives"]["enabled"] else [],
        detect=rules.detect.output.photos,
        reading=rules.evaluate_reading.output.metrics,
        birds=rules.detect.output.birds,
    output:
        summary_md="results/report/summary.md",
        summary_html=report(
            "results/report/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"figure": "headline figures"},
        ),
        splits_html=report(
            "results/report/splits.html",
            caption="../report/splits.rst",
            category="Data split",
            labels={"figure": "split table"},
        ),
        splits_csv="results/report/splits.csv",
        pr_curves=report(
            "results/report/pr_curves.png",
            caption="../report/pr_curves.rst",
            category="Evaluation",
            subcategory="Curves",
            labels={"figure": "precision-recall"},
        ),
        training_curves=report(
            "results/report/training_curves.png",
            caption="../report/training_curves.rst",
            category="Training",
            labels={"figure": "training curves"},
        ),
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        DATA_ENV
    script:
        "../scripts/report.py"
