# export: newest checkpoint -> SavedModel (uint8 image_tensor-style input) + TFLite.


rule export:
    input:
        metrics=final_model(),
    output:
        saved_model=directory("results/exported/saved_model"),
        tflite="results/exported/model.tflite",
    threads: 2
    log:
        "logs/export.log",
    benchmark:
        "benchmarks/export.tsv"
    conda:
        TF_ENV
    script:
        "../scripts/export.py"
