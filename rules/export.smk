# export: newest checkpoint of the final model -> SavedModel (uint8 image_tensor-style input);
# tflite: the same checkpoint as a TFLite model, what detect.engine auto searches with on a CPU (also export.tflite).


rule export:
    input:
        metrics=final_model(),
    output:
        saved_model=directory("results/exported/saved_model"),
    log:
        "logs/export.log",
    benchmark:
        "benchmarks/export.tsv"
    conda:
        TF_ENV
    threads: 1  # one core's work (the conversion's too): on 2 cores the two run side by side
    script:
        "../scripts/export.py"


rule tflite:
    input:
        metrics=final_model(),
    output:
        tflite="results/exported/model.tflite",
    log:
        "logs/tflite.log",
    benchmark:
        "benchmarks/tflite.tsv"
    conda:
        TF_ENV
    threads: 1
    script:
        "../scripts/tflite.py"


rule model_card:
    input:
        settings=rules.search_settings.output[0],
        saved_model=rules.export.output.saved_model,
        val="results/eval/val/metrics.json",  # rule evaluate_val: the score threshold chosen there
    output:
        "results/exported/spatule.json",
    log:
        "logs/model_card.log",
    conda:
        DATA_ENV
    script:
        "../scripts/model_card.py"
