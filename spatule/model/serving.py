"""Serving: detections from a SavedModel, a checkpoint (no export) or a TFLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import numpy as np

from spatule.geometry import yx_to_xy
from spatule.model.checkpoints import find_checkpoint
from spatule.model.experiment import read_config
from spatule.model.export import serving_params
from spatule.problems import SpatuleError



Detections = dict[str, np.ndarray]
"""``boxes`` ``[N, K, 4]`` float32 pixels ``(x0, y0, x1, y1)`` of the images fed in (x first, as
everywhere in spatule: the model's own y-first boxes are turned round here, see :mod:`spatule.geometry`);
``boxes_normalized`` the same in ``[0, 1]``; ``scores`` ``[N, K]``; ``classes`` ``[N, K]``
int (1 = tag); ``num`` ``[N]`` int: only the first ``num[i]`` rows of image ``i`` are detections."""


def _detector(serve: Callable[[Any], Mapping[str, Any]]) -> Callable[[np.ndarray], Detections]:
    """A :data:`Detections` callable over uint8 RGB images from a serving function."""
    import tensorflow as tf

    def detect(images: np.ndarray) -> Detections:
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[None]
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 images [N, H, W, 3], got {images.dtype} {images.shape}")
        out = serve(tf.constant(images))
        normalized = yx_to_xy(out["detection_boxes"].numpy().astype(np.float32))
        scale = np.array([images.shape[2], images.shape[1]] * 2, np.float32)
        return {"boxes": normalized * scale, "boxes_normalized": normalized,
                "scores": out["detection_scores"].numpy().astype(np.float32),
                "classes": out["detection_classes"].numpy().astype(np.int64),
                "num": out["num_detections"].numpy().astype(np.int64).reshape(-1)}

    return detect


def load_detector(saved_model_dir: str | Path) -> Callable[[np.ndarray], Detections]:
    """A callable over uint8 ``[N, H, W, 3]`` RGB images (or one ``[H, W, 3]``) returning :data:`Detections`."""
    import tensorflow as tf

    model = tf.saved_model.load(str(saved_model_dir))
    serve = model.signatures["serving_default"]
    detect = _detector(serve)
    detect.signature = serve  # type: ignore[attr-defined]
    return detect


def checkpoint_detector(model_dir: str | Path,
                        score_threshold: Optional[float] = None) -> Callable[[np.ndarray], Detections]:
    """:func:`load_detector` for the newest checkpoint of a training folder, without exporting it:
    the Model Garden's own serving module (the graph :func:`export_model` saves) over the checkpoint."""
    from official.modeling import performance
    from official.vision.serving import detection

    config = read_config(Path(model_dir) / "params.yaml")
    performance.set_mixed_precision_policy("float32")
    size = int(config.task.model.input_size[0])
    module = detection.DetectionModule(params=serving_params(config, score_threshold), batch_size=None,
                                       input_image_size=[size, size], input_type="image_tensor")
    import tensorflow as tf

    tf.train.Checkpoint(model=module.model).read(find_checkpoint(model_dir)).expect_partial() \
        .assert_existing_objects_matched()
    detect = _detector(module.inference_from_image_tensors)
    detect.module = module  # type: ignore[attr-defined]  # the tf.function holds its module only weakly
    return detect


def tflite_preprocess(image: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """What the SavedModel does before the network, in NumPy: normalise with the ImageNet mean/std,
    resize keeping the aspect ratio so the longer side is ``size``, pad bottom/right with 0.

    Returns the ``[1, size, size, 3]`` float32 input and the scale (input px per image px).
    """
    import tensorflow as tf
    from official.vision.ops import preprocess_ops

    height, width = image.shape[:2]
    scale = size / max(height, width)
    new = (max(1, round(height * scale)), max(1, round(width * scale)))
    pixels = (image.astype(np.float32) - np.array(preprocess_ops.MEAN_RGB, np.float32)) / np.array(
        preprocess_ops.STDDEV_RGB, np.float32)
    resized = tf.image.resize(pixels, new, method="bilinear").numpy()
    padded = np.zeros((1, size, size, 3), np.float32)
    padded[0, : new[0], : new[1]] = resized
    return padded, scale


def _tflite_interpreter(path: str | Path, threads: Optional[int]):
    """A LiteRT interpreter (``ai_edge_litert``; ``tf.lite.Interpreter`` is deprecated in TF 2.20)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - older environments
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    if not Path(path).is_file():
        raise SpatuleError(f"{path}: no TFLite model (export with tflite_path)")
    return Interpreter(model_path=str(path), num_threads=threads)


def run_tflite(path: str | Path, image: np.ndarray, threads: Optional[int] = None) -> Detections:
    """Run the TFLite detector on one uint8 RGB image ``[H, W, 3]`` (or ``[1, H, W, 3]``).

    Returns :data:`Detections` with a batch of 1, boxes in pixels of ``image``.
    """
    image = np.asarray(image)
    if image.ndim == 4:
        image = image[0]
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected one uint8 image [H, W, 3], got {image.dtype} {image.shape}")
    interpreter = _tflite_interpreter(path, threads)
    runner = interpreter.get_signature_runner()
    (input_name, spec), = runner.get_input_details().items()
    size = int(spec["shape"][1])
    tensor, scale = tflite_preprocess(image, size)
    out = runner(**{input_name: tensor})
    boxes = yx_to_xy(np.asarray(out["detection_boxes"], np.float32).reshape(1, -1, 4))
    scores = np.asarray(out["detection_scores"], np.float32).reshape(1, -1)
    classes = np.asarray(out["detection_classes"]).reshape(1, -1).astype(np.int64)
    num = np.asarray(out["num_detections"]).reshape(-1).astype(np.int64)
    # Boxes are pixels of the padded input square: back to pixels of ``image``.
    pixels = boxes / scale
    height, width = image.shape[:2]
    pixels = np.clip(pixels, 0, np.array([width, height, width, height], np.float32))
    normalized = pixels / np.array([width, height, width, height], np.float32)
    return {"boxes": pixels, "boxes_normalized": normalized, "scores": scores, "classes": classes, "num": num}
