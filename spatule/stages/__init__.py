"""One entry function per Snakemake rule, named after the rule: what ``scripts/<rule>.py`` calls.

Each takes paths, config values and small records of them (eight parameters at most), writes the
rule's outputs, logs what it did and returns a short summary; the scripts only unpack the ``snakemake``
object into one call, and tests call these directly. The logic they assemble lives in the domain modules
(:mod:`spatule.labels.index`, :mod:`spatule.split`, :mod:`spatule.synth`, :mod:`spatule.model`,
:mod:`spatule.detection`, ...).

==================  ==========================================
rule                function
==================  ==========================================
demo_data           :func:`campaign.demo_data`
demo_new_photos     :func:`campaign.demo_new_photos`
demo_registry       :func:`campaign.demo_registry`
index_labels        :func:`labelling.index_labels`
extract_tags        :func:`labelling.extract_tags`
split               :func:`splitting.split`
synthesize          :func:`synthesis.synthesize`
coco                :func:`synthesis.coco`
tfrecords           :func:`synthesis.tfrecords`
devices             :func:`training.devices`
pretrained          :func:`training.pretrained`
train               :func:`training.train`
search_settings     :func:`searching.search_settings` (how every photo is searched, written once)
mine_negatives      :func:`training.mine_negatives`
train_hard          :func:`training.train_hard`
export              :func:`training.export`
tflite              :func:`training.tflite`
model_card          :func:`searching.model_card`
evaluate_synthetic  :func:`evaluation.evaluate_synthetic`
evaluate_val        :func:`evaluation.evaluate_real` (``split: val``, the search settings: the threshold chosen there)
evaluate_real       :func:`evaluation.evaluate_real`
train_reader        :func:`reading.train_reader`
read_threshold      :func:`reading.read_threshold`
self_train_reader   :func:`reading.self_train_reader` (with ``read.self_train``)
evaluate_reading    :func:`reading_evaluation.evaluate_reading` (after detect: the new photos' figures too)
detect_job          :func:`detection.detect_job`
detect              :func:`detection.detect`
report              :func:`reporting.report`
provenance          :func:`reporting.provenance`
==================  ==========================================
"""

from spatule.stages.campaign import demo_data, demo_new_photos, demo_registry
from spatule.stages.detection import detect, detect_folder, detect_job
from spatule.stages.evaluation import evaluate_real, evaluate_synthetic
from spatule.stages.labelling import extract_tags, index_labels
from spatule.stages.reading import read_threshold, self_train_reader, train_reader
from spatule.stages.reading_evaluation import evaluate_reading
from spatule.stages.reporting import provenance, report
from spatule.stages.searching import model_card, search_settings
from spatule.stages.splitting import split
from spatule.stages.synthesis import coco, synthesize, tfrecords
from spatule.stages.training import devices, export, mine_negatives, pretrained, tflite, train, train_hard

__all__ = ["coco", "demo_data", "demo_new_photos", "demo_registry", "detect", "detect_folder", "detect_job",
           "devices", "evaluate_reading", "evaluate_real", "evaluate_synthetic", "export",
           "extract_tags", "index_labels", "mine_negatives", "model_card", "pretrained", "provenance", "read_threshold",
           "report", "search_settings", "self_train_reader",
           "split", "synthesize", "tflite", "tfrecords", "train", "train_hard", "train_reader"]
