"""Metrics on hand-made detections with known answers."""

import pytest

from spatule.intervals import wilson
from spatule.metrics import (ImageDetections, ImageTruth, bootstrap_ap, coco_metrics, count_exact, match_image,
                             original_metrics, pixel_iou, precision_recall)

TRUTH = {
    "a": ImageTruth(640, 640, ((10, 10, 50, 90), (200, 200, 260, 300))),
    "b": ImageTruth(640, 640, ((400, 100, 440, 180),)),
    "c": ImageTruth(640, 640),  # tag-free
}


def perfect() -> dict[str, ImageDetections]:
    return {name: ImageDetections(t.boxes, tuple(0.9 for _ in t.boxes)) for name, t in TRUTH.items()}


def test_perfect_detections_give_ap_one():
    metrics = coco_metrics(TRUTH, perfect())
    assert metrics["AP"] == pytest.approx(1.0) and metrics["AP50"] == pytest.approx(1.0)
    assert metrics["AR100"] == pytest.approx(1.0)
    low = round(wilson(3, 3)[0], 4)  # 3 of 3: the interval still reaches down to 0.44
    assert precision_recall(TRUTH, perfect(), 0.5) == {"threshold": 0.5, "tp": 3, "fp": 0, "fn": 0,
                                                      "precision": 1.0, "recall": 1.0,
                                                      "precision_ci": [low, 1.0], "recall_ci": [low, 1.0]}
    assert 0.43 < low < 0.45
    # the tag-free photo has no pixel to overlap: pixel IoU is the mean over the other two
    assert original_metrics(TRUTH, perfect(), 0.5) == {"pixel_iou": 1.0, "pixel_iou_images": 2, "count_exact": 1.0,
                                                       "count_exact_ci": [round(wilson(3, 3)[0], 4), 1.0],
                                                       "images": 3}


def test_one_miss_gives_the_known_recall():
    dets = perfect()
    dets["b"] = ImageDetections()
    pr = precision_recall(TRUTH, dets, 0.5)
    assert (pr["tp"], pr["fn"], pr["recall"], pr["precision"]) == (2, 1, pytest.approx(2 / 3), 1.0)
    assert coco_metrics(TRUTH, dets)["AR100"] == pytest.approx(2 / 3)
    assert original_metrics(TRUTH, dets, 0.5)["count_exact"] == pytest.approx(2 / 3)


def test_a_false_positive_and_a_low_score_below_threshold():
    dets = perfect()
    dets["c"] = ImageDetections(((100, 100, 140, 180),), (0.8,))
    dets["b"] = ImageDetections(TRUTH["b"].boxes, (0.2,))
    pr = precision_recall(TRUTH, dets, 0.5)
    assert (pr["tp"], pr["fp"], pr["fn"]) == (2, 1, 1)
    assert coco_metrics(TRUTH, dets)["AP50"] < 1.0


HARD = {
    "a": ImageTruth(640, 640, ((10, 10, 50, 90), (200, 200, 260, 300)), (False, True)),
    "b": ImageTruth(640, 640, ((400, 100, 440, 180), (420, 120, 470, 200)), (True, False)),  # overlapping boxes
}


@pytest.mark.parametrize("with_difficult", [True, False])
def test_a_perfect_detector_scores_one_everywhere_whether_or_not_it_finds_difficult_tags(with_difficult):
    dets = {name: ImageDetections(tuple(b for b, h in zip(t.boxes, t.difficult) if with_difficult or not h),
                                  tuple(0.9 for b, h in zip(t.boxes, t.difficult) if with_difficult or not h))
            for name, t in HARD.items()}
    assert coco_metrics(HARD, dets) == {"AP": 1.0, "AP50": 1.0, "AP75": 1.0, "AR100": 1.0}
    pr = precision_recall(HARD, dets, 0.5)
    assert (pr["tp"], pr["fp"], pr["fn"], pr["precision"], pr["recall"]) == (2, 0, 0, 1.0, 1.0)
    figures = original_metrics(HARD, dets, 0.5)
    assert (figures["pixel_iou"], figures["count_exact"], figures["images"]) == (1.0, 1.0, 2)


def test_detections_on_a_difficult_tag_are_neither_hits_nor_false_boxes():
    truth = HARD["a"]
    # two boxes on the difficult tag (one a bit larger), the easy tag found
    dets = ImageDetections(((10, 10, 50, 90), (200, 200, 260, 300), (195, 195, 265, 305)), (0.9, 0.8, 0.7))
    assert match_image(truth, dets) == (1, 0, 0)
    assert pixel_iou(truth, dets) == 1.0
    assert original_metrics({"a": truth}, {"a": dets}, 0.5)["count_exact"] == 1.0
    # a box mostly off the difficult tag is a false box, and counts in pixel IoU and count-exact
    off = ImageDetections(((10, 10, 50, 90), (240, 200, 340, 300)), (0.9, 0.8))
    assert match_image(truth, off) == (1, 1, 0)
    assert pixel_iou(truth, off) < 1.0
    assert original_metrics({"a": truth}, {"a": off}, 0.5)["count_exact"] == 0.0
    # the difficult tag missed, the easy one missed too: one miss, not two
    assert match_image(truth, ImageDetections()) == (0, 0, 1)


def test_a_detection_is_matched_to_a_countable_tag_before_a_difficult_one():
    truth = HARD["b"]
    # the box sits on the easy tag, which overlaps the difficult one: a hit, not ignored
    assert match_image(truth, ImageDetections(((420, 120, 470, 200),), (0.9,))) == (1, 0, 0)


def test_pixel_iou_of_shifted_box():
    truth = ImageTruth(100, 100, ((0, 0, 10, 10),))
    assert pixel_iou(truth, ImageDetections(((5, 0, 15, 10),), (1.0,))) == pytest.approx(50 / 150)
    assert pixel_iou(ImageTruth(100, 100), ImageDetections()) is None  # nothing on either side: no figure
    assert pixel_iou(ImageTruth(100, 100), ImageDetections(((5, 0, 15, 10),), (1.0,))) == 0.0
    assert pixel_iou(truth, ImageDetections()) == 0.0


def test_nothing_detected_has_no_precision_and_no_tag_no_recall():
    pr = precision_recall(TRUTH, {}, 0.5)
    assert (pr["tp"], pr["fn"], pr["precision"], pr["recall"]) == (0, 3, None, 0.0)
    assert pr["precision_ci"] == [0.0, 1.0]  # 0 of 0: nothing known
    free = {"c": TRUTH["c"]}
    assert precision_recall(free, {"c": ImageDetections(((1, 1, 9, 9),), (0.9,))}, 0.5)["recall"] is None


def test_a_miss_and_a_false_box_do_not_make_an_exact_count():
    truth = TRUTH["a"]
    one_off = ImageDetections(((10, 10, 50, 90), (500, 500, 560, 600)), (0.9, 0.9))  # one found, one false, one missed
    assert match_image(truth, one_off) == (1, 1, 1)
    assert not count_exact(truth, one_off)
    assert count_exact(truth, ImageDetections(truth.boxes, (0.9, 0.9)))
    assert count_exact(TRUTH["c"], ImageDetections())


def test_the_bootstrap_interval_of_ap_is_seeded_and_holds_the_figure():
    dets = perfect()
    dets["b"] = ImageDetections(((100, 300, 140, 380),) + TRUTH["b"].boxes, (0.95, 0.4))  # a false box above the tag
    ap = coco_metrics(TRUTH, dets)["AP50"]
    first, again = bootstrap_ap(TRUTH, dets, 50, seed=3), bootstrap_ap(TRUTH, dets, 50, seed=3)
    assert first == again and first["samples_used"] <= 50
    low, high = first["AP50_ci"]
    assert low <= ap <= high and low < high
    assert bootstrap_ap(TRUTH, dets, 0)["AP_ci"] is None
    assert bootstrap_ap({"c": TRUTH["c"]}, {}, 20)["AP_ci"] is None


def test_no_truth_at_all_is_reported_not_scored():
    assert coco_metrics({"c": ImageTruth(640, 640)}, {})["AP"] == -1.0
    assert coco_metrics(TRUTH, {})["AP"] == 0.0
