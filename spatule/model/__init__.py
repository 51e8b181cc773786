"""The tag detector: a TF Model Garden RetinaNet, its training, export and inference.

One job per module: :mod:`~spatule.model.experiment` (the experiment of a preset on this
machine, anchors), :mod:`~spatule.model.training`, :mod:`~spatule.model.checkpoints`,
:mod:`~spatule.model.pretrained` (downloads), :mod:`~spatule.model.export` and
:mod:`~spatule.model.serving`. The presets are :mod:`spatule.presets` (standard library
only, read by the Snakefile) and where training runs is :mod:`spatule.devices`. The names
below are the package's interface.

Read with ``official/vision`` beside it: configs come from
``exp_factory.get_exp_config`` + ``.override``, training is
``train_lib.run_experiment(mode='train_and_eval')``, export is
``export_saved_model_lib.export_inference_graph``. This module adds what the
workflow needs around them:

* :func:`experiment_config`: three presets (``smoke`` for tests, ``demo`` for a
  CPU, ``gpu`` for the lab server) sized for leg tags, plus the user's
  ``train.*`` overrides;
* :func:`run_training`: thread pools, GPU memory growth, distribution strategy, resume
  from the last checkpoint of ``model_dir``, final metrics as JSON;
* :func:`export_model`, :func:`load_detector`, :func:`run_tflite`: a SavedModel
  (uint8 images of any size in, boxes out) and an optional TFLite file;
* pretrained checkpoints: download + sha256 check + unpack into ``resources/``;
  ``task.init_checkpoint`` may be a prefix or a folder (its newest checkpoint).

Sizes. Tiles are 640x640 and tags on them are ~30-190 px (longer side). The
model input (``input_size``) is the tile resized, so at 256 a tag is
``256/640 = 0.4`` times smaller: 12-76 px. RetinaNet anchors at level ``l``
have the side ``anchor_size * 2**l * 2**(i/num_scales)`` (i = 0..2) times
aspect ratios 0.5, 1, 2, and an anchor becomes a positive when its IoU with a
tag is >= 0.5 (``parser.match_threshold``). Each preset picks ``anchor_size``
so that the smallest anchor is about the smallest tag at its input size; see
:func:`anchor_coverage` to check a config.

Box conventions: the SavedModel emits TensorFlow's ``[ymin, xmin, ymax, xmax]``, normalised
to ``[0, 1]`` of the image fed in; :func:`load_detector`, :func:`checkpoint_detector` and
:func:`run_tflite` turn them x first (``[x0, y0, x1, y1]``, as everywhere in spatule), in
pixels of the image fed in.
Class 1 is the tag (0 is the implicit background, never output).
"""

from spatule.model.checkpoints import checkpoint_layout, copy_config, find_checkpoint, resolved_init_checkpoint
from spatule.model.experiment import (anchor_boxes, anchor_coverage, experiment_config, read_config,
                                      runtime_section)
from spatule.model.export import export_model, export_tflite, serving_params
from spatule.model.pretrained import (Pretrained, download, pretrained_checkpoint, unpack_checkpoint,
                                      verify_sha256)
from spatule.model.serving import (Detections, checkpoint_detector, load_detector, run_tflite, tflite_detector,
                                   tflite_preprocess)
from spatule.model.training import (TIMING_KEYS, build_strategy, configure_tensorflow, latest_step, prepare_runtime,
                                    read_scalars, run_training)
from spatule.presets import (NUM_CLASSES, PRESET_DEFAULTS, PRESETS, TAG_CLASS, TAG_SIDE_PX, TILE_SIZE, Preset,
                             resolve_preset)

__all__ = [
    "Detections", "NUM_CLASSES", "PRESETS", "PRESET_DEFAULTS", "Preset", "Pretrained", "TAG_CLASS", "TAG_SIDE_PX",
    "TILE_SIZE", "TIMING_KEYS", "anchor_boxes", "anchor_coverage", "build_strategy",
    "checkpoint_detector", "checkpoint_layout", "configure_tensorflow", "copy_config", "download",
    "experiment_config", "export_model", "export_tflite", "find_checkpoint", "latest_step", "load_detector",
    "prepare_runtime", "pretrained_checkpoint", "read_config", "read_scalars", "resolve_preset",
    "resolved_init_checkpoint", "run_tflite", "runtime_section", "serving_params", "tflite_detector",
    "tflite_preprocess", "run_training", "unpack_checkpoint", "verify_sha256",
]
