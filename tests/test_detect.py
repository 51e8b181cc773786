"""Tiled detection: boxes map back exactly, a tag across a seam comes back once and whole."""

import numpy as np
import pytest

from spatule.detect import cut_edges, detect_photo, merge_detections, tile_grid, tile_origins, to_photo


def test_tiles_cover_the_photo_with_the_asked_overlap():
    assert tile_origins(1600, 640, 128) == [0, 512, 960]
    assert tile_origins(640, 640, 100) == [0]
    assert tile_origins(500, 640, 100) == [0]
    grid = tile_grid(1600, 1200, 640, 128)
    assert len(grid) == 3 * 3 and grid[-1] == (960, 560)
    with pytest.raises(ValueError):
        tile_origins(1000, 640, 640)


def test_tile_boxes_map_back_to_photo_pixels_exactly():
    np.testing.assert_array_equal(to_photo(np.array([[10, 20, 50, 90]]), (512, 560)), [[522, 580, 562, 650]])
    np.testing.assert_array_equal(to_photo(np.array([[10, 20, 50, 90]]), (0, 0), 2.5), [[25, 50, 125, 225]])


def oracle(photo_tags, origins_seen):
    """A detector that sees the true tags, clipped to each tile (partial at a seam), score by visibility."""
    def detect(tiles):
        boxes, scores = [], []
        for _ in tiles:
            x, y = origins_seen.pop(0)
            found, conf = [], []
            for x0, y0, x1, y1 in photo_tags:
                cx0, cy0, cx1, cy1 = max(x0, x), max(y0, y), min(x1, x + 640), min(y1, y + 640)
                if cx1 > cx0 and cy1 > cy0:
                    found.append([cx0 - x, cy0 - y, cx1 - x, cy1 - y])
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


def test_a_weak_whole_box_from_another_tile_does_not_swallow_a_tag_but_a_second_copy_goes():
    tag = np.array([[700, 300, 760, 390]], dtype=float)
    big = np.array([[650, 250, 900, 500]], dtype=float)
    # tile 0 sees the tag; tile 1 sees the same tag whole (duplicate) and a weak big box, none cut
    boxes = np.concatenate([tag, tag + 1, big])
    kept = merge_detections(boxes, np.array([0.9, 0.8, 0.4]), 0.5, "greedy",
                            sources=np.array([0, 1, 1]), cut=np.array([False, False, False]))
    assert [(d.box, d.score) for d in kept] == [((700, 300, 760, 390), 0.9), ((650, 250, 900, 500), 0.4)]
    # the same boxes with the second copy cut by its tile side: fused into the union
    kept = merge_detections(boxes[:2], np.array([0.9, 0.8]), 0.5, "greedy",
                            sources=np.array([0, 1]), cut=np.array([False, True]))
    assert [d.box for d in kept] == [(700, 300, 761, 391)]


def test_only_tile_sides_inside_the_photo_cut_a_box():
    windows = np.array([[0, 0, 640, 640], [0, 0, 640, 640], [960, 560, 1600, 1200]], dtype=float)  # per box
    boxes = np.array([[0, 0, 50, 50],          # photo corner: not cut
                      [600, 100, 640, 200],    # right side of tile 0, inside the photo: cut
                      [1500, 1100, 1600, 1200],  # photo corner of the last tile: not cut
                      ], dtype=float)
    assert cut_edges(boxes, windows, (1600, 1200)).tolist() == [False, True, False]
    assert cut_edges(np.array([[513, 10, 600, 60]], float), np.array([[512, 0, 1152, 640]], float), (1600, 1200)).tolist() == [True]


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
