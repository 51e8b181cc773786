"""Identity of each tag: from the CSV (box tolerance), the VOC name, or the photo."""

from pathlib import Path

import pytest

from spatule.labels.identities import (PHOTO_GROUP_PREFIX, IdentityRow, assign_identities, describe_sources,
                                read_identities_csv)
from spatule.labels.objects import LabelledObject
from spatule.problems import Severity, SpatuleError


def tag(image: str, obj: int, box, identity: str = "") -> LabelledObject:
    return LabelledObject(image=image, xml="x.xml", kind="tag", object=obj, name="tag", identity=identity,
                          identity_source="name" if identity else "", xmin=box[0], ymin=box[1], xmax=box[2],
                          ymax=box[3], difficult=False, truncated=False, width=1000, height=800, orientation=1,
                          orientation_applied=False)


def test_csv_rows_are_read_and_bad_rows_reported_with_their_line(tmp_path: Path):
    path = tmp_path / "ids.csv"
    path.write_text("image,xmin,ymin,xmax,ymax,identity\n"
                    "a (1).JPG,1,2,30,40,AXFD\n"
                    "a (1).JPG,1,x,30,40,ABL5\n"
                    "b.JPG,1,2,3,4,\n", encoding="utf-8")
    rows, problems = read_identities_csv(path)
    assert rows == [IdentityRow(2, "a (1).JPG", (1.0, 2.0, 30.0, 40.0), "AXFD")]
    assert [(p.object, p.code) for p in problems] == [(3, "bad_identity_row"), (4, "bad_identity_row")]
    assert all(p.file == str(path) and p.severity is Severity.ERROR for p in problems)


def test_csv_without_a_column_names_the_file_and_the_column(tmp_path: Path):
    path = tmp_path / "ids.csv"
    path.write_text("image,xmin,ymin,xmax,identity\n", encoding="utf-8")
    with pytest.raises(SpatuleError, match=r"ids\.csv.*ymax"):
        read_identities_csv(path)


def test_boxes_match_within_tolerance_one_to_one_closest_first():
    tags = [tag("p.JPG", 1, (100, 100, 140, 180)), tag("p.JPG", 2, (103, 101, 143, 181))]
    rows = [IdentityRow(2, "p.JPG", (104, 101, 143, 181), "BBBB"), IdentityRow(3, "p.JPG", (98, 99, 141, 178), "AAAA")]
    named, problems = assign_identities(tags, rows, 4, "ids.csv")
    assert [(t.identity, t.identity_source) for t in named] == [("AAAA", "csv"), ("BBBB", "csv")]
    assert problems == []


def test_row_beyond_tolerance_is_reported_and_the_tag_falls_back_to_its_photo():
    tags = [tag("dir/p.JPG", 1, (100, 100, 140, 180))]
    named, problems = assign_identities(tags, [IdentityRow(2, "p.JPG", (110, 100, 140, 180), "AAAA")], 4, "ids.csv")
    assert named[0].identity == PHOTO_GROUP_PREFIX + "dir/p.JPG" and named[0].identity_source == "photo"
    assert [(p.code, p.object) for p in problems] == [("identity_unmatched", 2)]


def test_bare_file_name_finds_a_photo_in_a_subfolder_when_unique():
    tags = [tag("cam2/p.JPG", 1, (10, 10, 40, 60))]
    named, _ = assign_identities(tags, [IdentityRow(2, "p.JPG", (10, 10, 40, 60), "ZZ12")], 4, "ids.csv")
    assert named[0].identity == "ZZ12"


def test_row_for_an_unknown_photo_is_reported():
    _, problems = assign_identities([tag("p.JPG", 1, (0, 0, 5, 5))],
                                    [IdentityRow(2, "gone.JPG", (0, 0, 5, 5), "AAAA")], 4, "ids.csv")
    assert [p.code for p in problems] == ["identity_unmatched"] and "gone.JPG" in problems[0].detail


def test_name_identity_is_used_without_csv_and_csv_wins_a_conflict():
    tags = [tag("p.JPG", 1, (0, 0, 10, 10), identity="N1"), tag("p.JPG", 2, (50, 50, 60, 60), identity="N2")]
    named, problems = assign_identities(tags, [IdentityRow(2, "p.JPG", (50, 50, 60, 60), "C2")], 4, "ids.csv")
    assert [(t.identity, t.identity_source) for t in named] == [("N1", "name"), ("C2", "csv")]
    assert [p.code for p in problems] == ["identity_conflict"]


def test_the_log_sentence_says_plainly_when_identities_are_unknown():
    named, _ = assign_identities([tag("p.JPG", 1, (0, 0, 5, 5))], [], 4, "")
    assert "grouped by photo" in describe_sources(named)
    named, _ = assign_identities([tag("p.JPG", 1, (0, 0, 5, 5), identity="X")], [], 4, "")
    assert "grouped by photo" not in describe_sources(named)
