"""spatule.labels.index.read_label_folder (and the photo reading it relies on) on small folders built in tmp_path."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps
from conftest import shared_input

from spatule.labels.photos import probe_photo, read_photo
from spatule.labels.objects import IndexSettings, LabelledObject, check_box, read_objects_csv, write_objects
from spatule.labels.index import read_label_folder
from spatule.problems import (Action, Problem, Severity, SpatuleError, enforce_policy, read_problems,
                              sort_problems, write_problems)
from tests.helpers import (labelled_photo, truncate_file, voc_xml, write_exif_jpeg, write_noise_jpeg, write_photo,
                           write_xml)

W, H = 100, 80
SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/spatule-sample"


def index(root: Path, threads: int = 1, **settings) -> tuple[list[LabelledObject], list[Problem]]:
    return read_label_folder(root, IndexSettings(**settings), threads=threads)


def by_code(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def only(problems: list[Problem], code: str) -> Problem:
    found = by_code(problems, code)
    assert len(found) == 1, f"expected one {code!r}, got {problems}"
    return found[0]


def tags(rows: list[LabelledObject]) -> list[LabelledObject]:
    return [r for r in rows if r.kind == "tag"]


def backgrounds(rows: list[LabelledObject]) -> list[LabelledObject]:
    return [r for r in rows if r.kind == "background"]


def one_box(tmp_path: Path, box, name: str = "tag", **settings):
    """A single 100x80 photo with one object; returns (rows, problems)."""
    labelled_photo(tmp_path, "p.jpg", W, H, [box], names=name)
    return index(tmp_path, **settings)


# --- finding the photo ------------------------------------------------------------------------------


def test_names_with_spaces_and_parentheses(tmp_path):
    labelled_photo(tmp_path, "7mai2018 (6).JPG", W, H, [(4, 10, 40, 50)])
    rows, problems = index(tmp_path)
    assert problems == []
    (row,) = rows
    assert (row.image, row.xml, row.kind, row.object) == ("7mai2018 (6).JPG", "7mai2018 (6).xml", "tag", 1)
    assert row.box == (4, 10, 40, 50)
    assert (row.width, row.height, row.orientation, row.orientation_applied) == (W, H, 1, False)


def test_absolute_path_from_another_machine_is_ignored(tmp_path):
    root = tmp_path / "labels"
    write_photo(root / "IMG.jpg", W, H)
    # <path> points at a real, different photo outside the labels folder: it must not be used.
    elsewhere = write_photo(tmp_path / "elsewhere" / "IMG.jpg", 300, 200)
    write_xml(root / "IMG.xml", voc_xml("IMG.jpg", W, H, [(1, 2, 30, 40)], path=str(elsewhere),
                                        folder="elsewhere"))
    rows, problems = index(root)
    assert problems == []
    (row,) = rows
    assert (row.image, row.width, row.height) == ("IMG.jpg", W, H)


def test_windows_path_in_path_field_is_ignored(tmp_path):
    write_photo(tmp_path / "IMG.jpg", W, H)
    write_xml(tmp_path / "IMG.xml", voc_xml("IMG.jpg", W, H, [(1, 2, 30, 40)],
                                           path=r"C:\Users\antoine\Desktop\photos\IMG.jpg"))
    rows, problems = index(tmp_path)
    assert problems == [] and [r.image for r in rows] == ["IMG.jpg"]


def test_filename_with_other_case_is_found(tmp_path):
    # The XML is not named like the photo, so only <filename> (ignoring case) can find it.
    write_photo(tmp_path / "IMG_1.JPG", W, H)
    write_xml(tmp_path / "labels for img.xml", voc_xml("img_1.jpg", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert problems == []
    assert [(r.image, r.xml) for r in rows] == [("IMG_1.JPG", "labels for img.xml")]


def test_exact_case_is_preferred_over_other_case(tmp_path):
    write_photo(tmp_path / "img.jpg", W, H)
    write_photo(tmp_path / "IMG.JPG", 60, 40)
    write_xml(tmp_path / "labels.xml", voc_xml("IMG.JPG", 60, 40, [(1, 2, 30, 30)]))
    rows, problems = index(tmp_path)
    assert [r.image for r in tags(rows)] == ["IMG.JPG"]
    assert [(p.file, p.code) for p in problems] == [("img.jpg", "unlabelled_photo")]


def test_wrong_filename_falls_back_to_photo_named_like_the_xml(tmp_path):
    write_photo(tmp_path / "IMG_2.jpg", W, H)
    write_xml(tmp_path / "IMG_2.xml", voc_xml("DSC0001.JPG", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert [r.image for r in rows] == ["IMG_2.jpg"]
    p = only(problems, "filename_not_found")
    assert (p.file, p.severity, p.action) == ("IMG_2.xml", Severity.WARNING, Action.USED)
    assert "DSC0001.JPG" in p.detail
    assert len(problems) == 1


def test_missing_filename_uses_photo_named_like_the_xml_silently(tmp_path):
    write_photo(tmp_path / "IMG_3.png", W, H)
    write_xml(tmp_path / "IMG_3.xml", voc_xml(None, W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert problems == [] and [r.image for r in rows] == ["IMG_3.png"]


def test_path_traversal_in_filename_only_looks_in_the_xml_folder(tmp_path):
    root = tmp_path / "labels"
    write_photo(root / "photo.jpg", W, H)                         # in the parent of the XML's folder
    write_xml(root / "sub" / "a.xml", voc_xml("../photo.jpg", W, H, [(1, 2, 30, 40)]))
    write_xml(root / "sub" / "b.xml", voc_xml("../../etc/passwd", W, H, [(1, 2, 30, 40)]))
    seen: list[Path] = []

    def probe(path: Path, verify: bool):
        seen.append(path)
        return probe_photo(path, verify)

    rows, problems = read_label_folder(root, IndexSettings(), probe=probe)
    assert rows == []
    assert sorted(p.file for p in by_code(problems, "missing_photo")) == ["sub/a.xml", "sub/b.xml"]
    assert sorted(p.file for p in by_code(problems, "filename_has_path")) == ["sub/a.xml", "sub/b.xml"]
    assert [p.file for p in by_code(problems, "unlabelled_photo")] == ["photo.jpg"]
    assert seen == []


def test_filename_with_path_finds_the_photo_in_the_xml_folder(tmp_path):
    write_photo(tmp_path / "IMG.jpg", W, H)
    write_xml(tmp_path / "IMG.xml", voc_xml(r"C:\Users\antoine\IMG.jpg", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert [r.image for r in rows] == ["IMG.jpg"]
    p = only(problems, "filename_has_path")
    assert (p.severity, p.action) == (Severity.WARNING, Action.USED)


def test_nested_folders_keep_relative_paths_and_do_not_mix(tmp_path):
    labelled_photo(tmp_path / "site1" / "day 1", "a.jpg", W, H, [(1, 2, 30, 40)])
    labelled_photo(tmp_path / "site2", "a.jpg", 60, 50, [])
    write_xml(tmp_path / "site3" / "c.xml", voc_xml("a.jpg", W, H, [(1, 2, 30, 40)]))  # no a.jpg in site3
    rows, problems = index(tmp_path)
    assert [(r.image, r.xml, r.kind, r.width) for r in rows] == [
        ("site1/day 1/a.jpg", "site1/day 1/a.xml", "tag", W),
        ("site2/a.jpg", "site2/a.xml", "background", 60),
    ]
    assert [(p.file, p.code) for p in problems] == [("site3/c.xml", "missing_photo")]


def test_hidden_and_non_photo_files_are_ignored(tmp_path):
    labelled_photo(tmp_path, "a.jpg", W, H, [])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "._a.jpg").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    labelled_photo(tmp_path / ".thumbnails", "t.jpg", 10, 10, [])
    rows, problems = index(tmp_path)
    assert [r.image for r in rows] == ["a.jpg"]
    assert problems == []


def test_xml_whose_photo_is_missing(tmp_path):
    write_xml(tmp_path / "IMAG0488.xml", voc_xml("IMAG0488.JPG", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert rows == []
    p = only(problems, "missing_photo")
    assert (p.file, p.object, p.severity, p.action) == ("IMAG0488.xml", None, Severity.ERROR, Action.SKIPPED)
    assert len(problems) == 1


def test_two_photos_named_like_the_xml_are_ambiguous(tmp_path):
    write_photo(tmp_path / "IMG.jpg", W, H)
    write_photo(tmp_path / "IMG.png", W, H)
    write_xml(tmp_path / "IMG.xml", voc_xml("gone.jpg", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert tags(rows) == []
    p = only(problems, "ambiguous_photo")
    assert (p.file, p.severity) == ("IMG.xml", Severity.ERROR)


def test_photo_of_an_unusable_xml_is_never_a_background(tmp_path):
    write_photo(tmp_path / "IMG.jpg", W, H)
    write_xml(tmp_path / "IMG.xml", "<annotation><object><name>tag</name>")  # cut short: its tags are unknown
    write_photo(tmp_path / "twin.jpg", W, H)
    write_photo(tmp_path / "twin.png", W, H)
    write_xml(tmp_path / "twin.xml", voc_xml("gone.jpg", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path, unlabelled_as_background=True)
    assert rows == []
    # each photo is named too, so that nothing under labels.dir is left out of problems.csv without a word
    assert sorted((p.file, p.code) for p in problems) == [
        ("IMG.jpg", "photo_xml_unusable"), ("IMG.xml", "bad_xml"), ("twin.jpg", "photo_xml_unusable"),
        ("twin.png", "photo_xml_unusable"), ("twin.xml", "ambiguous_photo")]
    assert all(p.severity is Severity.INFO for p in problems if p.code == "photo_xml_unusable")
    (img,) = [p for p in problems if p.file == "IMG.jpg"]
    assert "IMG.xml" in img.detail


def test_photo_without_xml_is_reported_and_not_used(tmp_path):
    write_photo(tmp_path / "lonely.jpg", W, H)
    rows, problems = index(tmp_path)
    assert rows == []
    p = only(problems, "unlabelled_photo")
    assert (p.file, p.severity, p.action) == ("lonely.jpg", Severity.INFO, Action.SKIPPED)


def test_photo_without_xml_is_a_background_when_asked(tmp_path):
    write_photo(tmp_path / "lonely.jpg", W, H)
    rows, problems = index(tmp_path, unlabelled_as_background=True)
    assert problems == []
    (row,) = rows
    assert (row.image, row.xml, row.kind, row.object, row.xmin) == ("lonely.jpg", "", "background", None, None)
    assert (row.width, row.height) == (W, H)


def test_two_xmls_claiming_one_photo(tmp_path):
    write_photo(tmp_path / "IMG.jpg", W, H)
    # "A copy.xml" sorts first, but the XML named like the photo wins.
    write_xml(tmp_path / "A copy.xml", voc_xml("IMG.jpg", W, H, [(50, 50, 60, 60)]))
    write_xml(tmp_path / "IMG.xml", voc_xml("IMG.jpg", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert [(r.xml, r.box) for r in rows] == [("IMG.xml", (1, 2, 30, 40))]
    p = only(problems, "photo_claimed_twice")
    assert (p.file, p.severity, p.action) == ("A copy.xml", Severity.ERROR, Action.SKIPPED)
    assert "IMG.jpg" in p.detail and "IMG.xml" in p.detail


def test_broken_xml_in_the_folder_is_a_problem_not_a_crash(tmp_path):
    labelled_photo(tmp_path, "good.jpg", W, H, [(1, 2, 30, 40)])
    write_xml(tmp_path / "broken.xml", "<annotation><filename>x.jpg</filename>")
    write_xml(tmp_path / "evil.xml", '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                                     "<annotation><filename>&x;</filename></annotation>")
    rows, problems = index(tmp_path)
    assert [r.image for r in rows] == ["good.jpg"]
    bad = by_code(problems, "bad_xml")
    assert sorted(p.file for p in bad) == ["broken.xml", "evil.xml"]
    assert all(p.severity is Severity.ERROR and p.action is Action.SKIPPED for p in bad)
    assert all(not p.detail.startswith(p.file) for p in bad)  # the file is not repeated in the detail
    assert "root:" not in "".join(p.detail for p in problems)


def test_infinite_size_in_xml_is_a_warning_not_a_crash(tmp_path):
    write_photo(tmp_path / "a.jpg", W, H)
    write_xml(tmp_path / "a.xml", voc_xml("a.jpg", "inf", H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert [r.box for r in rows] == [(1, 2, 30, 40)]
    assert [p.code for p in problems] == ["size_missing"]


def test_bad_file_name_is_reported(tmp_path):
    labelled_photo(tmp_path, "ok.jpg", W, H, [])
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xff.jpg"), "wb") as handle:
        handle.write((tmp_path / "ok.jpg").read_bytes())
    rows, problems = index(tmp_path)
    assert [r.image for r in rows] == ["ok.jpg"]
    p = only(problems, "bad_file_name")
    assert p.severity is Severity.ERROR
    p.file.encode("utf-8")  # the recorded name can be written to problems.csv


# --- sizes ------------------------------------------------------------------------------------------


def test_size_disagreeing_with_the_photo_uses_the_real_size(tmp_path):
    write_photo(tmp_path / "a.jpg", W, H)
    write_xml(tmp_path / "a.xml", voc_xml("a.jpg", 3264, 2448, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    (row,) = rows
    assert (row.width, row.height) == (W, H)
    p = only(problems, "size_mismatch")
    assert (p.file, p.severity, p.action) == ("a.xml", Severity.WARNING, Action.USED)
    assert "3264x2448" in p.detail and f"{W}x{H}" in p.detail


def test_missing_size_uses_the_real_size(tmp_path):
    write_photo(tmp_path / "a.jpg", W, H)
    write_xml(tmp_path / "a.xml", voc_xml("a.jpg", None, None, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert [(r.width, r.height) for r in rows] == [(W, H)]
    assert [(p.code, p.severity) for p in problems] == [("size_missing", Severity.WARNING)]


def test_xml_without_object_is_a_background(tmp_path):
    labelled_photo(tmp_path, "IMAG0494.JPG", W, H, [])
    rows, problems = index(tmp_path)
    assert problems == []
    (row,) = rows
    assert (row.kind, row.image, row.xml, row.object, row.name) == ("background", "IMAG0494.JPG", "IMAG0494.xml",
                                                                    None, "")
    assert (row.xmin, row.ymin, row.xmax, row.ymax) == (None, None, None, None)
    with pytest.raises(ValueError):
        row.box


# --- boxes ------------------------------------------------------------------------------------------


def test_box_touching_the_border_is_kept_as_is(tmp_path):
    rows, problems = one_box(tmp_path, (0, 0, W, H))
    assert problems == []
    assert [r.box for r in rows] == [(0, 0, W, H)]


def test_box_overshooting_within_tolerance_is_clipped(tmp_path):
    rows, problems = one_box(tmp_path, (-3, 5, W + 5, H))
    assert [r.box for r in rows] == [(0, 5, W, H)]
    p = only(problems, "box_clipped")
    assert (p.file, p.object, p.severity, p.action) == ("p.xml", 1, Severity.WARNING, Action.CLIPPED)
    assert len(problems) == 1


def test_overshoot_exactly_the_tolerance_is_clipped(tmp_path):
    rows, problems = one_box(tmp_path, (10, 10, W + 8, 40), border_tolerance_px=8)
    assert [r.box for r in rows] == [(10, 10, W, 40)]
    assert [p.code for p in problems] == ["box_clipped"]


def test_box_overshooting_more_than_tolerance_is_rejected(tmp_path):
    rows, problems = one_box(tmp_path, (10, 10, W + 9, 40), border_tolerance_px=8)
    assert rows == []
    p = only(problems, "box_outside")
    assert (p.object, p.severity, p.action) == (1, Severity.ERROR, Action.SKIPPED)
    assert "right" in p.detail


def test_zero_tolerance_rejects_any_overshoot(tmp_path):
    rows, problems = one_box(tmp_path, (-1, 10, 40, 40), border_tolerance_px=0)
    assert rows == [] and by_code(problems, "box_outside")


@pytest.mark.parametrize("box", [(W + 2, 10, W + 20, 30), (-30, -30, -10, -10), (10, H, 30, H + 5)],
                         ids=["right", "above-left", "bottom-edge"])
def test_box_wholly_outside_is_rejected(tmp_path, box):
    rows, problems = one_box(tmp_path, box)
    assert rows == []
    assert only(problems, "box_outside").severity is Severity.ERROR


def test_inverted_box_is_rejected(tmp_path):
    rows, problems = one_box(tmp_path, (50, 10, 20, 40))
    assert rows == []
    p = only(problems, "inverted_box")
    assert (p.object, p.severity, p.action) == (1, Severity.ERROR, Action.SKIPPED)


def test_zero_area_box_is_rejected(tmp_path):
    rows, problems = one_box(tmp_path, (20, 10, 20, 40))
    assert rows == []
    assert only(problems, "empty_box").severity is Severity.ERROR


def test_box_without_coordinates_is_rejected_with_its_object_index(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(1, 2, 30, 40), None, (1, 2, "x", 40)])
    rows, problems = index(tmp_path)
    assert [r.object for r in rows] == [1]
    assert [(p.object, p.code, p.severity) for p in problems] == [(2, "bad_box", Severity.ERROR),
                                                                  (3, "bad_box", Severity.ERROR)]


def test_float_coordinates_are_rounded_to_pixels(tmp_path):
    rows, problems = one_box(tmp_path, ("10.4", "10.5", "29.6", "40.49"))
    assert problems == []
    assert [r.box for r in rows] == [(10, 11, 30, 40)]


def test_check_box_directly():
    assert check_box((0, 0, 100, 80), 100, 80, 8) == ((0, 0, 100, 80), "ok", "")
    assert check_box((-2, 0, 100, 80), 100, 80, 8)[:2] == ((0, 0, 100, 80), "box_clipped")
    assert check_box((0, 0, 100, 90), 100, 80, 8)[:2] == (None, "box_outside")
    assert check_box((5, 5, 5, 9), 100, 80, 8)[:2] == (None, "empty_box")
    assert check_box((5, 9, 6, 5), 100, 80, 8)[:2] == (None, "inverted_box")


def test_duplicate_boxes_are_counted_once(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(1, 2, 30, 40), (5, 5, 20, 20), (1, 2, 30, 40)])
    rows, problems = index(tmp_path)
    assert [r.object for r in rows] == [1, 2]
    p = only(problems, "duplicate_object")
    assert (p.object, p.severity, p.action) == (3, Severity.WARNING, Action.SKIPPED)
    assert "object 1" in p.detail


def test_photo_whose_objects_are_all_rejected_is_not_a_background(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(50, 10, 20, 40), (10, 10, 10, 10)])
    rows, problems = index(tmp_path)
    assert rows == []
    p = only(problems, "no_usable_tag")
    assert (p.file, p.severity, p.action) == ("p.jpg", Severity.INFO, Action.SKIPPED)


def test_photo_with_only_other_classes_is_not_a_background(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(1, 2, 30, 40)], names="bird")
    rows, problems = index(tmp_path)
    assert rows == []
    assert sorted(p.code for p in problems) == ["no_usable_tag", "other_class"]


# --- classes and identities ---------------------------------------------------------------------------


def test_other_class_is_info_and_skipped(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(1, 2, 30, 40), (50, 10, 60, 20)], names=["tag", "bird"])
    rows, problems = index(tmp_path)
    assert [(r.object, r.name) for r in rows] == [(1, "tag")]
    p = only(problems, "other_class")
    assert (p.object, p.severity, p.action) == (2, Severity.INFO, Action.SKIPPED)
    assert len(problems) == 1


@pytest.mark.parametrize("name", ["Tag", "TAG", "tAg"])
def test_class_differing_only_by_case_is_an_error(tmp_path, name):
    rows, problems = one_box(tmp_path, (1, 2, 30, 40), name=name)
    assert rows == []
    p = only(problems, "class_near_miss")
    assert (p.object, p.severity, p.action) == (1, Severity.ERROR, Action.SKIPPED)


def test_other_class_name_setting(tmp_path):
    rows, problems = one_box(tmp_path, (1, 2, 30, 40), name="ring", class_name="ring")
    assert problems == [] and [r.name for r in rows] == ["ring"]


@pytest.mark.parametrize("name", ["tag:AXFD", "tag: AXFD", "tag :AXFD"])
def test_name_pattern_gives_the_identity(tmp_path, name):
    rows, problems = one_box(tmp_path, (1, 2, 30, 40), name=name)
    assert problems == []
    (row,) = rows
    assert (row.identity, row.identity_source, row.name) == ("AXFD", "name", name)


def test_plain_tag_name_has_no_identity(tmp_path):
    rows, _ = one_box(tmp_path, (1, 2, 30, 40), name="tag")
    assert [(r.identity, r.identity_source) for r in rows] == [("", "")]


def test_name_pattern_without_class_group(tmp_path):
    rows, problems = one_box(tmp_path, (1, 2, 30, 40), name="AXFD", name_pattern=r"(?P<identity>[A-Z0-9]{4})")
    assert problems == []
    assert [(r.identity, r.name) for r in rows] == [("AXFD", "AXFD")]


def test_name_not_matching_a_pattern_without_class_group_is_another_class(tmp_path):
    labelled_photo(tmp_path, "p.jpg", W, H, [(1, 2, 30, 40), (50, 10, 60, 20)], names=["AXFD", "bird"])
    rows, problems = index(tmp_path, name_pattern=r"(?P<identity>[A-Z0-9]{4})")
    assert [(r.object, r.identity) for r in rows] == [(1, "AXFD")]
    assert [(p.object, p.code) for p in problems] == [(2, "other_class")]


# --- photos: unreadable, EXIF, formats, links -----------------------------------------------------------


def test_truncated_jpeg_is_unreadable(tmp_path):
    write_noise_jpeg(tmp_path / "cut.jpg", 64, 48)
    truncate_file(tmp_path / "cut.jpg", 0.5)
    write_xml(tmp_path / "cut.xml", voc_xml("cut.jpg", 64, 48, [(1, 2, 30, 40)]))
    labelled_photo(tmp_path, "fine.jpg", W, H, [])
    rows, problems = index(tmp_path, verify_pixels=True)
    assert [r.image for r in rows] == ["fine.jpg"]
    p = only(problems, "unreadable_photo")
    assert (p.file, p.severity, p.action) == ("cut.jpg", Severity.ERROR, Action.SKIPPED)
    assert str(tmp_path) not in p.detail
    assert len(problems) == 1


def test_file_that_is_not_an_image_is_unreadable(tmp_path):
    (tmp_path / "fake.jpg").write_text("not a photo")
    write_xml(tmp_path / "fake.xml", voc_xml("fake.jpg", W, H, []))
    rows, problems = index(tmp_path, verify_pixels=False)
    assert rows == []
    assert [(p.file, p.code) for p in problems] == [("fake.jpg", "unreadable_photo")]


def test_exif_rotated_photo_labelled_in_stored_frame(tmp_path):
    write_exif_jpeg(tmp_path / "rot.jpg", 40, 24, orientation=6)
    # Box valid only in the stored 40x24 frame (in the rotated 24x40 frame xmax=40 is 16 px out).
    write_xml(tmp_path / "rot.xml", voc_xml("rot.jpg", 40, 24, [(30, 0, 40, 24)]))
    rows, problems = index(tmp_path)
    (row,) = rows
    assert (row.orientation, row.orientation_applied, row.width, row.height) == (6, False, 40, 24)
    assert row.box == (30, 0, 40, 24)
    p = only(problems, "exif_orientation")
    assert (p.file, p.severity) == ("rot.jpg", Severity.WARNING)
    assert len(problems) == 1


def test_exif_rotated_photo_labelled_in_rotated_frame(tmp_path):
    write_exif_jpeg(tmp_path / "rot.jpg", 40, 24, orientation=6)
    write_xml(tmp_path / "rot.xml", voc_xml("rot.jpg", 24, 40, [(0, 30, 24, 40)]))
    rows, problems = index(tmp_path)
    (row,) = rows
    assert (row.orientation, row.orientation_applied, row.width, row.height) == (6, True, 24, 40)
    assert row.box == (0, 30, 24, 40)
    assert [p.code for p in problems] == ["exif_orientation"]


@pytest.mark.parametrize("policy, applied", [("raw", False), ("apply", True)])
def test_exif_orientation_policy_overrides_the_size_guess(tmp_path, policy, applied):
    write_exif_jpeg(tmp_path / "rot.jpg", 40, 24, orientation=6)
    write_xml(tmp_path / "rot.xml", voc_xml("rot.jpg", 24, 40, []))
    rows, _ = index(tmp_path, exif_orientation=policy)
    assert [(r.orientation_applied, r.width) for r in rows] == [(applied, 24 if applied else 40)]


def _corner(pixels: np.ndarray, which: str, n: int = 4) -> np.ndarray:
    rows = slice(0, n) if which[0] == "t" else slice(-n, None)
    cols = slice(0, n) if which[1] == "l" else slice(-n, None)
    return pixels[rows, cols].reshape(-1, 3).mean(axis=0)


def _is_red_bgr(value: np.ndarray) -> bool:
    b, g, r = value
    return r > 200 and g < 60 and b < 60


def test_read_photo_applies_exif_6_as_a_clockwise_quarter_turn(tmp_path):
    path = write_exif_jpeg(tmp_path / "rot.jpg", 40, 24, orientation=6, corner_rgb=(255, 0, 0))
    stored = read_photo(path, orientation=6, apply=False)
    assert stored.shape == (24, 40, 3) and stored.dtype == np.uint8
    assert _is_red_bgr(_corner(stored, "tl"))
    rotated = read_photo(path, orientation=6, apply=True)
    assert rotated.shape == (40, 24, 3)
    # EXIF 6: the stored top-left ends up top-right once displayed.
    assert _is_red_bgr(_corner(rotated, "tr"))
    assert not _is_red_bgr(_corner(rotated, "tl"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_photo_matches_pillow_exif_transpose(tmp_path, orientation):
    path = write_exif_jpeg(tmp_path / f"o{orientation}.jpg", 40, 24, orientation=orientation)
    assert probe_photo(path).orientation == orientation
    ours = read_photo(path, orientation=orientation, apply=True).astype(int)
    with Image.open(path) as image:
        theirs = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))[:, :, ::-1].astype(int)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).mean() < 3


def test_grayscale_png_decodes_to_uint8_bgr(tmp_path):
    path = tmp_path / "grey.png"
    grey = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (8, 1))
    assert cv2.imwrite(str(path), grey)
    pixels = read_photo(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (8, 25, 3)
    assert np.array_equal(pixels[:, :, 0], grey) and np.array_equal(pixels[:, :, 2], grey)


def test_16_bit_png_decodes_to_uint8_bgr(tmp_path):
    path = tmp_path / "deep.png"
    deep = np.zeros((6, 7, 3), dtype=np.uint16)
    deep[..., 0], deep[..., 1], deep[..., 2] = 65535, 100 * 256, 0
    assert cv2.imwrite(str(path), deep)
    assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED).dtype == np.uint16  # really a 16-bit file
    pixels = read_photo(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (6, 7, 3)
    assert tuple(pixels[0, 0]) == (255, 100, 0)


def test_16_bit_grayscale_png_decodes_to_uint8_bgr(tmp_path):
    path = tmp_path / "deep_grey.png"
    assert cv2.imwrite(str(path), np.full((5, 9), 200 * 256, dtype=np.uint16))
    pixels = read_photo(path)
    assert pixels.dtype == np.uint8 and pixels.shape == (5, 9, 3)
    assert (pixels == 200).all()


def test_palette_and_rgba_png_decode_to_uint8_bgr(tmp_path):
    Image.new("P", (9, 5), 3).save(tmp_path / "pal.png")
    Image.new("RGBA", (9, 5), (255, 0, 0, 128)).save(tmp_path / "rgba.png")
    for name in ("pal.png", "rgba.png"):
        pixels = read_photo(tmp_path / name)
        assert pixels.dtype == np.uint8 and pixels.shape == (5, 9, 3)


def test_grayscale_and_16_bit_pngs_are_indexed(tmp_path):
    assert cv2.imwrite(str(tmp_path / "grey.png"), np.full((H, W), 90, dtype=np.uint8))
    assert cv2.imwrite(str(tmp_path / "deep.png"), np.full((H, W, 3), 30000, dtype=np.uint16))
    for stem in ("grey", "deep"):
        write_xml(tmp_path / f"{stem}.xml", voc_xml(f"{stem}.png", W, H, [(1, 2, 30, 40)]))
    rows, problems = index(tmp_path)
    assert problems == []
    assert [(r.image, r.width, r.height) for r in rows] == [("deep.png", W, H), ("grey.png", W, H)]


def test_read_photo_of_a_broken_file_names_it(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(SpatuleError, match="empty.jpg"):
        read_photo(path)


def test_symlink_pointing_outside_is_not_read(tmp_path):
    root = tmp_path / "labels"
    outside = write_photo(tmp_path / "outside" / "secret.jpg", W, H)
    root.mkdir()
    (root / "evil.jpg").symlink_to(outside)
    write_xml(root / "evil.xml", voc_xml("evil.jpg", W, H, [(1, 2, 30, 40)]))
    (root / "outside.xml").symlink_to(write_xml(tmp_path / "outside" / "o.xml", voc_xml("secret.jpg", W, H, [])))
    labelled_photo(root, "inside.jpg", W, H, [])
    (root / "alias.jpg").symlink_to(root / "inside.jpg")  # a link within the folder is fine
    seen: list[str] = []

    def probe(path: Path, verify: bool):
        seen.append(path.name)
        return probe_photo(path, verify)

    rows, problems = read_label_folder(root, IndexSettings(), probe=probe)
    links = by_code(problems, "link_outside")
    assert sorted(p.file for p in links) == ["evil.jpg", "outside.xml"]
    assert all(p.severity is Severity.ERROR and p.action is Action.SKIPPED for p in links)
    assert [p.file for p in by_code(problems, "missing_photo")] == ["evil.xml"]
    assert "evil.jpg" not in seen and "secret.jpg" not in seen
    assert [r.image for r in rows] == ["inside.jpg"]
    assert [p.file for p in by_code(problems, "unlabelled_photo")] == ["alias.jpg"]


def test_missing_labels_folder_is_an_error(tmp_path):
    with pytest.raises(SpatuleError, match="no such folder"):
        index(tmp_path / "nope")


# --- policy -----------------------------------------------------------------------------------------


def _messy_folder(root: Path) -> None:
    labelled_photo(root, "good (1).jpg", W, H, [(1, 2, 30, 40), (5, 5, 20, 20), (-3, 0, 50, 50)],
                   names=["tag:AXFD", "tag", "tag"])
    labelled_photo(root, "bg.jpg", W, H, [])
    labelled_photo(root / "sub", "bad box.jpg", W, H, [(50, 10, 20, 40)])
    labelled_photo(root, "bird.jpg", W, H, [(1, 2, 30, 40)], names="bird")
    write_xml(root / "gone.xml", voc_xml("gone.jpg", W, H, []))
    write_xml(root / "broken.xml", "<annotation>")
    write_photo(root / "lonely.jpg", W, H)
    write_exif_jpeg(root / "rot.jpg", 40, 24, orientation=6)
    write_xml(root / "rot.xml", voc_xml("rot.jpg", 24, 40, [(0, 30, 24, 40)]))
    write_noise_jpeg(root / "cut.jpg", 64, 48)
    truncate_file(root / "cut.jpg")
    write_xml(root / "cut.xml", voc_xml("cut.jpg", 64, 48, []))
    write_xml(root / "size.xml", voc_xml("size.jpg", 640, 480, [(1, 2, 30, 40)]))
    write_photo(root / "size.jpg", W, H)


def test_enforce_policy_error_raises_once_listing_every_defect_file(tmp_path):
    _messy_folder(tmp_path)
    _, problems = index(tmp_path)
    defects = [p for p in problems if p.severity is Severity.ERROR]
    assert {p.file for p in defects} == {"sub/bad box.xml", "gone.xml", "broken.xml", "cut.jpg"}
    with pytest.raises(SpatuleError) as info:
        enforce_policy(problems, "error", "labels.dir data/labels")
    message = str(info.value)
    assert message.startswith(f"{len(defects)} defect(s) in labels.dir data/labels")
    for p in defects:
        assert p.describe() in message
    for p in problems:
        if p.severity is not Severity.ERROR:
            assert p.describe() not in message


def test_enforce_policy_skip_does_not_raise(tmp_path):
    _messy_folder(tmp_path)
    _, problems = index(tmp_path)
    assert any(p.severity is Severity.ERROR for p in problems)
    enforce_policy(problems, "skip", "labels")


def test_enforce_policy_never_raises_for_warnings_and_info():
    problems = [Problem("a.xml", 1, "box_clipped", Severity.WARNING, Action.CLIPPED, "clipped"),
                Problem("b.jpg", None, "unlabelled_photo", Severity.INFO, Action.SKIPPED, "no XML")]
    enforce_policy(problems, "error", "labels")
    enforce_policy([], "error", "labels")


def test_enforce_policy_refuses_an_unknown_policy():
    with pytest.raises(SpatuleError, match="on_problem"):
        enforce_policy([], "ignore", "labels")


# --- determinism and files ------------------------------------------------------------------------------


def test_threads_do_not_change_rows_or_problems(tmp_path):
    _messy_folder(tmp_path)
    for i in range(6):
        labelled_photo(tmp_path / "more", f"m{i}.jpg", W, H, [(i, i, 30 + i, 40)] if i % 2 else [])
    one = index(tmp_path, threads=1, unlabelled_as_background=True)
    two = index(tmp_path, threads=2, unlabelled_as_background=True)
    assert one == two
    assert len(one[0]) > 8 and len(one[1]) > 5


def test_objects_csv_round_trip(tmp_path):
    labels = tmp_path / "labels"
    _messy_folder(labels)
    labelled_photo(labels, "comma, \"quoted\" (2).jpg", W, H, [(1, 2, 30, 40)], names="tag:A,B")
    rows, _ = index(labels, unlabelled_as_background=True)
    rows.append(replace(rows[0], difficult=True, truncated=True))
    assert {r.kind for r in rows} == {"tag", "background"}
    assert any(r.orientation_applied for r in rows) and any(r.identity for r in rows)
    path = tmp_path / "out" / "objects.csv"
    write_objects(path, rows)
    assert read_objects_csv(path) == rows


def test_problems_csv_round_trip(tmp_path):
    labels = tmp_path / "labels"
    _messy_folder(labels)
    _, problems = index(labels)
    problems.append(Problem('odd, "name".xml', 3, "x", Severity.INFO, Action.USED, 'a, "b"\nc'))
    path = tmp_path / "out" / "problems.csv"
    write_problems(path, problems)
    assert read_problems(path) == sort_problems(problems)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "file,object,code,severity,action,detail"


# --- the real field sample --------------------------------------------------------------------------------

SAMPLE_XML_WITHOUT_PHOTO = sorted(f"IMAG0{n}.xml" for n in (488, 489, 490, 491, 492, 493, 495, 496, 498, 499))


@pytest.fixture(scope="module")
def sample_index():
    shared_input(SAMPLE)
    return read_label_folder(SAMPLE, IndexSettings(), threads=4)


@pytest.mark.sample
def test_sample_reports_each_xml_without_photo(sample_index):
    _, problems = sample_index
    missing = by_code(problems, "missing_photo")
    assert sorted(p.file for p in missing) == SAMPLE_XML_WITHOUT_PHOTO
    assert all(p.severity is Severity.ERROR for p in missing)
    assert [p for p in problems if p.code != "missing_photo"] == []


@pytest.mark.sample
def test_sample_has_three_tags_and_thirteen_backgrounds(sample_index):
    rows, _ = sample_index
    assert len(tags(rows)) == 3
    assert len(backgrounds(rows)) == 13
    assert sorted({r.image for r in tags(rows)}) == ["7mai2018 (6).JPG", "IMAG0328.JPG"]
    assert all((r.width, r.height) == (3264, 2448) for r in rows)


@pytest.mark.sample
def test_sample_box_near_the_border_is_kept(sample_index):
    rows, problems = sample_index
    boxes = [r.box for r in tags(rows) if r.image == "7mai2018 (6).JPG"]
    assert (4, 1132, 144, 1320) in boxes
    assert not [p for p in problems if p.file == "7mai2018 (6).xml"]


@pytest.mark.parametrize("name", ["tag:A B", "  "])
def test_a_malformed_tag_name_is_a_defect_not_another_class(tmp_path, name):
    labelled_photo(tmp_path, "p.JPG", 200, 100, [(10, 10, 40, 60)], names=[name])
    rows, problems = read_label_folder(tmp_path, IndexSettings())
    assert rows == []
    bad = [p for p in problems if p.code == "bad_name"]
    assert len(bad) == 1 and bad[0].severity is Severity.ERROR and bad[0].object == 1


def test_a_code_glued_to_the_class_without_colon_is_a_near_miss(tmp_path):
    labelled_photo(tmp_path, "p.JPG", 200, 100, [(10, 10, 40, 60), (60, 10, 90, 60)], names=["tag AXFD", "tagged"])
    rows, problems = read_label_folder(tmp_path, IndexSettings())
    assert rows == []
    assert [(p.object, p.code) for p in problems if p.object] == [(1, "class_near_miss"), (2, "other_class")]


# --- issue 7: folders that are empty or linked, photos too small for a tile, bad name patterns ------


def test_an_empty_labels_folder_is_a_clear_error(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "notes.txt").write_text("no photos yet")
    with pytest.raises(SpatuleError, match=r"no photo and no labelImg XML"):
        index(tmp_path)


def test_folder_links_are_recorded_and_never_followed(tmp_path):
    root = tmp_path / "labels"
    labelled_photo(tmp_path / "outside", "secret.jpg", W, H, [(1, 2, 30, 40)])
    labelled_photo(root / "real", "a.jpg", W, H, [(1, 2, 30, 40)])
    (root / "away").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "again").symlink_to(root / "real", target_is_directory=True)
    rows, problems = index(root)
    assert [r.image for r in rows] == ["real/a.jpg"]  # read once, where it lies
    assert sorted((p.file, p.code, p.severity) for p in problems) == [
        ("again", "folder_link", Severity.INFO), ("away", "link_outside", Severity.ERROR)]


def test_unreadable_photo_names_the_xml_left_unused(tmp_path):
    write_noise_jpeg(tmp_path / "cut.jpg", 64, 48)
    truncate_file(tmp_path / "cut.jpg")
    write_xml(tmp_path / "cut.xml", voc_xml("cut.jpg", 64, 48, [(1, 2, 30, 40)]))
    _, problems = index(tmp_path)
    p = only(problems, "unreadable_photo")
    assert p.file == "cut.jpg" and p.detail.endswith("its labels in cut.xml are not used")


def a_row(image: str, width: int, height: int, obj: int | None = None) -> LabelledObject:
    box = (1 + 40 * obj, 2, 30 + 40 * obj, 40) if obj else (None,) * 4
    return LabelledObject(image=image, xml=image.replace(".jpg", ".xml"), kind="tag" if obj else "background",
                          object=obj, name="tag" if obj else "", identity="", identity_source="", xmin=box[0],
                          ymin=box[1], xmax=box[2], ymax=box[3], difficult=False, truncated=False, width=width,
                          height=height, orientation=1, orientation_applied=False)


def test_photos_too_small_for_a_tile_are_recorded():
    from spatule.labels.objects import too_small_for_tiles

    rows = [a_row("big.jpg", 960, 640), a_row("small.jpg", 960, 630), a_row("tagged.jpg", 500, 400, 1),
            a_row("tagged.jpg", 500, 400, 2)]
    kept, problems = too_small_for_tiles(rows, 640)
    assert [(r.image, r.object) for r in kept] == [("big.jpg", None), ("tagged.jpg", 1), ("tagged.jpg", 2)]
    assert [(p.file, p.code, p.action) for p in problems] == [
        ("small.jpg", "photo_smaller_than_tile", Action.SKIPPED),
        ("tagged.jpg", "photo_smaller_than_tile", Action.USED)]
    assert "small.xml" in problems[0].detail and "960x630" in problems[0].detail and "640 px" in problems[0].detail
    _, quiet = too_small_for_tiles(rows, 640, labelled_ground=False)
    assert [p.file for p in quiet] == ["small.jpg"]


@pytest.mark.parametrize("pattern, message", [
    ("(unclosed", "not a valid regular expression"),
    (r"^(?P<class>\w+):(?P<identiy>\w+)$", "identiy"),
])
def test_a_bad_name_pattern_is_a_clear_error(tmp_path, pattern, message):
    labelled_photo(tmp_path, "a.jpg", W, H, [(1, 2, 30, 40)])
    with pytest.raises(SpatuleError, match=f"labels.name_pattern.*{message}"):
        index(tmp_path, name_pattern=pattern)
