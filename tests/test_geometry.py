"""The one box module: x first, x1/y1 exclusive, the same IoU for matching, merging and anchors."""

import numpy as np
import pytest

from spatule.geometry import box_distance, iou_matrix, overlaps, shifted, shown_share, yx_to_xy


def test_iou_counts_pixels_with_exclusive_ends():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[5, 0, 15, 10], [10, 0, 20, 10], [0, 0, 10, 10]])
    # 50 shared pixels of 150; touching boxes share none; a box with itself is 1
    np.testing.assert_allclose(iou_matrix(a, b), [[50 / 150, 0.0, 1.0]])


def test_iou_of_empty_boxes_is_zero_not_nan():
    assert iou_matrix(np.array([[3, 3, 3, 3]]), np.array([[3, 3, 3, 3]]))[0, 0] == 0.0


def test_iou_is_symmetric_and_shaped_n_by_m():
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 100, (7, 2))
    a = np.hstack([corners, corners + rng.uniform(1, 40, (7, 2))])
    b = a[:4] + 3
    ious = iou_matrix(a, b)
    assert ious.shape == (7, 4)
    np.testing.assert_allclose(ious, iou_matrix(b, a).T)
    assert ((ious >= 0) & (ious <= 1)).all()


@pytest.mark.parametrize("gap, expected", [(0, False), (1, True)])
def test_touching_boxes_overlap_only_within_a_gap(gap, expected):
    assert overlaps((0, 0, 10, 10), (10, 0, 20, 10), gap) is expected


def test_shown_share_is_the_part_of_the_box_inside_the_window():
    assert shown_share((0, 0, 10, 10), (5, 0, 100, 100)) == 0.5
    assert shown_share((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_tile_boxes_map_back_to_photo_pixels_exactly():
    np.testing.assert_array_equal(shifted(np.array([[10, 20, 50, 90]]), (512, 560)), [[522, 580, 562, 650]])
    np.testing.assert_array_equal(shifted(np.array([[10, 20, 50, 90]]), (0, 0), 2.5), [[25, 50, 125, 225]])


def test_tensorflow_boxes_turn_x_first_and_back():
    yx = np.array([[[1, 2, 3, 4]]])  # (y0, x0, y1, x1), batched as the model returns them
    np.testing.assert_array_equal(yx_to_xy(yx), [[[2, 1, 4, 3]]])
    np.testing.assert_array_equal(yx_to_xy(yx_to_xy(yx)), yx)
    assert box_distance((0, 0, 10, 10), (1, 0, 10, 13)) == 3
