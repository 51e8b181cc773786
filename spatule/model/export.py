"""Export: the newest checkpoint as a SavedModel (uint8 images of any size in) and as TFLite."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional


from spatule.model.checkpoints import copy_config, find_checkpoint

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

LOG = logging.getLogger("spatule.model")


def export_model(config: "ExperimentConfig", checkpoint_dir: str | Path, export_dir: str | Path,
           input_size: Optional[int] = None, tflite_path: str | Path | None = None,
           score_threshold: Optional[float] = None, log: Optional[logging.Logger] = None) -> dict[str, str]:
    """Export the newest checkpoint of ``checkpoint_dir`` (or a prefix) as a SavedModel (+ TFLite).

    SavedModel (``export_dir``, signature ``serving_default``): input
    ``inputs`` uint8 ``[batch, height, width, 3]`` RGB of any size and batch
    (each image is resized, aspect kept, to ``input_size``, default the
    training input: feed 640 tiles, not whole photos); outputs
    ``detection_boxes`` ``[batch, 100, 4]`` normalised ``(ymin, xmin, ymax,
    xmax)`` of the image fed in, ``detection_scores`` ``[batch, 100]``,
    ``detection_classes`` (1 = tag), ``num_detections`` ``[batch]``, plus
    ``image_info``. Always float32 (mixed-precision training included).

    TFLite (``tflite_path``): float32 input ``[1, input_size, input_size, 3]``
    already resized and normalised (:func:`run_tflite` does it), the TFLite
    detection post-processing op (class-agnostic NMS) inside, boxes in
    pixels of the input square.

    ``score_threshold``: drop detections under it (default: the config's
    ``pre_nms_score_threshold``, 0.05). Returns the paths written.
    """
    from official.modeling import performance
    from official.vision.serving import export_saved_model_lib
    from tf_keras.src.saving.legacy.saved_model.utils import keras_option_scope

    log = log or LOG
    prefix = find_checkpoint(checkpoint_dir)
    size = int(input_size or config.task.model.input_size[0])
    performance.set_mixed_precision_policy("float32")
    params = serving_params(config, score_threshold)
    export_dir = Path(export_dir)
    if export_dir.exists():
        shutil.rmtree(export_dir)
    began = time.time()
    # save_traces=False: only the serving signature is kept, not a trace of every Keras
    # layer (which multiplies the export time and is never used).
    with keras_option_scope(save_traces=False):
        export_saved_model_lib.export_inference_graph(
            input_type="image_tensor", batch_size=None, input_image_size=[size, size], params=params,
            checkpoint_path=prefix, export_dir=str(export_dir))
    log.info("exported %s to SavedModel %s (input %dx%d) in %.0f s", prefix, export_dir, size, size,
             time.time() - began)
    paths = {"saved_model": str(export_dir), "checkpoint": prefix}
    if tflite_path:
        paths["tflite"] = export_tflite(config, checkpoint_dir, tflite_path, input_size, score_threshold, log)
    return paths


def serving_params(config: "ExperimentConfig", score_threshold: Optional[float] = None) -> "ExperimentConfig":
    """``config`` as served: float32, normalised output boxes, NMS that takes any batch size."""
    params = copy_config(config)
    params.runtime.mixed_precision_dtype = "float32"
    params.task.export_config.output_normalized_coordinates = True
    generator = params.task.model.detection_generator
    generator.nms_version = "v2"  # supports a dynamic batch
    if score_threshold is not None:
        generator.pre_nms_score_threshold = float(score_threshold)
        generator.tflite_post_processing.nms_score_threshold = float(score_threshold)
    return params


def export_tflite(config: "ExperimentConfig", checkpoint_dir: str | Path, tflite_path: str | Path,
                  input_size: Optional[int] = None, score_threshold: Optional[float] = None,
                  log: Optional[logging.Logger] = None) -> str:
    """The newest checkpoint of ``checkpoint_dir`` (or a prefix) as a TFLite model (see :func:`export_model`)."""
    import tensorflow as tf
    from official.modeling import performance
    from official.vision.serving import detection

    log = log or LOG
    prefix = find_checkpoint(checkpoint_dir)
    size = int(input_size or config.task.model.input_size[0])
    performance.set_mixed_precision_policy("float32")
    began = time.time()
    lite = serving_params(config, score_threshold)
    lite.task.model.detection_generator.nms_version = "tflite"
    # Boxes leave the TFLite NMS op in input-square pixels; run_tflite scales them.
    lite.task.export_config.output_normalized_coordinates = False
    module = detection.DetectionModule(params=lite, batch_size=1, input_image_size=[size, size], input_type="tflite")
    tf.train.Checkpoint(model=module.model).read(prefix).expect_partial().assert_existing_objects_matched()
    function = module.inference_for_tflite.get_concrete_function(
        tf.TensorSpec([1, size, size, 3], tf.float32, name="inputs"))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], module)
    flatbuffer = converter.convert()
    Path(tflite_path).parent.mkdir(parents=True, exist_ok=True)
    Path(tflite_path).write_bytes(flatbuffer)
    log.info("converted %s to TFLite %s (%.1f MB) in %.0f s", prefix, tflite_path, len(flatbuffer) / 1e6,
             time.time() - began)
    return str(tflite_path)
