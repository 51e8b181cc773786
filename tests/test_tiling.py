"""Tiled detection: boxes map back exactly, a tag across a seam comes back once and whole, even with
inexact boxes; the info bar is not searched."""

import numpy as np
import pytest

from spatule.geometry import iou_matrix
from spatule.detection.tiling import (SEAM_MARGIN_PX, are_copies, detect_photo, merge_detections, owned, tile_cores,
                                      tile_origins)


def tile_grid(width: int, height: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(x, y) of every tile covering a photo, row by row."""
    return [(x, y) for y in tile_origins(height, tile, overlap) for x in tile_origins(width, tile, overlap)]


def test_tiles_cover_the_photo_with_the_asked_overlap():
    assert tile_origins(1600, 640, 128) == [0, 512, 960]
    assert tile_origins(640, 640, 100) == [0]
    assert tile_origins(500, 640, 100) == [0]
    grid = tile_grid(1600, 1200, 640, 128)
    assert len(grid) == 3 * 3 and grid[-1] == (960, 560)
    with pytest.raises(ValueError):
        tile_origins(1000, 640, 640)


def oracle(photo_tags, origins_seen, noise=0.0, rng=None, tile=640):
    """A detector that sees the true tags, clipped to each tile (partial at a seam), score by
    visibility; each box side is moved by up to ``noise`` pixels (uniform, independent)."""
    def detect(tiles):
        boxes, scores = [], []
        for _ in tiles:
            x, y = origins_seen.pop(0)
            found, conf = [], []
            for x0, y0, x1, y1 in photo_tags:
                cx0, cy0, cx1, cy1 = max(x0, x), max(y0, y), min(x1, x + tile), min(y1, y + tile)
                if cx1 > cx0 and cy1 > cy0:
                    box = np.array([cx0 - x, cy0 - y, cx1 - x, cy1 - y], dtype=float)
                    if noise:
                        box += rng.uniform(-noise, noise, 4)
                    found.append(box)
                    conf.append(0.5 + 0.4 * (cx1 - cx0) * (cy1 - cy0) / ((x1 - x0) * (y1 - y0)))
            boxes.append(np.array(found, dtype=float).reshape(-1, 4))
            scores.append(np.array(conf, dtype=float))
        return boxes, scores
    return detect


@pytest.mark.parametrize("tag", [(600, 300, 660, 390),   # across the first vertical seam (x=640)
                                 (980, 600, 1030, 700),  # in the overlap of four tiles
                                 (100, 100, 150, 180)])  # inside one tile
def test_a_tag_comes_back_once_and_whole(tag):
    photo = np.zeros((1200, 1600, 3), np.uint8)
    grid = tile_grid(1600, 1200, 640, 128)
    found = detect_photo(photo, oracle([tag], list(grid)), 640, 128, batch=4, score_threshold=0.1)
    assert len(found) == 1
    assert found[0].box == pytest.approx(tag)


def test_two_close_tags_stay_two():
    tags = [(600, 300, 650, 380), (660, 300, 710, 380)]
    photo = np.zeros((1200, 1600, 3), np.uint8)
    found = detect_photo(photo, oracle(tags, list(tile_grid(1600, 1200, 640, 128))), 640, 128, score_threshold=0.1)
    assert sorted(d.box for d in found) == [pytest.approx(t) for t in tags]


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=float)
    kept = merge_detections(boxes, np.array([0.6, 0.9, 0.7]), 0.5, "nms")
    assert [(d.box, d.score) for d in kept] == [((1, 1, 11, 11), 0.9), ((50, 50, 60, 60), 0.7)]


def test_a_weak_box_around_a_tag_in_the_same_tile_does_not_swallow_it():
    tag = (100, 100, 150, 180)
    bird = (60, 40, 260, 300)  # a weak box around the bird, same tile

    def detect(tiles):
        boxes = [np.array([tag, bird], dtype=float) if i == 0 else np.zeros((0, 4)) for i in range(len(tiles))]
        scores = [np.array([0.9, 0.35]) if i == 0 else np.zeros(0) for i in range(len(tiles))]
        return boxes, scores

    photo = np.zeros((1200, 1600, 3), np.uint8)
    found = detect_photo(photo, detect, 640, 128, batch=16, score_threshold=0.3)
    assert sorted((d.box, d.score) for d in found) == [(bird, 0.35), (tag, 0.9)]


def test_copies_from_two_tiles_go_but_a_weak_box_around_a_tag_stays():
    tag = np.array([[700, 300, 760, 390]], dtype=float)
    big = np.array([[650, 250, 900, 500]], dtype=float)
    # tile 0 sees the tag; tile 1 sees the same tag a few pixels off (a copy) and a weak big box
    boxes = np.concatenate([tag, tag + [3, -3, -2, 3], big])
    kept = merge_detections(boxes, np.array([0.9, 0.95, 0.4]), method="core", sources=np.array([0, 1, 1]))
    assert [(d.box, d.score) for d in kept] == [((703, 297, 758, 393), 0.95), ((650, 250, 900, 500), 0.4)]
    # two tags side by side from two tiles are no copies
    assert not are_copies(np.array([600, 300, 650, 380.0]), np.array([[660, 300, 710, 380.0]]))[0]


def test_tile_cores_tile_the_photo_without_gaps():
    origins = tile_origins(1600, 640, 128)
    cores = tile_cores(origins, 640, 1600)
    assert cores == [(0.0, 576.0), (576.0, 1056.0), (1056.0, 1600.0)]
    assert tile_cores([0], 640, 500) == [(0.0, 500.0)]
    # a box centred just past a core's end is still owned within the margin, not beyond
    box = np.array([[560, 0, 592 + 2 * SEAM_MARGIN_PX - 2, 40]], dtype=float)  # centre 576 + margin - 1
    assert owned(box, np.array([[0, 0, 576, 640]])).tolist() == [True]
    assert owned(box + [2, 0, 2, 0], np.array([[0, 0, 576, 640]])).tolist() == [False]


def test_the_info_bar_is_not_searched():
    seen = []

    def detect(tiles):
        seen.extend(t.shape for t in tiles)
        full = [np.array([[0, 600, 640, 640.0]]) for _ in tiles]  # a box along each tile's bottom
        return full, [np.array([0.9]) for _ in tiles]

    photo = np.zeros((1200, 1600, 3), np.uint8)
    photo[1160:] = 255  # the bar
    found = detect_photo(photo, detect, 640, 128, info_bar_px=40)
    assert found and max(d.y1 for d in found) <= 1160
    assert len(seen) == len(tile_grid(1600, 1160, 640, 128))


def simulated_season(rng, photos=40, per_photo=60, width=3264, height=2448, sides=(30, 190), gap=8):
    """Photos with tags of random sizes (sides in ``sides``), none closer than ``gap`` px."""
    season = []
    for _ in range(photos):
        tags = []
        while len(tags) < per_photo:
            w, h = rng.integers(sides[0], sides[1] + 1, 2)
            x, y = rng.integers(0, width - w), rng.integers(0, height - h)
            box = (int(x), int(y), int(x + w), int(y + h))
            if all(box[2] + gap <= t[0] or t[2] + gap <= box[0] or box[3] + gap <= t[1] or t[3] + gap <= box[1]
                   for t in tags):
                tags.append(box)
        season.append(tags)
    return season


@pytest.mark.parametrize("noise", [0.0, 3.0])
def test_2400_tags_with_inexact_boxes_come_back_once_each(noise):
    """2,400 tags of 30-190 px on 3264x2448 photos, every box side off by up to ``noise`` px in
    every tile that sees it (pieces at the seams too): no tag lost, none twice."""
    from spatule.metrics import ImageDetections, ImageTruth, match_image

    rng = np.random.default_rng(12)
    overlap = 190 + 2 * SEAM_MARGIN_PX + 2  # what the workflow derives from the largest tag
    photo = np.zeros((2448, 3264, 3), np.uint8)
    lost = extra = 0
    for tags in simulated_season(rng):
        grid = tile_grid(3264, 2448, 640, overlap)
        found = detect_photo(photo, oracle(tags, list(grid), noise, rng), 640, overlap, batch=8, score_threshold=0.1)
        tp, fp, fn = match_image(ImageTruth(3264, 2448, tuple(tags)),
                                 ImageDetections(tuple(d.box for d in found), tuple(d.score for d in found)))
        lost, extra = lost + fn, extra + fp
        if not noise:  # every box kept is a whole view of its tag, never a piece cut by a seam
            ious = iou_matrix(np.array([d.box for d in found]), np.array(tags, dtype=float))
            assert (ious.max(axis=1) > 0.999).all()
    assert (lost, extra) == (0, 0)


@pytest.mark.parametrize("tag", [(600, 300, 660, 390), (980, 600, 1030, 700)])
def test_a_tag_across_a_seam_inside_a_weak_box_comes_back_whole_and_apart(tag):
    """Each tile also reports a weak box 40 px around its view of the tag (cut by the same seam)."""
    grid = tile_grid(1600, 1200, 640, 128)
    find = oracle([tag], list(grid))

    def detect(tiles):
        boxes, scores = find(tiles)
        for i, (b, s) in enumerate(zip(boxes, scores)):
            boxes[i] = np.concatenate([b, np.hstack([b[:, :2] - 40, b[:, 2:] + 40])])
            scores[i] = np.concatenate([s, np.full(len(s), 0.2)])
        return boxes, scores

    found = detect_photo(np.zeros((1200, 1600, 3), np.uint8), detect, 640, 128, batch=4, score_threshold=0.1)
    strong = [d for d in found if d.score > 0.5]
    assert len(strong) == 1 and strong[0].box == pytest.approx(tag)
    weak = [d for d in found if d.score <= 0.5]
    assert len(weak) == 1 and weak[0].box == pytest.approx((tag[0] - 40, tag[1] - 40, tag[2] + 40, tag[3] + 40))


def test_a_box_left_with_no_area_inside_the_photo_is_dropped_before_merging():
    from spatule.detection.tiling import cut_photo, merge_tiles

    photo = np.zeros((500, 600, 3), np.uint8)  # one tile, padded beyond the photo's right and bottom edges
    cut = cut_photo(photo, 640, 100)
    assert len(cut.tiles) == 1
    boxes = [np.array([[100.0, 100.0, 140.0, 180.0],  # a tag
                       [610.0, 50.0, 630.0, 90.0],    # wholly right of the photo: flattened to x0 = x1 = 600
                       [10.0, 500.0, 40.0, 560.0]])]  # wholly below it
    found = merge_tiles(cut, boxes, [np.array([0.9, 0.95, 0.8])], score_threshold=0.3)
    assert [d.box for d in found] == [(100.0, 100.0, 140.0, 180.0)]
