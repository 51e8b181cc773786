"""One entry function per Snakemake rule, named after the rule: what ``scripts/<rule>.py`` calls.

Each takes paths, config values and small records of them (eight parameters at most), writes the
rule's outputs, logs what it did and returns a short summary; the scripts only unpack the ``snakemake``
object into one call, and tests call these directly. The logic they assemble lives in the domain modules
(:mod:`spatule.labels.index`, :mod:`spatule.split`, :mod:`spatule.synth`, :mod:`spatule.model`,
:mod:`spatule.detection`, ...).

Which module holds which rules' functions (each named after its rule):

* :mod:`~spatule.stages.campaign`: ``demo_data``, ``demo_new_photos``, ``demo_registry``
* :mod:`~spatule.stages.labelling`: ``index_labels``, ``extract_tags``
* :mod:`~spatule.stages.splitting`: ``split``
* :mod:`~spatule.stages.synthesis`: ``synthesize``, ``coco``, ``tfrecords``
* :mod:`~spatule.stages.training`: ``devices``, ``pretrained``, ``train``, ``mine_negatives``, ``train_hard``,
  ``export``, ``tflite``
* :mod:`~spatule.stages.searching`: ``search_settings`` (how every photo is searched, written once),
  ``model_card``
* :mod:`~spatule.stages.evaluation`: ``evaluate_synthetic``; ``evaluate_real`` for rules ``evaluate_val``
  (the search settings: the threshold is chosen there) and ``evaluate_real``
* :mod:`~spatule.stages.reading`: ``train_reader``, ``read_threshold``, ``self_train_reader`` (with
  ``read.self_train``)
* :mod:`~spatule.stages.reading_evaluation`: ``evaluate_reading`` (after detect: the new photos' figures too)
* :mod:`~spatule.stages.detection`: ``detect_job``, ``detect``
* :mod:`~spatule.stages.to_label`: ``to_label`` (what to label next)
* :mod:`~spatule.stages.reporting`: ``report``, ``provenance``
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
from spatule.stages.to_label import to_label
from spatule.stages.training import devices, export, mine_negatives, pretrained, tflite, train, train_hard

__all__ = ["coco", "demo_data", "demo_new_photos", "demo_registry", "detect", "detect_folder", "detect_job",
           "devices", "evaluate_reading", "evaluate_real", "evaluate_synthetic", "export",
           "extract_tags", "index_labels", "mine_negatives", "model_card", "pretrained", "provenance", "read_threshold",
           "report", "search_settings", "self_train_reader",
           "split", "synthesize", "tflite", "tfrecords", "to_label", "train", "train_hard", "train_reader"]
