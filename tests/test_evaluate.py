"""Evaluation, detection on new photos and the report.

Fast tests use fake detectors (plain Python callables that find painted patches in the
pixels they are given), so the tiled full-photo path, the metrics and the files are checked
without a model. One workflow test trains the smoke preset and runs the whole workflow to the
report; the real sample test reuses its export.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from helpers import megadetector_problems
from conftest import snakemake

from spatule import stages
from spatule.detection.threshold import ThresholdChoice, choose_threshold
from spatule.evaluate import EvalOutputs, EvalSettings, PhotoTables, coco_truth, held_out_photos, image_errors
from spatule.labels.objects import LabelledObject, write_objects
from spatule.metrics import ImageDetections, ImageTruth
from spatule.problems import Action, Problem, Severity, write_problems
from spatule.report import identity_warning, split_table
from spatule.detection.card import ModelCard
from spatule.detection.engines import Searcher
from spatule.detection.settings import DetectSettings, detect_settings
from spatule.detection.rows import crop_stems
from spatule.detection.batches import read_rgb
from spatule.detection.runtimes import tile_detector
from spatule.detection.season import season_photos
from spatule.tables import write_csv

W, H = 1500, 1100


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- fake detectors ---------------------------------------------------------------------------

def patch_detector(mask_of, score: float = 0.9, calls: list | None = None):
    """A detector over uint8 RGB tiles [N, S, S, 3]: one box per connected patch where ``mask_of(tile)``."""
    def detect(tiles):
        assert tiles.dtype == np.uint8 and tiles.ndim == 4 and tiles.shape[-1] == 3
        if calls is not None:
            calls.append(tiles.shape)
        boxes, scores = [], []
        for tile in tiles:
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask_of(tile).astype(np.uint8), connectivity=4)
            found = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count]]
            boxes.append(np.array(found, dtype=float).reshape(-1, 4))
            scores.append(np.full(len(found), score))
        return boxes, scores
    return detect


def white(tile):
    return (tile > 200).all(axis=-1)


def red_in_rgb_order(tile):
    return (tile[..., 0] > 200) & (tile[..., 1] < 60) & (tile[..., 2] < 60)


def blind(tiles):
    return [np.zeros((0, 4))] * len(tiles), [np.zeros(0)] * len(tiles)


# --- a small labelled campaign on disk ----------------------------------------------------------

TEST_TAGS = [(600, 300, 680, 360),    # across the seam of the first two tile columns (x = 640)
             (1400, 1000, 1500, 1100)]  # flush with the bottom-right corner
DIFFICULT = (100, 800, 160, 850)


def obj(image: str, kind: str = "tag", box=None, index=None, identity="", difficult=False, xml=None):
    x0, y0, x1, y1 = box if box else (None,) * 4
    return LabelledObject(image, xml if xml is not None else image.rsplit(".", 1)[0] + ".xml", kind, index,
                          "tag" if kind == "tag" else "", identity, "csv" if identity else "", x0, y0, x1, y1,
                          difficult, False, W, H, 1, False)


def paint(path: Path, boxes, colour=(255, 255, 255)) -> Path:
    """A dark noisy photo with filled BGR rectangles, lossless."""
    rng = np.random.default_rng(len(str(path)))
    pixels = rng.integers(20, 90, size=(H, W, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        pixels[y0:y1, x0:x1] = colour
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), pixels)
    return path


@pytest.fixture
def campaign(tmp_path: Path) -> dict:
    """Photos + the first stages' tables: one all-test photo, one mixed, one train, one doubtful
    test photo, a test and a train background."""
    labels = tmp_path / "labels"
    paint(labels / "test.png", TEST_TAGS + [DIFFICULT])
    paint(labels / "mixed.png", [(200, 200, 260, 250), (900, 200, 960, 250)])
    paint(labels / "train.png", [(300, 300, 360, 350)])
    paint(labels / "doubtful.png", [(300, 300, 360, 350)])
    paint(labels / "bg" / "empty test.png", [])
    paint(labels / "bg" / "empty train.png", [])
    objects = [obj("test.png", box=b, index=i, identity="TEST") for i, b in enumerate(TEST_TAGS, start=1)]
    objects += [obj("test.png", box=DIFFICULT, index=3, identity="TEST", difficult=True),
                obj("mixed.png", box=(200, 200, 260, 250), index=1, identity="TEST"),
                obj("mixed.png", box=(900, 200, 960, 250), index=2, identity="TRAIN"),
                obj("train.png", box=(300, 300, 360, 350), index=1, identity="TRAIN"),
                obj("doubtful.png", box=(300, 300, 360, 350), index=1, identity="TEST2"),
                obj("bg/empty test.png", kind="background"), obj("bg/empty train.png", kind="background")]
    tables = {k: tmp_path / f"{k}.csv" for k in ("objects", "photos", "backgrounds", "problems")}
    write_objects(tables["objects"], objects)
    write_csv(tables["photos"], ["image", "split", "tags"],
              [["test.png", "test", 3], ["mixed.png", "mixed", 2], ["train.png", "train", 1],
               ["doubtful.png", "test", 1]])
    write_csv(tables["backgrounds"], ["image", "split"],
              [["bg/empty test.png", "test"], ["bg/empty train.png", "train"]])
    write_problems(tables["problems"], [
        Problem("doubtful.xml", 2, "box_outside", Severity.ERROR, Action.SKIPPED, "box outside the photo"),
        Problem("train.xml", 2, "other_class", Severity.INFO, Action.SKIPPED, "class bird")])
    return {"labels": labels, "tables": tables, "objects": objects}


AT_HALF = ThresholdChoice(0.5, "config")
"""The held-out figures at score 0.5, as with detect.score_threshold: 0.5."""
AT_HALF_CARD = ModelCard.of(DetectSettings(), AT_HALF)


def held(campaign: dict) -> PhotoTables:
    return PhotoTables(campaign["labels"], campaign["tables"])


def searching(detector) -> Searcher:
    """A detector as the stages take a model (loaded when first needed)."""
    return Searcher(lambda: detector)


def outputs(folder: Path) -> EvalOutputs:
    return EvalOutputs(folder / "metrics.json", folder / "detections.csv", folder / "pr_curve.csv",
                       folder / "sheet.jpg")


# --- held-out selection -----------------------------------------------------------------------

def test_real_held_out_photos_are_the_all_test_photos_and_test_backgrounds(campaign):
    from spatule.problems import doubtful_xml, read_problems
    from spatule.tables import read_csv

    tables = campaign["tables"]
    held = held_out_photos(campaign["objects"], read_csv(tables["photos"]), read_csv(tables["backgrounds"]),
                           doubtful_xml(read_problems(tables["problems"])))
    assert [p.image for p in held.photos] == ["bg/empty test.png", "test.png"]
    assert (held.labelled, held.backgrounds) == (1, 1)
    test = next(p for p in held.photos if p.image == "test.png")
    assert test.truth.boxes == tuple(tuple(float(v) for v in b) for b in TEST_TAGS + [DIFFICULT])
    assert test.truth.difficult == (False, False, True)
    assert (test.truth.width, test.truth.height) == (W, H)
    excluded = dict(held.excluded)
    assert set(excluded) == {"mixed.png", "doubtful.png"}   # train.png is simply another split
    assert "mixed" in excluded["mixed.png"] and "skipped" in excluded["doubtful.png"]
    # another class skipped in train.xml is not doubtful: the same photo counts in its own split
    train = held_out_photos(campaign["objects"], read_csv(tables["photos"]), read_csv(tables["backgrounds"]),
                            doubtful_xml(read_problems(tables["problems"])), split="train")
    assert [p.image for p in train.photos] == ["bg/empty train.png", "train.png"]


# --- evaluation through the full-photo tiled path ------------------------------------------------

def test_a_perfect_detector_scores_ap_1_on_the_real_held_out_photos(campaign, tmp_path: Path):
    calls: list = []
    settings = DetectSettings(tile_size=640, overlap=128, batch_size=4)
    metrics = stages.evaluate_real(held(campaign), searching(patch_detector(white, calls=calls)),
                                  ModelCard.of(settings, AT_HALF), outputs(tmp_path / "real"))
    assert calls and all(shape[1:] == (640, 640, 3) and shape[0] <= 4 for shape in calls)
    assert metrics["available"] and metrics["note"] == ""
    assert (metrics["images"], metrics["tags"], metrics["difficult"]) == (2, 2, 1)
    assert {k: metrics["coco"][k] for k in ("AP", "AP50", "AP75", "AR100")} == {"AP": 1.0, "AP50": 1.0, "AP75": 1.0,
                                                                              "AR100": 1.0}
    at = metrics["at_threshold"]
    assert (at["tp"], at["fp"], at["fn"], at["precision"], at["recall"]) == (2, 0, 0, 1.0, 1.0)
    # test.png: 3 patches found, one on the difficult tag, which counts for neither side
    assert metrics["original"]["count_exact"] == 1.0
    assert metrics["original"]["pixel_iou"] == 1.0
    written = json.loads((tmp_path / "real/metrics.json").read_text())
    assert written["coco"]["AP"] == 1.0 and written["labelled_photos"] == 1 and written["background_photos"] == 1
    rows = read_rows(tmp_path / "real/detections.csv")
    assert sorted((round(float(r["x0"])), round(float(r["y0"])), round(float(r["x1"])), round(float(r["y1"])))
                  for r in rows) == sorted(TEST_TAGS + [DIFFICULT])  # the seam tag once and whole
    pr = read_rows(tmp_path / "real/pr_curve.csv")
    assert len(pr) == 19  # scores are 0.9: all found up to that threshold, none above
    assert [float(r["recall"]) for r in pr] == [1.0 if float(r["threshold"]) <= 0.9 else 0.0 for r in pr]
    assert cv2.imread(str(tmp_path / "real/sheet.jpg")) is not None


def test_a_blind_detector_scores_zero_and_its_misses_come_first(campaign, tmp_path: Path):
    metrics = stages.evaluate_real(held(campaign), searching(blind), AT_HALF_CARD, outputs(tmp_path / "real"))
    assert metrics["coco"]["AP"] == 0.0 and metrics["at_threshold"]["recall"] == 0.0
    assert metrics["per_image"][0] == {"image": "test.png", "tags": 2, "tp": 0, "fp": 0, "fn": 2}


def test_a_weak_box_around_a_tag_does_not_swallow_it_in_the_evaluation(campaign, tmp_path: Path):
    """A weak box around each view of a tag (the seam tag's views cut by the seam) swallows
    no tag at any score: the tags are found at the floor score too, the weak boxes are extra."""
    find = patch_detector(white)

    def with_weak_surround(tiles):
        boxes, scores = find(tiles)
        for i, (b, s) in enumerate(zip(boxes, scores)):
            big = b[:, :2] - 40, b[:, 2:] + 40
            boxes[i] = np.concatenate([b, np.hstack(big)])
            scores[i] = np.concatenate([s, np.full(len(s), 0.1)])
        return boxes, scores

    metrics = stages.evaluate_real(held(campaign), searching(with_weak_surround), AT_HALF_CARD,
                                  outputs(tmp_path / "real"))
    at = metrics["at_threshold"]
    assert (at["tp"], at["fp"], at["fn"]) == (2, 0, 0)
    assert metrics["original"]["pixel_iou"] == 1.0
    assert metrics["coco"]["AP50"] == 1.0  # the weak boxes rank below every tag
    pr = {p["threshold"]: p for p in metrics["pr_curve"]}
    # what detect itself writes at 0.05: both tags, plus the weak boxes as false positives
    # (one weak box around each tag's view kept: the seam tag's and the difficult one's)
    assert (pr[0.05]["tp"], pr[0.05]["fp"], pr[0.05]["fn"]) == (2, 3, 0)
    assert (pr[0.15]["tp"], pr[0.15]["fp"], pr[0.15]["fn"]) == (2, 0, 0)
    rows = read_rows(tmp_path / "real/detections.csv")
    strong = sorted(tuple(round(float(r[k])) for k in ("x0", "y0", "x1", "y1"))
                    for r in rows if float(r["score"]) > 0.5)
    assert strong == sorted(TEST_TAGS + [DIFFICULT])


def test_no_real_held_out_photo_is_said_plainly_and_loads_no_model(campaign, tmp_path: Path):
    tables = dict(campaign["tables"])
    tables["photos"] = tmp_path / "no-test-photos.csv"
    write_csv(tables["photos"], ["image", "split", "tags"], [["train.png", "train", 1], ["mixed.png", "mixed", 2]])
    tables["backgrounds"] = tmp_path / "no-test-backgrounds.csv"
    write_csv(tables["backgrounds"], ["image", "split"], [["bg/empty train.png", "train"]])

    def never():
        raise AssertionError("the model must not be loaded when there is nothing to evaluate")

    metrics = stages.evaluate_real(PhotoTables(campaign["labels"], tables), Searcher(never), AT_HALF_CARD,
                                  outputs(tmp_path / "real"))
    written = json.loads((tmp_path / "real/metrics.json").read_text())
    assert written["available"] is False and metrics["images"] == 0
    assert written["note"].startswith("no real held-out labelled photo")
    assert written["coco"]["AP"] == -1.0
    assert (tmp_path / "real/detections.csv").read_text().strip() == "image,x0,y0,x1,y1,score"
    assert (tmp_path / "real/sheet.jpg").is_file()


def test_a_perfect_detector_scores_ap_1_on_synthetic_tiles(tmp_path: Path):
    tiles = tmp_path / "tiles"
    boxes = {"test/shard-0/test-00000.png": [(10, 20, 70, 60), (300, 400, 380, 470)],
             "test/shard-0/test-00001.png": [],
             "test/shard-1/test-00002.png": [(600, 600, 640, 640)]}
    images, annotations = [], []
    for i, (name, bs) in enumerate(boxes.items(), start=1):
        pixels = np.full((640, 640, 3), 50, np.uint8)
        for x0, y0, x1, y1 in bs:
            pixels[y0:y1, x0:x1] = 255
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": 1,
                                "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0, "ignore": 0})
        (tiles / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tiles / name), pixels)
        images.append({"id": i, "file_name": name, "width": 640, "height": 640})
    (tiles / "test.json").write_text(json.dumps({"images": images, "annotations": annotations}))
    truth = coco_truth(json.loads((tiles / "test.json").read_text()))
    assert truth["test/shard-0/test-00000.png"].boxes == ((10.0, 20.0, 70.0, 60.0), (300.0, 400.0, 380.0, 470.0))
    metrics = stages.evaluate_synthetic(tiles / "test.json", searching(patch_detector(white)),
                                       ModelCard.of(DetectSettings(batch_size=2), AT_HALF),
                                       outputs(tmp_path / "synthetic"))
    assert metrics["coco"]["AP"] == 1.0 and metrics["at_threshold"]["fp"] == 0
    assert (metrics["original"]["pixel_iou"], metrics["original"]["count_exact"]) == (1.0, 1.0)
    assert metrics["original"]["pixel_iou_images"] == 2  # the tag-free tile with no box has no pixel IoU
    assert metrics["tag_free_images"] == 1
    half = stages.evaluate_synthetic(tiles / "test.json", searching(patch_detector(white, score=0.3)),
                                    ModelCard.of(DetectSettings(batch_size=2), AT_HALF), outputs(tmp_path / "low"))
    assert half["coco"]["AP"] == 1.0 and half["at_threshold"]["recall"] == 0.0  # all found, all under 0.5


# --- the score threshold: chosen on val, used on test ----------------------------------------------

def _scored(*found: tuple[float, bool]) -> tuple[dict, dict]:
    """One photo per detection: a tag found (True) or a false box (False) at the score given."""
    truth, detections = {}, {}
    for i, (score, hit) in enumerate(found):
        truth[f"p{i}"] = ImageTruth(100, 100, ((10, 10, 30, 30),))
        box = (10, 10, 30, 30) if hit else (60, 60, 80, 80)
        detections[f"p{i}"] = ImageDetections((box,), (score,))
    return truth, detections


def test_the_threshold_is_the_lowest_score_that_reaches_the_target_precision():
    truth, found = _scored((0.95, True), (0.9, True), (0.8, False), (0.7, True), (0.6, True), (0.5, True),
                           (0.4, False), (0.3, False))
    # precision going down the scores: 1, 1, 2/3, 3/4, 4/5, 5/6, 5/7, 5/8
    assert choose_threshold(truth, found, 0.8) == ThresholdChoice(0.5, "val", 0.8)
    assert choose_threshold(truth, found, 0.84) == ThresholdChoice(0.9, "val", 0.84)
    assert choose_threshold(truth, found, 0.7).score_threshold == 0.4
    # a threshold keeps every detection of its score: a tie of a hit and a false box moves together
    tied_truth, tied = _scored((0.9, True), (0.5, True), (0.5, False))
    assert choose_threshold(tied_truth, tied, 0.9).score_threshold == 0.9


@pytest.mark.parametrize("seed", range(6))
def test_the_threshold_chosen_agrees_with_measuring_every_score_one_by_one(seed: int):
    """The choice sums outcomes matched once; measuring precision afresh at each score must agree."""
    from spatule.metrics import precision_recall

    rng = np.random.default_rng(seed)
    truth, found = {}, {}
    for i in range(12):
        tags = [(float(x), 40.0, float(x) + 30, 80.0) for x in rng.choice(np.arange(0, 500, 60), 3, replace=False)]
        boxes = [(b[0] + float(rng.integers(-4, 5)), b[1], b[2], b[3]) for b in tags if rng.random() < 0.8]
        boxes += [(600.0, 300.0, 630.0, 340.0)] * int(rng.integers(0, 2))  # a false box now and then
        truth[f"p{i}"] = ImageTruth(700, 400, tuple(tags), tuple(bool(rng.random() < 0.15) for _ in tags))
        found[f"p{i}"] = ImageDetections(tuple(boxes), tuple(float(v) for v in np.round(rng.random(len(boxes)), 2)))
    scores = sorted({s for d in found.values() for s in d.scores})
    for target in (0.5, 0.8, 0.9, 0.97):
        reaching = [t for t in scores
                    if precision_recall(truth, found, t)["precision"] is not None
                    and precision_recall(truth, found, t)["precision"] >= target]
        choice = choose_threshold(truth, found, target)
        if reaching:
            assert (choice.score_threshold, choice.note) == (min(reaching), "")
        else:
            assert "no threshold reaches" in choice.note


def test_a_target_no_threshold_reaches_takes_the_best_precision_and_says_so():
    truth, found = _scored((0.9, False), (0.8, True), (0.7, True), (0.6, False))
    choice = choose_threshold(truth, found, 0.95)
    assert (choice.score_threshold, choice.source) == (0.7, "val")  # 2 of 3, the best there is
    assert "no threshold reaches precision 0.95" in choice.note and "0.667" in choice.note
    truth, only_false = _scored((0.9, False), (0.2, False))  # never the lowest score of a model that only errs
    assert choose_threshold(truth, only_false, 0.95).source == "default"


def test_without_a_val_tag_the_threshold_is_not_chosen():
    from spatule.config import PROVISIONAL_THRESHOLD

    choice = choose_threshold({"a": ImageTruth(100, 100)}, {"a": ImageDetections(((1, 1, 9, 9),), (0.9,))}, 0.95)
    assert (choice.score_threshold, choice.source) == (PROVISIONAL_THRESHOLD, "default")
    assert "detect.score_threshold" in choice.note


def test_the_val_evaluation_chooses_the_threshold_the_card_carries_and_test_uses(campaign, tmp_path: Path):
    from spatule.detection.card import card_threshold, read_card

    find = patch_detector(white, score=0.9)

    def with_a_false_box(tiles):  # a false box at 0.6 in every tile, far from the tags
        boxes, scores = find(tiles)
        for i in range(len(boxes)):
            boxes[i] = np.concatenate([boxes[i], [[600.0, 600.0, 630.0, 630.0]]])
            scores[i] = np.concatenate([scores[i], [0.6]])
        return boxes, scores

    tables = dict(campaign["tables"])
    rows = read_rows(tables["photos"])
    tables["photos"] = tmp_path / "photos-val.csv"  # the test photo plays the val photo here
    write_csv(tables["photos"], list(rows[0]), [[("val" if v == "test" else v) for v in r.values()] for r in rows])
    bgs = read_rows(tables["backgrounds"])
    tables["backgrounds"] = tmp_path / "backgrounds-val.csv"
    write_csv(tables["backgrounds"], list(bgs[0]), [[("val" if v == "test" else v) for v in r.values()] for r in bgs])
    settings = tmp_path / "search/settings.json"  # rule search_settings: no score threshold yet
    settings.parent.mkdir()
    stages.search_settings({"overlap": 128}, 640, 0, "tag", campaign["tables"]["objects"], settings)
    val = stages.evaluate_real(PhotoTables(campaign["labels"], tables), searching(with_a_false_box), settings,
                               outputs(tmp_path / "val"), split="val", evaluate=EvalSettings(0.05, 0.95, 20))
    assert val["set"] == "val" and val["threshold"]["source"] == "val"
    assert 0.6 < val["score_threshold"] <= 0.9  # above the false boxes, at the tags
    assert val["at_threshold"]["fp"] == 0 and val["at_threshold"]["precision_ci"][1] == 1.0
    assert 0 < val["coco"]["bootstrap_samples"] <= 20 and len(val["coco"]["AP50_ci"]) == 2  # draws with a tag
    card = tmp_path / "exported/spatule.json"
    card.parent.mkdir()
    made = stages.model_card(settings, tmp_path / "val/metrics.json", card)
    assert made["search"]["score_threshold"] == val["score_threshold"]
    assert made["threshold"]["val"]["precision"]["k"] == val["at_threshold"]["tp"]
    assert card_threshold(card) == ThresholdChoice(val["score_threshold"], "val", 0.95)
    assert read_card(card.parent).settings().score_threshold == val["score_threshold"]  # what spatule detect uses
    test = stages.evaluate_real(held(campaign), searching(with_a_false_box), card, outputs(tmp_path / "test"))
    assert test["score_threshold"] == val["score_threshold"] and test["threshold"]["source"] == "val"
    # at the provisional 0.3 the same test photos have false boxes; at the chosen threshold none
    assert test["at_threshold"]["fp"] == 0
    assert {p["threshold"]: p["fp"] for p in test["pr_curve"]}[0.3] > 0
    assert json.loads(settings.read_text())["search"] == {**made["search"], "score_threshold": 0.3}  # but the threshold


def test_a_threshold_set_in_the_config_is_in_the_search_settings_and_the_val_evaluation_keeps_it(campaign,
                                                                                                 tmp_path: Path):
    settings = tmp_path / "settings.json"
    written = stages.search_settings({"score_threshold": 0.8, "search_info_bar": False}, 512, 60, "tag",
                                     campaign["tables"]["objects"], settings)
    assert written["threshold"] == {"source": "config"} and written["class_name"] == "tag"
    assert {k: written["search"][k] for k in ("tile_size", "info_bar_px", "score_threshold")} == {
        "tile_size": 512, "info_bar_px": 60, "score_threshold": 0.8}
    val = stages.evaluate_real(held(campaign), searching(patch_detector(white)), settings, outputs(tmp_path / "val"),
                               split="val")
    assert val["threshold"]["source"] == "config" and val["score_threshold"] == 0.8
    assert val["detect"]["info_bar_px"] == 60 and val["detect"]["tile_size"] == 512


def test_a_card_written_with_the_old_names_of_the_search_settings_still_reads():
    from spatule.detection.card import ModelCard

    old = ModelCard({"tile": 512, "batch": 3, "skip_bottom": 60, "overlap": 96, "score_threshold": 0.4})
    assert old.settings() == DetectSettings(tile_size=512, batch_size=3, info_bar_px=60, overlap=96,
                                            score_threshold=0.4)
    assert old.settings({"info_bar_px": 0}).info_bar_px == 0  # spatule detect --info-bar-px on top


def test_worst_images_come_first():
    truth = {"a": ImageTruth(100, 100, ((0, 0, 10, 10),)), "b": ImageTruth(100, 100),
             "c": ImageTruth(100, 100, ((0, 0, 10, 10), (50, 50, 60, 60)))}
    found = {"a": ImageDetections(((0, 0, 10, 10),), (0.9,)), "b": ImageDetections(((5, 5, 9, 9),), (0.8,))}
    assert [r["image"] for r in image_errors(truth, found, 0.5)] == ["c", "b", "a"]


# --- detection on new photos --------------------------------------------------------------------

def test_detect_writes_boxes_inside_the_photos_and_a_crop_per_tag(tmp_path: Path):
    photos = tmp_path / "new"
    paint(photos / "a b.png", [(600, 300, 680, 360), (1460, 1050, 1500, 1100)])
    paint(photos / "cam2" / "a_b.png", [(10, 10, 50, 40)])
    paint(photos / "empty.png", [])
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path / "detect"
    summary = stages.detect_folder(photos, searching(patch_detector(white)), ModelCard.of(DetectSettings(batch_size=3)),
                                   out)
    assert summary["detections"] == 3 and summary["photos_with_tags"] == 2
    assert summary["status"] == {"ok": 3, "unreadable": 1, "not_an_image": 1}
    rows = read_rows(out / "detections.csv")
    assert [(r["photo"], r["detection"]) for r in rows] == [("a b.png", "1"), ("a b.png", "2"), ("cam2/a_b.png", "1")]
    for r in rows:
        x0, y0, x1, y1 = (float(r[k]) for k in ("x0", "y0", "x1", "y1"))
        assert 0 <= x0 < x1 <= int(r["width"]) == W and 0 <= y0 < y1 <= int(r["height"]) == H
        crop = cv2.imread(str(out / "crops" / r["crop"]))
        cx0, cy0, cx1, cy1 = (int(r[k]) for k in ("crop_x0", "crop_y0", "crop_x1", "crop_y1"))
        assert crop.shape[:2] == (cy1 - cy0, cx1 - cx0)
        assert cx0 <= x0 and cy0 <= y0 and x1 <= cx1 and y1 <= cy1
        inner = crop[int(y0) - cy0:int(y1) - cy0, int(x0) - cx0:int(x1) - cx0]
        assert inner.min() == 255  # the painted tag itself
    assert {(round(float(r["x0"])), round(float(r["y0"])), round(float(r["x1"])), round(float(r["y1"])))
            for r in rows if r["photo"] == "a b.png"} == {(600, 300, 680, 360), (1460, 1050, 1500, 1100)}
    assert len({r["crop"] for r in rows}) == 3 == len(list((out / "crops").rglob("*.png")))
    listed = {r["photo"]: r for r in read_rows(out / "photos.csv")}
    assert listed["broken.jpg"]["status"] == "unreadable" and listed["empty.png"]["detections"] == "0"
    assert listed["notes.txt"]["status"] == "not_an_image" and "not a photo" in listed["notes.txt"]["reason"]
    assert cv2.imread(str(out / "sheet.jpg")) is not None
    # the same in the MegaDetector format: every file of photos.csv once, boxes as shares of the photo
    results = json.loads((out / "detections.json").read_text())
    assert megadetector_problems(results) == []
    entries = {e["file"]: e for e in results["images"]}
    assert sorted(entries) == sorted(listed) and len(results["images"]) == len(listed)
    assert entries["broken.jpg"]["failure"].startswith("not searched (unreadable") and entries["empty.png"][
        "detections"] == []
    for r in rows:
        box = [float(r[k]) for k in ("x0", "y0", "x1", "y1")]
        assert {"category": "1", "conf": float(r["score"]), "bbox": [round(box[0] / W, 4), round(box[1] / H, 4),
                round((box[2] - box[0]) / W, 4), round((box[3] - box[1]) / H, 4)]} in entries[r["photo"]]["detections"]


def test_the_model_gets_rgb_pixels(tmp_path: Path):
    photos = tmp_path / "new"
    red, blue = (200, 100, 260, 150), (900, 600, 960, 650)
    rng = np.random.default_rng(0)
    pixels = rng.integers(20, 90, size=(H, W, 3), dtype=np.uint8)
    pixels[red[1]:red[3], red[0]:red[2]] = (0, 0, 255)    # OpenCV writes BGR: this is red
    pixels[blue[1]:blue[3], blue[0]:blue[2]] = (255, 0, 0)  # and this blue
    photos.mkdir()
    cv2.imwrite(str(photos / "p.jpg"), pixels, [cv2.IMWRITE_JPEG_QUALITY, 98])
    assert read_rgb(photos / "p.jpg")[125, 230].tolist()[0] > 200
    out = tmp_path / "detect"
    stages.detect_folder(photos, searching(patch_detector(red_in_rgb_order)), ModelCard.of(DetectSettings()), out)
    rows = read_rows(out / "detections.csv")
    assert len(rows) == 1
    box = [float(rows[0][k]) for k in ("x0", "y0", "x1", "y1")]
    assert box == pytest.approx(red, abs=3)
    crop = cv2.imread(str(out / "crops" / rows[0]["crop"]))
    assert crop[crop.shape[0] // 2, crop.shape[1] // 2].tolist()[2] > 200  # crops are saved as they look


def test_the_tile_detector_keeps_the_tags_among_the_first_num_boxes():
    def model(tiles):  # as spatule.model.load_detector answers: x-first pixel boxes
        n = len(tiles)
        boxes = np.zeros((n, 3, 4), np.float32)
        boxes[:, 0] = (10, 20, 50, 60)
        boxes[:, 1] = (100, 100, 140, 120)
        boxes[:, 2] = (1, 1, 2, 2)        # past num: padding
        return {"boxes": boxes, "scores": np.tile([0.9, 0.8, 0.7], (n, 1)),
                "classes": np.tile([1, 2, 1], (n, 1)), "num": np.full(n, 2)}

    boxes, scores = tile_detector(model)(np.zeros((2, 640, 640, 3), np.uint8))
    assert len(boxes) == 2
    np.testing.assert_array_equal(boxes[0], [[10, 20, 50, 60]])  # class 2 and the padding dropped
    np.testing.assert_array_equal(scores[1], [0.9])


def test_detect_settings_and_photo_listing(tmp_path: Path):
    s = detect_settings({"overlap": 64, "batch_size": 2, "score_threshold": 0.4, "merge": "nms",
                         "merge_threshold": 0.6, "whole_photo": True}, 640)
    assert s == DetectSettings(640, 64, 2, 0.4, "nms", 0.6, True)
    # overlap unset: the largest labelled tag side + twice the seam margin, rounded up to 8 px
    derived = detect_settings({"overlap": None}, 640, largest_tag_px=190, info_bar_px=60)
    assert (derived.overlap, derived.merge, derived.info_bar_px) == (224, "core", 60)
    assert detect_settings({"search_info_bar": True}, 640, 190, 60).info_bar_px == 0
    assert detect_settings({}, 640, 600).overlap == 320  # at most half a tile (and said so in the log)
    assert detect_settings({}, 640).overlap == DetectSettings().overlap  # no labelled tag: the default
    from spatule.problems import SpatuleError

    with pytest.raises(SpatuleError, match="overlap"):
        detect_settings({"overlap": 640}, 640)
    paint(tmp_path / "p" / "x.JPG", [])
    paint(tmp_path / "p" / ".hidden" / "y.png", [])
    assert season_photos(tmp_path / "p") == ["x.JPG"]
    stems = crop_stems(["a b.png", "a_b.png", "c.png"])
    assert len(set(stems.values())) == 3 and stems["c.png"] == "c"


# --- report -------------------------------------------------------------------------------------

def test_report_files_from_small_fake_inputs(tmp_path: Path):
    from spatule.evaluate import evaluation_metrics
    from spatule.stages.reporting import ReportInputs

    truth = {"a": ImageTruth(100, 100, ((0, 0, 10, 10),)), "b": ImageTruth(100, 100, ((20, 20, 40, 40),))}
    found = {"a": ImageDetections(((0, 0, 10, 10), (50, 50, 60, 60)), (0.9, 0.4))}
    synthetic = {"set": "synthetic", "available": True, "note": "", "score_threshold": 0.5,
                 **evaluation_metrics(truth, found, 0.5)}
    real = {"set": "real", "available": False, "score_threshold": 0.5,
            "note": "no real held-out labelled photo: none has all its tags in the test split",
            **evaluation_metrics({}, {}, 0.5)}
    evals = {}
    for name, m in (("synthetic", synthetic), ("real", real)):
        (tmp_path / "eval" / name).mkdir(parents=True)
        evals[name] = tmp_path / "eval" / name / "metrics.json"
        evals[name].write_text(json.dumps(m))
    summary = {"splits": {"train": {"identities": 5, "tags": 9, "labelled_photos": 4, "background_photos": 2},
                          "val": {"identities": 1, "tags": 2, "labelled_photos": 1, "background_photos": 1},
                          "test": {"identities": 1, "tags": 1, "labelled_photos": 1, "background_photos": 0}},
               "identities_known": False, "identity_note": "3 of 12 tags have no known bird."}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    tiles = {}
    for split, n in (("train", 3), ("val", 1), ("test", 2)):
        tiles[split] = tmp_path / f"{split}.json"
        tiles[split].write_text(json.dumps({"images": [{"id": i} for i in range(n)], "annotations": [{}] * (2 * n)}))
    model = tmp_path / "model"
    model.mkdir()
    (model / "metrics.json").write_text(json.dumps({"final_step": 4, "loss": 1.5, "AP": 0.0, "AP50": 0.0}))
    detect = tmp_path / "photos.csv"
    write_csv(detect, ["photo", "width", "height", "orientation", "orientation_applied", "detections", "status"],
              [["a.jpg", 10, 10, 1, 0, 2, "ok"], ["b.jpg", "", "", "", "", 0, "unreadable"]])
    out = {k: tmp_path / "report" / name for k, name in (
        ("summary_md", "summary.md"), ("summary_html", "summary.html"), ("splits_html", "splits.html"),
        ("splits_csv", "splits.csv"), ("pr_curves", "pr_curves.png"), ("training_curves", "training_curves.png"))}
    (tmp_path / "report").mkdir()
    result = stages.report(ReportInputs(evals, tmp_path / "summary.json", tiles, model, detect), out)
    for path in out.values():
        assert path.is_file() and path.stat().st_size > 0, path
    for png in ("pr_curves", "training_curves"):
        assert cv2.imread(str(out[png])).shape[2] == 3
    md = out["summary_md"].read_text()
    assert "3 of 12 tags have no known bird." in md and "Warning" in md
    assert "no real held-out labelled photo" in md
    assert "| synthetic | 2 | 2 | " in md and "| real | 0 | 0 | n/a |" in md
    assert "3 of 12 tags have no known bird." in out["splits_html"].read_text()
    assert read_rows(out["splits_csv"])[0] == {"split": "train", "identities": "5", "tags": "9",
                                               "labelled_photos": "4", "background_photos": "2", "tiles": "3",
                                               "tile_tags": "6"}
    assert "<table>" in out["summary_html"].read_text()
    assert result["training_tags"] == []  # no TensorBoard events in the fake model folder
    assert "Hard negatives" not in md
    # with a second round: both rounds' training rows and the false boxes before and after
    hard = tmp_path / "model-hard"
    hard.mkdir()
    (hard / "metrics.json").write_text(json.dumps({"final_step": 2, "loss": 1.1, "AP": 0.2, "AP50": 0.5}))
    (hard / "timing.json").write_text(json.dumps({"steps_per_second": 1.25, "seconds": 80.0}))
    count = {"photos": 4, "false_boxes": 6, "per_photo": 1.5, "by_photo": {}}
    (hard / "hard_negatives.json").write_text(json.dumps(
        {"score": 0.3, "tiles": 5,
         "before": {"mining": count, "val": {**count, "false_boxes": 2, "per_photo": 0.5}},
         "after": {"mining": {**count, "false_boxes": 1, "per_photo": 0.25}, "val": {**count, "false_boxes": 0,
                                                                                        "per_photo": 0.0}}}))
    stages.report(ReportInputs(evals, tmp_path / "summary.json", tiles, model, detect,
                               hard_negatives=hard / "hard_negatives.json"), out)
    md = out["summary_md"].read_text()
    assert "## Hard negatives" in md and "with 5 tag-free tiles" in md
    assert "| train photos (mined) | 4 | 6 | 1.500 | 1 | 0.250 |" in md
    assert "| val photos (held-out birds) | 4 | 2 | 0.500 | 0 | 0.000 |" in md
    assert "| second (hard negatives) | 2 | 1.100 |" in md and "| 1.250 | 80.000 |" in md


def test_training_curves_read_tensorboard_events(tmp_path: Path):
    import tensorflow as tf

    from spatule.events import training_scalars
    from spatule.figures import training_figure

    for sub, tag, values in (("train", "total_loss", [2.0, 1.5, 1.2]), ("validation", "AP", [0.1, 0.3, 0.5])):
        writer = tf.summary.create_file_writer(str(tmp_path / "model" / sub))
        with writer.as_default():
            for step, value in enumerate(values, start=1):
                tf.summary.scalar(tag, value, step=step * 10)
        writer.close()
    train, val = training_scalars(tmp_path / "model")  # read without TensorFlow, as TensorFlow wrote them
    assert [p[0] for p in train["total_loss"]] == [10, 20, 30]
    assert [p[2] for p in val["AP"]] == [float(np.float32(v)) for v in (0.1, 0.3, 0.5)]
    drawn = training_figure(train, val, tmp_path / "curves.png")
    assert drawn == ["train/total_loss", "validation/AP"]
    assert cv2.imread(str(tmp_path / "curves.png")) is not None


def test_the_report_says_where_its_score_threshold_came_from():
    from spatule.report import held_out_note

    def evaluations(source: str) -> dict:
        return {name: {"threshold": {"source": source}} for name in ("val", "real", "synthetic")}

    chosen, fixed, default = (held_out_note(evaluations(s)) for s in ("val", "config", "default"))
    assert "chosen on val" in chosen and "optimistic" in chosen
    assert "set by hand (detect.score_threshold), not chosen on val" in fixed and "optimistic" not in fixed
    assert "provisional default" in default and "optimistic" not in default
    assert "Wilson" in chosen and "Wilson" in fixed  # the rules of the table are said whatever the source


def test_the_report_says_at_which_reading_threshold_and_from_where_the_codes_were_read():
    from spatule.report import reading_note

    rendered = reading_note({"threshold": 0.016786970313, "margin": 10.0,
                             "threshold_source": "rendered crops (...), above the val split's 0.001"})
    assert "at the threshold 0.01679 (rendered crops (...), above the val split's 0.001;" in rendered
    assert "the margin 10:" in rendered and "chosen on the val split's tags" not in rendered
    fixed = reading_note({"threshold": 0.2, "margin": 5, "threshold_source": "read.threshold (set in the config)"})
    assert "0.2 (read.threshold (set in the config);" in fixed and "the margin 5:" in fixed
    assert "threshold ? (source not recorded;" in reading_note({})  # an old metrics.json: said, not made up


def test_split_table_and_identity_warning():
    summary = {"splits": {"test": {"identities": 2, "tags": 3}}, "identities_known": True}
    rows = split_table(summary, {"test": {"tiles": 4, "tags": 5}})
    assert rows[2] == {"split": "test", "identities": 2, "tags": 3, "labelled_photos": 0, "background_photos": 0,
                       "tiles": 4, "tile_tags": 5}
    assert identity_warning(summary) == ""
    assert "optimistic" in identity_warning({"identities_known": False, "identity_note": "x."})


# --- the whole workflow with the smoke preset ---------------------------------------------------

# The smoke model at 256 px for 600 steps on 48 tiles (under 2 minutes on 2 cores) learns enough to find tags (on
# 2026-12-06: 32 of the new day's 51, with 35 boxes in all; 7 of 10 on test and 7 of 11 on val at the threshold val
# chose): the threshold is chosen on val for
# real and the reading steps get real detections to read. At the preset's own 4 steps it found none.
SMOKE_TRAIN = {"preset": "smoke", "input_size": 256, "steps": 600, "batch_size": 8, "learning_rate": 0.08,
               "warmup_steps": 30, "steps_per_loop": 50, "checkpoint_interval": 100, "eval_interval": 600}
SMOKE = {"demo": {"photos": 60, "identities": 26, "new_photos": 20, "banded": 100},  # the demo, smaller
         "synth": {"tiles": {"train": 48, "val": 8, "test": 4}}, "train": SMOKE_TRAIN,
         "hard_negatives": {"enabled": True, "steps": 2},
         "read": {"crops": 200, "frame_epochs": 1, "epochs": 1, "real_views": 2, "real_epochs": 1}}
EVAL_TARGETS = [f"results/eval/{s}/{f}" for s in ("val", "real", "synthetic")
                for f in ("metrics.json", "detections.csv", "pr_curve.csv", "sheet.jpg")]
EVAL_TARGETS += ["results/exported/spatule.json"]
DETECT_TARGETS = ["results/detect/detections.csv", "results/detect/photos.csv", "results/detect/sheet.jpg"]
READING_TARGETS = [f"results/detect/{f}" for f in ("sightings.csv", "visits.csv", "static.csv", "birds.csv",
                                                   "timeline.png", "read_tags.jpg", "to_label.csv")] + [
    f"results/eval/reading/{f}" for f in ("metrics.json", "readings.csv", "curve.csv", "coverage.png")]
REPORT_TARGETS = [f"results/report/{f}" for f in ("summary.md", "summary.html", "splits.html", "splits.csv",
                                                   "pr_curves.png", "training_curves.png")]


def photo_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def assert_detections_inside(rows: list[dict[str, str]], photos: Path, crops: Path) -> None:
    for r in rows:
        width, height = photo_size(photos / r["photo"])
        assert (int(r["width"]), int(r["height"])) == (width, height)
        x0, y0, x1, y1 = (float(r[k]) for k in ("x0", "y0", "x1", "y1"))
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, r
        assert (crops / r["crop"]).is_file()


def assert_some_boxes_on_true_tags(found: list[dict[str, str]], truth_csv: Path) -> None:
    """At least one detection covers a real tag of the demo's new day at IoU >= 0.5, and most boxes are tags."""
    from spatule.geometry import iou_matrix

    truth: dict[str, list[list[float]]] = {}
    for r in read_rows(truth_csv):
        truth.setdefault(r["image"], []).append([float(r[k]) for k in ("xmin", "ymin", "xmax", "ymax")])
    on_tags = sum(1 for r in found if r["photo"] in truth and iou_matrix(
        np.array([[float(r[k]) for k in ("x0", "y0", "x1", "y1")]]), np.array(truth[r["photo"]])).max() >= 0.5)
    assert on_tags >= 1 and on_tags >= len(found) / 2, (on_tags, len(found))


def data_env_rules() -> set[str]:
    """The rules whose conda environment is the data one (``DATA_ENV``, no TensorFlow in it)."""
    import re

    found = set()
    for path in (Path(__file__).resolve().parents[1] / "rules").glob("*.smk"):
        for block in re.split(r"^(?=(?:rule|checkpoint) )", path.read_text(), flags=re.M):
            head = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if head and re.search(r"^\s+conda:\s*\n\s+DATA_ENV\b", block, flags=re.M):
                found.add(head.group(1))
    return found


def assert_data_rules_never_loaded_tensorflow(workdir: Path) -> None:
    """Every data-environment rule that ran says in its log that it did not load TensorFlow (imports inside
    functions included: the check is made when the step ends)."""
    import re

    said = {}
    for log in (workdir / "logs").rglob("*.log"):
        for rule, state in re.findall(r"rule (\w+) done: TensorFlow (loaded|not loaded)", log.read_text()):
            said[rule] = state
    data = data_env_rules()
    assert {"index_labels", "extract_tags", "split", "model_card"} <= data
    checked = {rule: said[rule] for rule in data if rule in said}
    assert len(checked) >= 6, (checked, sorted(said))
    assert all(state == "not loaded" for state in checked.values()), checked
    assert said.get("train") == "loaded"  # the check can tell


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The whole workflow on the demo with the smoke preset, to the report (a few minutes)."""
    root = tmp_path_factory.mktemp("smoke")
    config = root / "smoke.yaml"
    config.write_text(yaml.safe_dump(SMOKE))
    workdir = root / "w"
    snakemake(workdir, "--cores", "2", *EVAL_TARGETS, *DETECT_TARGETS, *READING_TARGETS, *REPORT_TARGETS,
              configfile=config, timeout=1500)
    return workdir, config


@pytest.mark.workflow
def test_smoke_workflow_evaluates_detects_and_reports(smoke_run):
    workdir, config = smoke_run
    for target in EVAL_TARGETS + DETECT_TARGETS + READING_TARGETS + REPORT_TARGETS:
        assert (workdir / target).is_file(), target
    card = json.loads((workdir / "results/exported/spatule.json").read_text())
    val = json.loads((workdir / "results/eval/val/metrics.json").read_text())
    assert card["search"]["score_threshold"] == val["score_threshold"] == card["threshold"]["score_threshold"]
    assert card["threshold"]["source"] == "val" and card["threshold"]["val"]["tags"] == val["tags"]
    assert val["at_threshold"]["tp"] >= 1  # chosen at tags the model found, not the provisional default
    for name in ("val", "real", "synthetic"):
        metrics = json.loads((workdir / f"results/eval/{name}/metrics.json").read_text())
        assert metrics["score_threshold"] == card["search"]["score_threshold"]  # test measured at val's choice
        assert metrics["set"] == name and {"AP", "AP50", "AP75", "AR100", "AP_ci"} <= set(metrics["coco"])
        assert metrics["engine"] in ("tflite", "saved_model")  # the runtime that searched
        assert {"precision", "recall"} <= set(metrics["at_threshold"])
        assert {"pixel_iou", "count_exact"} <= set(metrics["original"])
        assert len(metrics["pr_curve"]) == 19
    synthetic = json.loads((workdir / "results/eval/synthetic/metrics.json").read_text())
    assert synthetic["images"] == 4
    real = json.loads((workdir / "results/eval/real/metrics.json").read_text())
    test_photos = [r for r in read_rows(workdir / "results/split/photos.csv") if r["split"] == "test"]
    assert real["labelled_photos"] == len(test_photos)
    assert real["available"] == bool(test_photos) or "no real held-out" in real["note"]
    photos = workdir / "resources/demo/new"  # the demo searches its new photos of a later day
    assert_detections_inside(read_rows(workdir / "results/detect/detections.csv"), photos,
                             workdir / "results/detect/crops")
    listed = read_rows(workdir / "results/detect/photos.csv")
    assert len(listed) == len(list(photos.rglob("*.JPG"))) and all(r["status"] == "ok" for r in listed)
    assert all(r["time"].startswith("2018-05-21T") for r in listed)  # the demo camera's EXIF time
    # the first camera's photos lie at the top (their EXIF model names it), the second's in its folder
    assert {r["camera"] for r in listed} <= {"CAM-1", "camera2"} and all(r["camera"] for r in listed)
    results = json.loads((workdir / "results/detect/detections.json").read_text())  # for Timelapse
    assert megadetector_problems(results) == [] and [e["file"] for e in results["images"]] == [r["photo"] for r in
                                                                                                listed]
    # every tag read: a registry code or unread, never a code the demo colony has not banded
    registry = {r["code"] for r in read_rows(workdir / "resources/demo/registry.csv")}
    found = read_rows(workdir / "results/detect/detections.csv")
    assert_some_boxes_on_true_tags(found, workdir / "resources/demo/new_truth.csv")
    assert all(r["likeliest"] in registry for r in found)  # every crop was read against the registry
    header = (workdir / "results/detect/detections.csv").read_text().splitlines()[0].split(",")
    assert header[-11:] == ["code", "code_score", "registry_match", "match_score", "likeliest", "runner_up",
                            "runner_up_score", "visit", "visit_match", "visit_score", "static"]
    assert all(r["registry_match"] in registry | {"unread"} for r in found)
    assert all(r["visit_match"] in registry | {"unread"} for r in found)
    seen = read_rows(workdir / "results/detect/sightings.csv")  # the frames of read visits, no static box
    assert len(seen) == sum(r["visit_match"] != "unread" and r["static"] == "0" for r in found)
    visits = read_rows(workdir / "results/detect/visits.csv")
    assert sum(int(v["frames"]) for v in visits) == sum(r["static"] == "0" for r in found)
    assert {r["visit"] for r in found if r["static"] == "0"} == {v["visit"] for v in visits}
    assert all(s["camera"] in {"CAM-1", "camera2"} for s in seen)  # no sighting without its camera
    reading = json.loads((workdir / "results/eval/reading/metrics.json").read_text())
    assert reading["registry_codes"] == len(registry) == 100 and reading["rows"]["labelled_test"]["n"] >= 1
    for name in ("synthetic", "real"):
        for r in read_rows(workdir / f"results/eval/{name}/detections.csv"):
            assert 0 <= float(r["x0"]) < float(r["x1"]) and 0 <= float(r["y0"]) < float(r["y1"])
    summary = (workdir / "results/report/summary.md").read_text()
    assert "## Splits" in summary and "## Hard negatives" in summary
    # the second round ran from the first model and is the one exported
    hard = json.loads((workdir / "results/model-hard/hard_negatives.json").read_text())
    assert set(hard["before"]) == set(hard["after"]) == {"mining", "val"}
    assert hard["before"]["mining"]["photos"] == hard["after"]["mining"]["photos"] > 0
    assert json.loads((workdir / "results/model-hard/metrics.json").read_text())["final_step"] == 2
    assert "results/model-hard/ckpt-2" in (workdir / "logs/export.log").read_text()
    assert_data_rules_never_loaded_tensorflow(workdir)
    for log in ("evaluate/val", "evaluate/synthetic", "evaluate/real", "detect", "report"):
        assert (workdir / f"logs/{log}.log").is_file() and "Traceback" not in (workdir / f"logs/{log}.log").read_text()
    assert "detect.images is not set" not in (workdir / "logs/detect.log").read_text()
    for log in ("evaluate/real", *(f"detect/{job.name}" for job in (workdir / "results/detect/jobs").iterdir())):
        text = (workdir / f"logs/{log}.log").read_text()  # detect.engine auto: the runtime this machine runs best
        assert "(tflite): no GPU visible" in text or "(saved_model): a GPU is visible" in text, log
    # one self-contained HTML page
    snakemake(workdir, "--report", "report.html", "--cores", "1", configfile=config)
    page = (workdir / "report.html").read_text(encoding="utf-8")
    assert len(page) > 100_000 and "pr_curves.png" in page and "training_curves.png" in page
    assert "sheet.jpg" in page and "splits.html" in page
    assert "System Message" not in page  # every caption and the workflow description rendered cleanly


@pytest.mark.workflow
@pytest.mark.sample
def test_detect_on_the_real_sample_keeps_boxes_inside_the_photos(smoke_run, sample_dir: Path, tmp_path: Path):
    source, _ = smoke_run
    workdir = tmp_path / "w"
    shutil.copytree(source, workdir, symlinks=True)
    config = tmp_path / "sample.yaml"
    config.write_text(yaml.safe_dump({**SMOKE, "detect": {"images": str(sample_dir)}}))
    result = snakemake(workdir, "--cores", "2", *DETECT_TARGETS, configfile=config)
    assert "rule train:" not in result.stdout + result.stderr  # only detect runs again
    listed = read_rows(workdir / "results/detect/photos.csv")
    photos = season_photos(sample_dir)  # its XML files are not listed, its README and CSV are, as not searched
    assert sorted(r["photo"] for r in listed if r["status"] == "ok") == photos and photos
    assert {r["photo"]: r["status"] for r in listed if r["status"] != "ok"} == {
        "README.md": "not_an_image", "identities.csv": "not_an_image"}
    assert_detections_inside(read_rows(workdir / "results/detect/detections.csv"), sample_dir,
                             workdir / "results/detect/crops")
