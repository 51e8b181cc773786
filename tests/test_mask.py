"""camera.mask: rectangles never searched, filled grey in the search and in training's tiles alike."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from spatule.detection.batches import detect_full_photo, detect_photos
from spatule.detection.cache import search_key
from spatule.detection.card import ModelCard, card_at, card_of, write_card
from spatule.detection.mask import FILL, as_mask, drop_masked, fill_mask, masked_share, resolve_mask
from spatule.detection.settings import DetectSettings, detect_settings
from spatule.detection.tiling import Detection, cut_photo, merge_tiles
from spatule.problems import SpatuleError
from spatule.synth import Ground, SynthSettings, TagSource, plan_split, render_shard, synth_settings

W, H = 1500, 1100


# --- the rectangles ----------------------------------------------------------------------------------

def test_negative_values_count_from_the_right_and_bottom_edges():
    mask = [[0, -120, 200, -40], [-300, 0, 0, 50], [10, 20, 30, 40], [0, 0, 0, 0]]
    assert resolve_mask(mask, 1600, 1200) == ((0, 1080, 200, 1160), (1300, 0, 1600, 50), (10, 20, 30, 40),
                                              (0, 0, 1600, 1200))
    assert resolve_mask(mask[:2], 3264, 2448) == ((0, 2328, 200, 2408), (2964, 0, 3264, 50))
    assert resolve_mask((), 1600, 1200) == ()


def test_a_rectangle_that_does_not_fit_the_photo_is_an_error_naming_it_and_the_size():
    with pytest.raises(SpatuleError) as error:
        resolve_mask([[0, 0, 10, 10], [1500, 0, -200, 10]], 1600, 1200, "cam1/IMG_0001.JPG")
    message = str(error.value)
    assert "cam1/IMG_0001.JPG" in message and "[1500, 0, -200, 10]" in message and "1600x1200" in message
    with pytest.raises(SpatuleError, match=r"\[0, 0, 2000, 10\].*1600x1200"):
        resolve_mask([[0, 0, 2000, 10]], 1600, 1200)
    with pytest.raises(SpatuleError, match=r"\[-2000, 0, 10, 10\]"):
        resolve_mask([[-2000, 0, 10, 10]], 1600, 1200)
    assert resolve_mask([[1500, 0, -200, 10]], 3000, 2000) == ((1500, 0, 2800, 10),)  # fits a larger photo


@pytest.mark.parametrize("rect", [[1, 2, 3], [0, 0, 1.5, 2], [0, 0, True, 2], "0,0,5,5", [100, 0, 50, 10],
                                  [0, -10, 5, -20], [5, 0, 5, 9]])
def test_a_rectangle_that_is_no_rectangle_at_any_size_is_refused_by_name(rect):
    with pytest.raises(SpatuleError, match="camera.mask") as error:
        as_mask([[0, 0, 10, 10], rect])
    assert repr(rect) in str(error.value) or str(list(rect)) in str(error.value)
    with pytest.raises(SpatuleError):
        DetectSettings(mask=[rect])
    with pytest.raises(SpatuleError):
        SynthSettings(mask=[rect])


def test_the_fill_changes_exactly_the_masked_pixels():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 100, (300, 400, 3), dtype=np.uint8)  # never the fill's 128
    before = pixels.copy()
    rects = resolve_mask([[10, 20, 60, 50], [-40, -30, 0, 0], [40, 30, 80, 70]], 400, 300)
    filled = fill_mask(pixels, rects)
    expected = np.zeros((300, 400), bool)
    for x0, y0, x1, y1 in rects:
        expected[y0:y1, x0:x1] = True
    assert np.array_equal(np.any(filled != pixels, axis=2), expected)
    assert (filled[expected] == FILL).all() and np.array_equal(pixels, before)  # the photo itself untouched
    assert fill_mask(pixels, ()) is pixels  # without a mask: the same array, no copy


def test_a_box_mostly_inside_the_mask_is_dropped_and_one_mostly_outside_kept():
    rects = [(100, 100, 200, 200), (200, 100, 300, 200)]
    inside = Detection(150, 150, 250, 190, 0.9)  # wholly in the two rectangles together
    mostly = Detection(180, 140, 230, 240, 0.9)  # 60% in
    little = Detection(190, 160, 240, 260, 0.8)  # 40% in
    outside = Detection(400, 400, 450, 450, 0.7)
    assert masked_share(inside.box, rects) == pytest.approx(1.0)
    assert masked_share(mostly.box, rects) == pytest.approx(0.6)
    assert masked_share(little.box, rects) == pytest.approx(0.4)
    assert masked_share(inside.box, rects + [(150, 150, 250, 190)]) == pytest.approx(1.0)  # overlaps counted once
    assert drop_masked([inside, mostly, little, outside], rects) == [little, outside]
    assert drop_masked([inside], []) == [inside]


# --- the search -----------------------------------------------------------------------------------------

def white_blobs(seen: list | None = None):
    """A detector over RGB tiles that finds every white blob (one box each, score 0.9)."""
    def detect(tiles):
        if seen is not None:
            seen.extend(tiles)
        boxes, scores = [], []
        for tile in tiles:
            count, _, stats, _ = cv2.connectedComponentsWithStats((tile > 200).all(axis=-1).astype(np.uint8), 4)
            boxes.append(np.array([[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count]], float).reshape(-1, 4))
            scores.append(np.full(len(boxes[-1]), 0.9))
        return boxes, scores
    return detect


def two_blobs() -> np.ndarray:
    photo = np.random.default_rng(0).integers(20, 90, (H, W, 3), dtype=np.uint8)
    photo[300:380, 400:440] = 255  # a tag
    photo[H - 100:H - 60, W - 200:W - 150] = 255  # the camera maker's white logo, bottom right
    return photo


def test_the_search_never_returns_a_box_in_the_mask():
    photo = two_blobs()
    plain = DetectSettings(overlap=128)
    assert len(detect_full_photo(photo, white_blobs(), plain)) == 2  # without the mask: both
    masked = DetectSettings(overlap=128, mask=((-250, -120, 0, -40),))
    seen: list = []
    found = detect_full_photo(photo, white_blobs(seen), masked)
    assert [d.box for d in found] == [(400.0, 300.0, 440.0, 380.0)]
    assert sum(int((tile > 200).all(axis=-1).sum()) for tile in seen) == 40 * 80  # the tag once, never the logo
    together = list(detect_photos([("a.JPG", photo), ("b.JPG", None), ("c.JPG", photo)], white_blobs(), masked))
    assert [(k, f) for k, f in together] == [("a.JPG", found), ("b.JPG", None), ("c.JPG", found)]


def test_a_box_the_model_finds_mostly_in_the_mask_is_dropped_before_the_merge():
    photo = np.zeros((500, 600, 3), np.uint8)
    cut = cut_photo(photo, 640, 100, mask=((0, 0, 200, 100),))
    assert (cut.tiles[0][:100, :200] == FILL).all() and (cut.tiles[0][100:500, 200:600] == 0).all()
    boxes = [np.array([[150.0, 50.0, 250.0, 100.0],  # 50% in the mask: dropped
                       [180.0, 60.0, 280.0, 110.0],  # 16% in: kept
                       [300.0, 300.0, 340.0, 380.0]])]
    found = merge_tiles(cut, boxes, [np.array([0.95, 0.9, 0.8])], score_threshold=0.3, merge="nms",
                        merge_threshold=0.1)
    assert [d.box for d in found] == [(180.0, 60.0, 280.0, 110.0), (300.0, 300.0, 340.0, 380.0)]  # not suppressed


def test_a_mask_that_does_not_fit_a_photo_stops_the_search_naming_the_photo():
    settings = DetectSettings(mask=((0, 0, 2000, 10),))
    with pytest.raises(SpatuleError, match=r"big\.JPG.*\[0, 0, 2000, 10\].*1500x1100"):
        list(detect_photos([("big.JPG", two_blobs())], white_blobs(), settings))


def test_the_mask_comes_from_the_config_section_or_an_argument():
    assert detect_settings({}, 640).mask == ()
    assert detect_settings({"camera_mask": [[0, -120, 200, -40]]}, 640).mask == ((0, -120, 200, -40),)
    assert detect_settings({"camera_mask": [[1, 1, 5, 5]]}, 640, mask=[[0, 0, 9, 9]]).mask == ((0, 0, 9, 9),)
    assert synth_settings({}).mask == () and synth_settings({"camera_mask": [[0, 0, 9, 9]]}).mask == ((0, 0, 9, 9),)


def test_the_card_carries_the_mask_only_when_there_is_one(tmp_path: Path):
    assert "mask" not in card_of(DetectSettings(), "tag")["search"]  # settings.json as before camera.mask
    settings = DetectSettings(overlap=96, mask=((0, -120, 200, -40), (-300, 0, 0, 50)))
    write_card(tmp_path / "spatule.json", settings, "tag")
    written = json.loads((tmp_path / "spatule.json").read_text())
    assert written["search"]["mask"] == [[0, -120, 200, -40], [-300, 0, 0, 50]]
    assert card_at(tmp_path / "spatule.json").settings() == settings
    assert ModelCard({"overlap": 96}).settings().mask == ()  # an old card: no mask
    assert ModelCard.of(settings).settings({"mask": ((0, 0, 5, 5),)}).mask == ((0, 0, 5, 5),)  # spatule detect --mask


def test_the_cache_key_changes_with_a_mask_and_not_without_one():
    settings = DetectSettings(tile_size=512, overlap=96, info_bar_px=60, score_threshold=0.4)
    as_before = {"tile": 512, "overlap": 96, "score_threshold": 0.4, "merge": settings.merge,
                 "merge_threshold": settings.merge_threshold, "whole_photo": settings.whole_photo, "skip_bottom": 60,
                 "model": "m", "apply_orientation": False}
    old_key = hashlib.sha256(json.dumps(as_before, sort_keys=True).encode()).hexdigest()[:20]
    assert search_key("m", settings, False) == old_key  # caches made before camera.mask stay valid
    masked = DetectSettings(tile_size=512, overlap=96, info_bar_px=60, score_threshold=0.4, mask=((0, 0, 10, 10),))
    other = DetectSettings(tile_size=512, overlap=96, info_bar_px=60, score_threshold=0.4, mask=((0, 0, 10, 20),))
    assert len({old_key, search_key("m", masked, False), search_key("m", other, False)}) == 3


# --- training's tiles -------------------------------------------------------------------------------------

def test_synthetic_tiles_have_the_fill_in_the_mask_and_no_tag_pasted_over_it(tmp_path: Path):
    rng = np.random.default_rng(4)
    ground = Ground("bg.JPG", 900, 700, 1, False)
    photo = np.clip(rng.normal(70, 20, (700, 900, 3)), 0, 200).astype(np.uint8)
    crop = rng.integers(40, 90, (90, 60, 3), dtype=np.uint8)
    crop[12:78, 12:48] = 235
    tag = TagSource("t1", "t1.png", "ID1", "p.JPG", 60, 90, (12, 12, 48, 78))
    mask = ((0, -200, 300, -40), (-250, 0, 0, 120))  # (0, 500, 300, 660) and (650, 0, 900, 120) here
    settings = SynthSettings(blend="alpha", tags_per_tile=(0.0, 0.0, 0.0, 1.0), edge_windows=0.5, jpeg_quality=100,
                             mask=mask)
    plan = plan_split("train", 30, 2, [ground], [tag], settings)
    rects = resolve_mask(mask, 900, 700)
    pad = settings.clone_pad_px
    for spec in plan:
        for paste in spec.pastes:
            x0, y0, x1, y1 = paste.box
            grown = (spec.window_x + x0 - pad, spec.window_y + y0 - pad, spec.window_x + x1 + pad,
                     spec.window_y + y1 + pad)
            assert masked_share(grown, rects) == 0, (spec.tile_id, paste.box)
    assert sum(len(s.pastes) for s in plan) > 30  # the tags found room beside the mask
    unmasked = plan_split("train", 30, 2, [ground], [tag], SynthSettings(
        blend="alpha", tags_per_tile=(0.0, 0.0, 0.0, 1.0), edge_windows=0.5))
    assert [(s.window_x, s.window_y) for s in unmasked] == [(s.window_x, s.window_y) for s in plan]
    assert any(masked_share((s.window_x + p.box[0], s.window_y + p.box[1], s.window_x + p.box[2],
                             s.window_y + p.box[3]), rects) > 0 for s in unmasked for p in s.pastes)
    render_shard(plan, tmp_path, lambda _: photo, lambda _: crop, {"t1": tag}, settings, "tag")
    checked = 0
    for spec in plan:
        tile = cv2.imread(str(tmp_path / f"{spec.tile_id}.jpg")).astype(int)
        for x0, y0, x1, y1 in rects:
            inner = (max(0, x0 - spec.window_x) + 8, max(0, y0 - spec.window_y) + 8,
                     min(640, x1 - spec.window_x) - 8, min(640, y1 - spec.window_y) - 8)  # off JPEG's ringing
            if inner[0] < inner[2] and inner[1] < inner[3]:
                assert np.abs(tile[inner[1]:inner[3], inner[0]:inner[2]] - FILL).max() <= 3, spec.tile_id
                checked += 1
    assert checked > 10


def test_a_mask_that_does_not_fit_a_ground_photo_stops_the_plan_naming_it():
    tag = TagSource("t1", "t1.png", "ID1", "p.JPG", 60, 90, (12, 12, 48, 78))
    with pytest.raises(SpatuleError, match=r"small\.JPG.*\[0, 0, 1000, 10\].*900x700"):
        plan_split("train", 2, 1, [Ground("small.JPG", 900, 700, 1, False)], [tag],
                   SynthSettings(mask=((0, 0, 1000, 10),)))


def test_hard_negative_tiles_have_the_fill_in_the_mask(tmp_path: Path, monkeypatch):
    import spatule.tfrecords
    from spatule.negatives import NegativeTile, NegativeTiles, write_negative_tiles

    monkeypatch.setattr(spatule.tfrecords, "to_example", lambda fields: SimpleNamespace(
        SerializeToString=lambda deterministic: b"record"))  # no TensorFlow here
    photo = np.full((700, 900, 3), 40, np.uint8)
    assert cv2.imwrite(str(tmp_path / "p.png"), photo)
    plan = [NegativeTile("p.png", 200, 0, Detection(300, 100, 340, 160, 0.9))]
    mining = {"p.png": SimpleNamespace(orientation=1, orientation_applied=False)}
    for mask, level in (((), 40), (((-250, 0, 0, 120),), FILL)):
        out = tmp_path / f"tiles-{len(mask)}"
        out.mkdir()
        write_negative_tiles(plan, tmp_path, mining, NegativeTiles(out, 640, 95, "tag", mask))
        tile = cv2.imread(str(out / "negatives-00001.jpg")).astype(int)
        assert np.abs(tile[4:116, 454:636] - level).max() <= 3  # photo x 654..836, y 4..116
        assert np.abs(tile[124:, :] - 40).max() <= 3


# --- through Snakemake, as docs/configuration.md writes it ----------------------------------------------

def test_camera_mask_in_a_config_reaches_the_search_settings_every_search_reads(tmp_path: Path):
    import yaml

    from conftest import snakemake

    small = {"demo": {"photos": 12, "identities": 6, "new_photos": 0}}
    config = tmp_path / "mask.yaml"
    config.write_text(yaml.safe_dump({**small, "camera": {"mask": [[0, -120, 200, -40]]}}))
    snakemake(tmp_path / "w", "--cores", "2", "results/search/settings.json", configfile=config)
    written = json.loads((tmp_path / "w/results/search/settings.json").read_text())
    assert written["search"]["mask"] == [[0, -120, 200, -40]]
    assert card_at(tmp_path / "w/results/search/settings.json").settings().mask == ((0, -120, 200, -40),)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**small, "camera": {"mask": [[100, 0, 50, 10]]}}))
    refused = snakemake(tmp_path / "w2", "-n", "--cores", "2", configfile=bad, check=False)
    assert refused.returncode != 0 and "[100, 0, 50, 10]" in refused.stdout + refused.stderr
