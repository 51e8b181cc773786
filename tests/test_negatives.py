"""Hard negatives: false boxes become tag-free tiles that hold them, clear of every labelled tag."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_evaluate import campaign, obj, paint, patch_detector, white  # noqa: F401  (campaign is a fixture)

from spatule import stages
from spatule.geometry import overlaps
from spatule.labels.objects import write_objects
from spatule.metrics import ImageTruth
from spatule.negatives import (
    SOURCE_ID_BASE,
    MiningSettings,
    count_false_boxes,
    false_detections,
    mining_settings,
    negative_window,
    plan_negatives,
)
from spatule.detection.card import ModelCard
from spatule.detection.engines import Searcher
from spatule.detection.settings import DetectSettings
from spatule.evaluate import PhotoTables
from spatule.stages.training import HardRound, RoundTwoFiles, TrainingRecords
from spatule.tables import read_csv
from spatule.detection.tiling import Detection


def test_only_detections_touching_no_labelled_tag_are_false():
    tags = [(100, 100, 140, 180)]
    found = [Detection(100, 100, 140, 180, 0.9),   # the tag
             Detection(90, 150, 130, 230, 0.8),    # half on the tag: not surely false
             Detection(145, 100, 180, 180, 0.7),   # 5 px from the tag, inside the gap
             Detection(400, 400, 440, 480, 0.6)]   # far away: false
    assert [d.score for d in false_detections(found, tags, gap=8)] == [0.6]


@pytest.mark.parametrize("box", [(10, 10, 50, 90), (1900, 1300, 1960, 1390), (900, 700, 940, 780)])
def test_a_negative_window_holds_the_box_inside_the_photo_and_clear_of_tags(box):
    tags = [(1200, 100, 1240, 180)]
    found = 0
    for seed in range(20):
        where = negative_window(box, 2000, 1400, 640, tags, np.random.default_rng(seed))
        if where is None:
            continue
        found += 1
        x, y = where
        window = (x, y, x + 640, y + 640)
        assert 0 <= x and x + 640 <= 2000 and 0 <= y and y + 640 <= 1400
        assert x <= box[0] and box[2] <= x + 640 and y <= box[1] and box[3] <= y + 640
        assert not overlaps(window, tags[0], 8)
    assert found >= 15  # windows that fit exist around each box, and are found
    # a box around the tag cannot be held without it: no window
    assert negative_window((1190, 90, 1250, 190), 2000, 1400, 640, tags, np.random.default_rng(0)) is None


def test_the_plan_keeps_the_most_confident_per_photo_and_in_all():
    false = {"a.jpg": [Detection(700 * k, 50 + 200 * (k % 2), 700 * k + 40, 120 + 200 * (k % 2), 0.3 + 0.05 * k)
                       for k in range(8)],
             "b.jpg": [Detection(1000, 800, 1040, 880, 0.99)]}
    sizes = {"a.jpg": (5000, 2000), "b.jpg": (3000, 2000)}
    plan = plan_negatives(false, {}, sizes, 640, MiningSettings(per_photo=3, tiles=3))
    assert len(plan) == 3 and {p.photo for p in plan} == {"a.jpg", "b.jpg"}
    assert sorted(round(p.detection.score, 2) for p in plan) == [0.6, 0.65, 0.99]
    assert plan == plan_negatives(false, {}, sizes, 640, MiningSettings(per_photo=3, tiles=3))  # same seed, same plan
    # a detection already inside a chosen tile adds no second tile
    close = {"a.jpg": [Detection(100, 100, 140, 180, 0.9), Detection(200, 100, 240, 180, 0.8)]}
    one = plan_negatives(close, {}, {"a.jpg": (3000, 2000)}, 640, MiningSettings(per_photo=5))
    assert len(one) <= 2 and all(p.window_x <= 100 for p in one)


def test_false_boxes_are_counted_as_the_metrics_count_false_positives():
    truth = {"a": ImageTruth(1000, 800, ((100, 100, 140, 180), (300, 300, 320, 330)), (False, True)),
             "b": ImageTruth(1000, 800)}
    found = {"a": [Detection(100, 100, 140, 180, 0.9), Detection(300, 300, 320, 330, 0.8),  # tag, difficult
                   Detection(600, 600, 640, 680, 0.5)], "b": [Detection(1, 1, 30, 30, 0.4)]}
    assert count_false_boxes(truth, found) == {"photos": 2, "false_boxes": 2, "per_photo": 1.0,
                                               "by_photo": {"a": 1, "b": 1}}


def test_settings_come_from_the_config_section():
    assert mining_settings({"steps": 50, "learning_rate": None, "score": 0.5}) == MiningSettings(steps=50, score=0.5)


def test_mining_cuts_a_tile_around_each_false_box_of_the_train_photos(campaign, tmp_path: Path):  # noqa: F811
    import tensorflow as tf

    labels = campaign["labels"]
    false_box = (700, 400, 760, 470)
    paint(labels / "bg" / "empty train.png", [false_box])  # something white that is not a tag
    # a val photo with a tag and something white that is not one: the round is judged on val, never on test
    paint(labels / "val.png", [(100, 100, 160, 150), (1000, 600, 1060, 660)])
    tables = campaign["tables"]
    write_objects(tables["objects"], [*campaign["objects"],
                                      obj("val.png", box=(100, 100, 160, 150), index=1, identity="VAL")])
    with tables["photos"].open("a", encoding="utf-8") as handle:
        handle.write("val.png,val,1\n")
    out = tmp_path / "negatives"
    synthetic = tmp_path / "train-00000-of-00001.tfrecord"  # stands in for the synthetic train tiles
    with tf.io.TFRecordWriter(str(synthetic)) as writer:
        for k in range(5):
            writer.write(f"synthetic tile {k}".encode())
    shards = [out / f"hard-train-0000{k}-of-00002.tfrecord" for k in range(2)]
    summary = stages.mine_negatives(PhotoTables(labels, campaign["tables"]), Searcher(lambda: patch_detector(white)),
                                   ModelCard.of(DetectSettings()), MiningSettings(score=0.5), 95,
                                   RoundTwoFiles([synthetic], out / "tiles", shards, out / "summary.json"))
    rows = read_csv(out / "tiles" / "negatives.csv")
    assert [r["photo"] for r in rows] == ["bg/empty train.png"]  # the tag of train.png is no false box
    (row,) = rows
    x, y = int(row["window_x"]), int(row["window_y"])
    assert x <= false_box[0] and false_box[2] <= x + 640 and y <= false_box[1] and false_box[3] <= y + 640
    tile = cv2.imread(str(out / "tiles" / row["file"]))
    photo = cv2.imread(str(labels / "bg" / "empty train.png"))
    assert tile.shape == (640, 640, 3)
    smooth = [cv2.GaussianBlur(im, (0, 0), 3).astype(int) for im in (tile, photo[y:y + 640, x:x + 640])]
    assert np.abs(smooth[0] - smooth[1]).mean() < 3  # the JPEG of that very window
    assert tile[false_box[1] - y + 3:false_box[3] - y - 3, false_box[0] - x + 3:false_box[2] - x - 3].mean() > 220
    assert "<object>" not in (out / "tiles" / row["file"].replace(".jpg", ".xml")).read_text()
    # the second round's records: the synthetic tiles and the negative, dealt over both shards
    dealt = [[r.numpy() for r in tf.data.TFRecordDataset(str(path))] for path in shards]
    assert dealt[0][:3] == [b"synthetic tile 0", b"synthetic tile 2", b"synthetic tile 4"]
    assert dealt[1][:2] == [b"synthetic tile 1", b"synthetic tile 3"] and len(dealt[1]) == 3
    assert summary["round_two_records"] == 6
    example = tf.train.Example.FromString(dealt[1][2])
    feature = example.features.feature
    assert feature["image/source_id"].bytes_list.value[0] == str(SOURCE_ID_BASE + 1).encode()
    assert list(feature["image/object/bbox/xmin"].float_list.value) == []
    written = json.loads((out / "summary.json").read_text())
    assert written == summary and summary["tiles"] == 1
    assert summary["before"]["mining"]["by_photo"] == {"bg/empty train.png": 1, "train.png": 0}
    assert summary["before"]["val"]["by_photo"] == {"val.png": 1}  # not test.png, whose tags are all found


def test_the_second_round_refuses_false_boxes_counted_on_the_test_photos_by_an_older_spatule(tmp_path: Path):
    from spatule.problems import SpatuleError

    before = tmp_path / "summary.json"  # as spatule wrote it before the round was judged on val
    before.write_text(json.dumps({"tiles": 1, "before": {"mining": {}, "held_out": {}}}))
    with pytest.raises(SpatuleError, match="summary.json: false boxes counted by an older spatule"):
        stages.train_hard({"preset": "smoke"}, {}, TrainingRecords([], [], tmp_path / "val.json"),
                          HardRound(tmp_path / "model", before, tmp_path / "hard", tmp_path / "metrics.json",
                                    tmp_path / "report.json"), PhotoTables(tmp_path, {}), tmp_path / "card.json")
