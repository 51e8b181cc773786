"""TFRecords + label map from a split's COCO JSON: what the Model Garden and the TF OD API read.

JPEG bytes go in as written by synthesis (no re-encode); ``image/source_id`` is
the COCO image id as a decimal string (the Model Garden's evaluator turns it
into an int64, so a file name would fail); boxes are normalised; a tag is
class 1. A ``difficult`` tag is never pasted, so it never reaches a record: one
in the COCO JSON is refused (the parser would train on it as a tag, or, skipped
as a crowd box, as ground, where it must be neither).
Tile ``i`` (in image id order) goes to shard ``i mod N``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    import tensorflow as tf

FEATURE_KINDS = {
    "image/encoded": "bytes", "image/format": "bytes", "image/height": "int", "image/width": "int",
    "image/filename": "bytes", "image/source_id": "bytes",
    "image/object/bbox/xmin": "float", "image/object/bbox/xmax": "float", "image/object/bbox/ymin": "float",
    "image/object/bbox/ymax": "float", "image/object/class/label": "int", "image/object/class/text": "bytes",
    "image/object/area": "float", "image/object/is_crowd": "int", "image/object/difficult": "int",
}
"""Every feature written, and its list type."""


def record_files(split: str, shards: int, prefix: str = "") -> list[str]:
    """A split's TFRecord file names, ``train-00000-of-00004.tfrecord`` ...; ``prefix="hard-"``
    names the second round's train files (hard negatives dealt in)."""
    return [f"{prefix}{split}-{k:05d}-of-{shards:05d}.tfrecord" for k in range(shards)]


def label_map(class_name: str) -> str:
    """The ``label_map.pbtxt`` text: id 1 is the tag, 0 stays background."""
    return f"item {{\n  id: 1\n  name: '{class_name}'\n}}\n"


def example_fields(image: Mapping, annotations: Sequence[Mapping], jpeg: bytes, class_name: str) -> dict:
    """The feature values of one tile as plain Python lists (no TensorFlow needed)."""
    from spatule.problems import SpatuleError

    hard = [a for a in annotations if a.get("ignore", 0) or a.get("iscrowd", 0)]
    if hard:
        raise SpatuleError(f"{image['file_name']}: {len(hard)} difficult box(es); difficult tags are never pasted, "
                           "so training can give them no meaning (neither tag nor ground)")
    width, height = int(image["width"]), int(image["height"])
    boxes = [a["bbox"] for a in annotations]
    return {
        "image/encoded": [jpeg],
        "image/format": [b"jpeg"],
        "image/height": [height],
        "image/width": [width],
        "image/filename": [str(image["file_name"]).encode()],
        "image/source_id": [str(int(image["id"])).encode()],
        "image/object/bbox/xmin": [b[0] / width for b in boxes],
        "image/object/bbox/xmax": [(b[0] + b[2]) / width for b in boxes],
        "image/object/bbox/ymin": [b[1] / height for b in boxes],
        "image/object/bbox/ymax": [(b[1] + b[3]) / height for b in boxes],
        "image/object/class/label": [int(a["category_id"]) for a in annotations],
        "image/object/class/text": [class_name.encode() for _ in annotations],
        "image/object/area": [float(a["area"]) for a in annotations],
        "image/object/is_crowd": [0] * len(annotations),
        "image/object/difficult": [0] * len(annotations),
    }


def to_example(fields: Mapping[str, list]) -> "tf.train.Example":
    """A ``tf.train.Example`` from :func:`example_fields` output."""
    import tensorflow as tf

    lists = {"bytes": lambda v: tf.train.Feature(bytes_list=tf.train.BytesList(value=v)),
             "float": lambda v: tf.train.Feature(float_list=tf.train.FloatList(value=v)),
             "int": lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v))}
    feature = {key: lists[FEATURE_KINDS[key]](values) for key, values in fields.items()}
    return tf.train.Example(features=tf.train.Features(feature=feature))


def split_examples(coco: Mapping, tiles_root: Path, class_name: str) -> Iterator[tuple[int, dict]]:
    """(image id, fields) for every tile of a COCO dataset, in image id order."""
    by_image: dict[int, list] = {}
    for annotation in coco["annotations"]:
        by_image.setdefault(int(annotation["image_id"]), []).append(annotation)
    for image in sorted(coco["images"], key=lambda im: int(im["id"])):
        jpeg = (tiles_root / image["file_name"]).read_bytes()
        annotations = sorted(by_image.get(int(image["id"]), []), key=lambda a: int(a["id"]))
        yield int(image["id"]), example_fields(image, annotations, jpeg, class_name)


def write_split(coco_json: Path, outputs: Sequence[Path], class_name: str) -> dict[str, int]:
    """Write a split's tiles into ``len(outputs)`` TFRecord shards; deterministic bytes."""
    import tensorflow as tf

    coco = json.loads(coco_json.read_text(encoding="utf-8"))
    writers = [tf.io.TFRecordWriter(str(path)) for path in outputs]
    counts = {"tiles": 0, "tags": 0}
    try:
        for n, (_, fields) in enumerate(split_examples(coco, coco_json.parent, class_name)):
            writers[n % len(writers)].write(to_example(fields).SerializeToString(deterministic=True))
            counts["tiles"] += 1
            counts["tags"] += len(fields["image/object/class/label"])
    finally:
        for writer in writers:
            writer.close()
    return counts
