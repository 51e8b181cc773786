"""Crop geometry: the tag box inside the crop maps back to the exact photo pixels."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from spatule.labels.objects import LabelledObject
from spatule.labels.tags import crop_geometry, cut_tags, margin_for, read_tags, tag_id, unique_tag_ids, write_tags


def tag_row(image: str, obj: int, box: tuple[int, int, int, int], width: int, height: int) -> LabelledObject:
    return LabelledObject(image=image, xml=image.rsplit(".", 1)[0] + ".xml", kind="tag", object=obj, name="tag",
                          identity=f"ID{obj}", identity_source="csv", xmin=box[0], ymin=box[1], xmax=box[2],
                          ymax=box[3], difficult=False, truncated=False, width=width, height=height, orientation=1,
                          orientation_applied=False)


def test_margin_is_the_larger_of_pixels_and_fraction():
    assert margin_for((0, 0, 40, 100), margin_px=8, margin_fraction=0.25) == 25
    assert margin_for((0, 0, 10, 12), margin_px=8, margin_fraction=0.25) == 8


def test_interior_box_gets_the_full_margin_on_every_side():
    crop, inner = crop_geometry((100, 200, 140, 260), 1000, 800, 10)
    assert crop == (90, 190, 150, 270)
    assert inner == (10, 10, 50, 70)


def test_crop_is_clamped_at_the_border_and_the_box_is_never_cut():
    crop, inner = crop_geometry((4, 0, 50, 30), 60, 40, 10)
    assert crop == (0, 0, 60, 40)
    assert inner == (4, 0, 50, 30)


def test_box_outside_the_photo_is_refused():
    with pytest.raises(ValueError):
        crop_geometry((50, 10, 70, 20), 60, 40, 5)


@pytest.mark.parametrize("box", [(0, 0, 7, 9), (30, 20, 61, 47), (53, 31, 64, 48)])
def test_inner_box_indexes_the_same_pixels_as_the_photo_box(box):
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    crop, inner = crop_geometry(box, 64, 48, 6)
    cut = photo[crop[1]:crop[3], crop[0]:crop[2]]
    np.testing.assert_array_equal(cut[inner[1]:inner[3], inner[0]:inner[2]], photo[box[1]:box[3], box[0]:box[2]])


def test_tag_ids_are_file_safe_and_distinct():
    assert tag_id("7mai2018 (6).JPG", 2) == "7mai2018_6-t2"
    assert tag_id("camera2/IMAG0107.JPG", 1) == "camera2_IMAG0107-t1"
    ids = unique_tag_ids([("a b.JPG", 1), ("a_b.JPG", 1), ("c.JPG", 1)])
    assert len(set(ids)) == 3 and ids[2] == "c-t1"


def test_extract_tags_writes_lossless_crops_whose_box_is_the_tag(tmp_path: Path):
    rng = np.random.default_rng(7)
    photo = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    (tmp_path / "in").mkdir()
    assert cv2.imwrite(str(tmp_path / "in" / "cam (1).png"), photo)
    boxes = [(2, 100, 40, 170), (200, 50, 260, 140)]
    rows = [tag_row("cam (1).png", i + 1, b, 400, 300) for i, b in enumerate(boxes)]
    crops = cut_tags(tmp_path / "in", rows, tmp_path / "crops", margin_px=8, margin_fraction=0.25, threads=2)
    assert [c.tag_id for c in crops] == ["cam_1-t1", "cam_1-t2"]
    for crop, box in zip(crops, boxes):
        pixels = cv2.imread(str(tmp_path / "crops" / crop.file), cv2.IMREAD_COLOR)
        assert pixels.shape[:2] == (crop.crop_y1 - crop.crop_y0, crop.crop_x1 - crop.crop_x0)
        inner = pixels[crop.box_y0:crop.box_y1, crop.box_x0:crop.box_x1]
        np.testing.assert_array_equal(inner, photo[box[1]:box[3], box[0]:box[2]])
        assert (crop.crop_x0 + crop.box_x0, crop.crop_y0 + crop.box_y0) == box[:2]
    assert crops[0].box_x0 == 2  # clamped at the left border: only 2 px of context there
    assert crops[1].box_x0 == crops[1].box_y0 == 23  # ceil(0.25 * 90)
    write_tags(tmp_path / "tags.csv", crops)
    assert read_tags(tmp_path / "tags.csv") == crops


def test_a_photo_that_no_longer_matches_its_index_is_a_clear_error(tmp_path: Path):
    from spatule.problems import SpatuleError

    (tmp_path / "in").mkdir()
    assert cv2.imwrite(str(tmp_path / "in" / "a.png"), np.zeros((200, 300, 3), np.uint8))  # indexed as 400x300
    with pytest.raises(SpatuleError, match=r"a\.png: decodes to 300x200 but was indexed as 400x300"):
        cut_tags(tmp_path / "in", [tag_row("a.png", 1, (10, 10, 50, 40), 400, 300)], tmp_path / "crops", 8, 0.25)
