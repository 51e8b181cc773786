# spatule: hand-labelled camera-trap photos -> a spoonbill leg-tag detector.
#
#   snakemake --cores all                          # the embedded demo (config.yaml)
#   snakemake --cores all --configfile mine.yaml   # your photos
#
# One rule file per stage under rules/; the logic lives in the spatule package.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/demo_data.smk"
include: "rules/index_labels.smk"
include: "rules/extract_tags.smk"
include: "rules/split.smk"
include: "rules/synthesize.smk"
include: "rules/coco.smk"
include: "rules/tfrecords.smk"
include: "rules/train.smk"
include: "rules/search.smk"
include: "rules/hard_negatives.smk"
include: "rules/export.smk"
include: "rules/evaluate.smk"
include: "rules/read.smk"
include: "rules/detect.smk"
include: "rules/to_label.smk"
include: "rules/report.smk"
include: "rules/provenance.smk"


rule all:
    default_target: True
    input:
        rules.split.output,
        expand("results/tiles/{split}.json", split=SPLITS),
        rules.tfrecords.output,
        rules.export.output,
        rules.model_card.output,
        rules.tflite.output if config["export"]["tflite"] else [],
        rules.evaluate_synthetic.output,
        rules.evaluate_val.output,
        rules.evaluate_real.output,
        rules.evaluate_reading.output,
        rules.detect.output,
        rules.to_label.output,
        rules.report.output,
        rules.provenance.output,
