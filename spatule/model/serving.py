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


def as_image_batch(images: np.ndarray) -> np.ndarray:
    """``images`` as a uint8 ``[N, H, W, 3]`` batch (one ``[H, W, 3]`` image becomes a batch of one);
    a ``ValueError`` saying what came instead."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images [N, H, W, 3], got {images.dtype} {images.shape}")
    return images


def _detector(serve: Callable[[Any], Mapping[str, Any]]) -> Callable[[np.ndarray], Detections]:
    """A :data:`Detections` callable over uint8 RGB images from a serving function."""
    import tensorflow as tf

    def detect(images: np.ndarray) -> Detections:
        images = as_image_batch(images)
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
    """What the SavedModel does before the network, with OpenCV: resize keeping the aspect ratio so
    the longer side is ``size`` (bilinear, as ``tf.image.resize``), normalise with the ImageNet
    mean/std, pad bottom/right with 0 (both linear: resizing first gives the same input).

    Returns the ``[1, size, size, 3]`` float32 input and the scale (input px per image px).
    """
    import cv2

    height, width = image.shape[:2]
    scale = size / max(height, width)
    new = (max(1, round(height * scale)), max(1, round(width * scale)))
    resized = cv2.resize(image.astype(np.float32), (new[1], new[0]), interpolation=cv2.INTER_LINEAR)
    padded = np.zeros((1, size, size, 3), np.float32)
    padded[0, : new[0], : new[1]] = (resized - _MEAN_RGB) / _STDDEV_RGB
    return padded, scale


_MEAN_RGB = np.array([0.485 * 255, 0.456 * 255, 0.406 * 255], np.float32)
_STDDEV_RGB = np.array([0.229 * 255, 0.224 * 255, 0.225 * 255], np.float32)
"""The Model Garden's ``preprocess_ops.MEAN_RGB``/``STDDEV_RGB`` (checked against them by a test)."""


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


def tflite_detector(path: str | Path, threads: Optional[int] = None) -> Callable[[np.ndarray], Detections]:
    """:func:`load_detector` for the TFLite model: a callable over uint8 RGB images ``[N, H, W, 3]`` (or one
    ``[H, W, 3]``) returning :data:`Detections`, boxes in pixels of each image.

    The TFLite model takes one image a call; on a CPU it runs the network about ten times faster than
    the SavedModel (XNNPACK), which is why the search uses it where there is no GPU.
    """
    runner = _tflite_interpreter(path, threads).get_signature_runner()
    (input_name, spec), = runner.get_input_details().items()
    size = int(spec["shape"][1])

    def detect(images: np.ndarray) -> Detections:
        images = as_image_batch(images)
        height, width = images.shape[1:3]
        limits = np.array([width, height, width, height], np.float32)
        outs = []
        for image in images:
            tensor, scale = tflite_preprocess(image, size)
            out = runner(**{input_name: tensor})
            # Boxes leave the TFLite NMS op in pixels of the padded input square: back to the image's.
            boxes = yx_to_xy(np.asarray(out["detection_boxes"], np.float32).reshape(-1, 4)) / scale
            outs.append((np.clip(boxes, 0, limits), np.asarray(out["detection_scores"], np.float32).reshape(-1),
                         np.asarray(out["detection_classes"]).reshape(-1).astype(np.int64),
                         int(np.asarray(out["num_detections"]).reshape(-1)[0])))
        boxes = np.stack([o[0] for o in outs])
        return {"boxes": boxes, "boxes_normalized": boxes / limits, "scores": np.stack([o[1] for o in outs]),
                "classes": np.stack([o[2] for o in outs]), "num": np.array([o[3] for o in outs], np.int64)}

    return detect


def run_tflite(path: str | Path, image: np.ndarray, threads: Optional[int] = None) -> Detections:
    """Run the TFLite detector on one uint8 RGB image ``[H, W, 3]`` (or ``[1, H, W, 3]``).

    Returns :data:`Detections` with a batch of 1, boxes in pixels of ``image``.
    """
    image = np.asarray(image)
    if image.ndim == 3:
        image = image[None]
    if image.ndim != 4 or len(image) != 1:
        raise ValueError(f"expected one uint8 image [H, W, 3], got {image.dtype} {image.shape}")
    return tflite_detector(path, threads)(image)
