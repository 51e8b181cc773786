# export: newest checkpoint of the final model -> SavedModel (uint8 image_tensor-style input);
# tflite: the same checkpoint as a TFLite model (export.tflite, or ask for results/exported/model.tflite).


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
    threads: 2
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
    threads: 2
    script:
        "../scripts/tflite.py"
