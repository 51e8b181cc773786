"""TFRecords: the Model Garden's own decoder reads back exactly the VOC labels and the JPEG bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import tensorflow as tf

from spatule.synth import Paste, TileSpec, tile_xml
from spatule.tfrecords import label_map, record_files, write_split
from spatule.coco import RECORD_COLUMNS, coco_dataset, record_rows
from spatule.labels.voc import parse_voc



def paste(box: tuple[int, int, int, int], difficult: bool = False) -> Paste:
    return Paste("t1", "AXFD", "p.JPG", 1.0, 0.0, False, 0.0, 0.0, 0.0, "normal", box[0] - 4, box[1] - 4, box,
                 difficult)


@pytest.fixture(scope="module")
def tiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiles")
    folder = root / "train" / "shard-0"
    folder.mkdir(parents=True)
    specs = [TileSpec("train", 0, "a.JPG", 0, 0, (paste((10, 20, 50, 90)), paste((300, 400, 360, 500)))),
             TileSpec("train", 1, "a.JPG", 5, 5, ()),
             TileSpec("train", 2, "b.JPG", 0, 0, (paste((600, 1, 639, 80)),))]
    rng = np.random.default_rng(0)
    for spec in specs:
        ok, jpeg = cv2.imencode(".jpg", rng.integers(0, 255, (640, 640, 3), dtype=np.uint8))
        (folder / f"{spec.tile_id}.jpg").write_bytes(jpeg.tobytes())
        (folder / f"{spec.tile_id}.xml").write_bytes(tile_xml(spec, 640, "tag", "train"))
    coco = coco_dataset([dict(zip(RECORD_COLUMNS, map(str, row))) for row in record_rows(specs, "train/shard-0")],
                        640, "tag")
    (root / "train.json").write_text(json.dumps(coco))
    return root


def decode_all(paths: list[Path]) -> list[dict]:
    from official.vision.dataloaders.tf_example_decoder import TfExampleDecoder

    decoder = TfExampleDecoder(include_mask=False)
    decoded = []
    for record in tf.data.TFRecordDataset([str(p) for p in paths]):
        out = decoder.decode(record)
        raw = tf.train.Example.FromString(record.numpy())
        decoded.append({"source_id": out["source_id"].numpy().decode(), "boxes": out["groundtruth_boxes"].numpy(),
                        "classes": out["groundtruth_classes"].numpy(), "crowd": out["groundtruth_is_crowd"].numpy(),
                        "area": out["groundtruth_area"].numpy(), "shape": tuple(out["image"].shape),
                        "jpeg": raw.features.feature["image/encoded"].bytes_list.value[0],
                        "file": raw.features.feature["image/filename"].bytes_list.value[0].decode()})
    return decoded


def test_decoded_records_equal_the_voc_labels_and_carry_the_jpeg_unchanged(tiles: Path, tmp_path: Path):
    outputs = [tmp_path / name for name in record_files("train", 2)]
    counts = write_split(tiles / "train.json", outputs, "tag")
    assert counts == {"tiles": 3, "tags": 3}
    decoded = decode_all(outputs)
    assert sorted(d["source_id"] for d in decoded) == ["1", "2", "3"]
    for d in decoded:
        jpeg_path = tiles / d["file"]
        assert d["jpeg"] == jpeg_path.read_bytes()
        assert d["shape"] == (640, 640, 3)
        voc = parse_voc(jpeg_path.with_suffix(".xml").read_bytes(), d["file"])
        expected = np.array([[o.box[1], o.box[0], o.box[3], o.box[2]] for o in voc.objects], dtype=np.float32)
        # the decoder returns normalised [ymin, xmin, ymax, xmax]
        np.testing.assert_allclose(d["boxes"] * 640, expected.reshape(-1, 4), atol=1e-3)
        assert list(d["classes"]) == [1] * len(voc.objects)
        assert list(d["crowd"]) == [0] * len(voc.objects)
        np.testing.assert_allclose(d["area"], [(o.box[2] - o.box[0]) * (o.box[3] - o.box[1]) for o in voc.objects])


def test_tiles_go_round_robin_to_shards_and_bytes_are_reproducible(tiles: Path, tmp_path: Path):
    first = [tmp_path / "a" / name for name in record_files("train", 2)]
    second = [tmp_path / "b" / name for name in record_files("train", 2)]
    for outputs in (first, second):
        outputs[0].parent.mkdir()
        write_split(tiles / "train.json", outputs, "tag")
    assert [hashlib.sha256(p.read_bytes()).digest() for p in first] == [
        hashlib.sha256(p.read_bytes()).digest() for p in second]
    assert [d["source_id"] for d in decode_all(first[:1])] == ["1", "3"]
    assert [d["source_id"] for d in decode_all(first[1:])] == ["2"]


def test_a_difficult_box_never_reaches_a_record(tiles: Path, tmp_path: Path):
    """Difficult tags are not pasted; one in the COCO JSON would become a tag or ground in training."""
    from spatule.problems import SpatuleError

    coco = json.loads((tiles / "train.json").read_text())
    coco["annotations"][1]["iscrowd"] = coco["annotations"][1]["ignore"] = 1
    (tmp_path / "train.json").write_text(json.dumps(coco))
    for image in coco["images"]:
        target = tmp_path / image["file_name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((tiles / image["file_name"]).read_bytes())
    with pytest.raises(SpatuleError, match="train-00000.jpg: 1 difficult box"):
        write_split(tmp_path / "train.json", [tmp_path / "out.tfrecord"], "tag")


def test_label_map_names_class_one():
    assert label_map("tag") == "item {\n  id: 1\n  name: 'tag'\n}\n"
    assert record_files("val", 1) == ["val-00000-of-00001.tfrecord"]
