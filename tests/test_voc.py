"""spatule.labels.voc: the hardened Pascal VOC (labelImg) parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from spatule.problems import SpatuleError
from spatule.labels.voc import parse_voc
from tests.helpers import voc_xml

PASSWD = Path("/etc/passwd")


def _passwd_snippets() -> list[str]:
    """Distinctive bits of /etc/passwd that must never show up in a result or message."""
    if not PASSWD.exists():
        return ["root:x:0:0"]
    lines = [line for line in PASSWD.read_text(errors="replace").splitlines() if line.strip()]
    return [line for line in lines[:3]] or ["root:x:0:0"]


def _assert_no_passwd(text: str) -> None:
    for snippet in _passwd_snippets():
        assert snippet not in text


XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE annotation [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<annotation>
\t<filename>&xxe;</filename>
\t<size><width>100</width><height>80</height></size>
\t<object><name>&xxe;</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
</annotation>
"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE annotation [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><filename>&lol9;</filename><object><name>&lol9;</name></object></annotation>
"""


def test_normal_labelimg_file_is_read():
    text = voc_xml("7mai2018 (6).JPG", 3264, 2448, [(4, 1132, 144, 1320), (2499, 788, 2550, 877)],
                   names=["tag", "tag:AXFD"])
    ann = parse_voc(text.encode("utf-8"), "7mai2018 (6).xml")
    assert ann.filename == "7mai2018 (6).JPG"
    assert ann.folder == "test-data"
    assert ann.path == "/home/antoine/PycharmProjects/spatule-birds-tags/test-data/7mai2018 (6).JPG"
    assert (ann.width, ann.height) == (3264, 2448)
    assert [o.index for o in ann.objects] == [1, 2]
    assert [o.name for o in ann.objects] == ["tag", "tag:AXFD"]
    assert ann.objects[0].box == (4.0, 1132.0, 144.0, 1320.0)
    assert ann.objects[1].box == (2499.0, 788.0, 2550.0, 877.0)
    assert all(o.defect is None and not o.difficult and not o.truncated for o in ann.objects)


def test_difficult_and_truncated_flags_are_read():
    text = voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40)]).replace(
        "<truncated>0</truncated>", "<truncated>1</truncated>").replace(
        "<difficult>0</difficult>", "<difficult>1</difficult>")
    (obj,) = parse_voc(text.encode(), "a.xml").objects
    assert obj.difficult and obj.truncated


def test_xml_without_object_has_no_objects():
    ann = parse_voc(voc_xml("bg.jpg", 100, 80, []).encode(), "bg.xml")
    assert ann.objects == ()
    assert ann.filename == "bg.jpg"


def test_external_entity_xxe_is_refused_and_file_content_never_read():
    with pytest.raises(SpatuleError) as info:
        parse_voc(XXE.encode("utf-8"), "evil dir/xxe.xml")
    message = str(info.value)
    assert "evil dir/xxe.xml" in message
    assert "DTD" in message or "entit" in message
    _assert_no_passwd(message)


def test_xxe_in_utf16_is_refused_too():
    # The byte-level pre-check cannot see '<!DOCTYPE' in UTF-16; the parsed-tree check must.
    data = XXE.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(SpatuleError, match=r"^xxe16\.xml: .*DTD") as info:
        parse_voc(data, "xxe16.xml")
    _assert_no_passwd(str(info.value))


def test_billion_laughs_is_refused_quickly():
    with pytest.raises(SpatuleError, match=r"^laughs\.xml: .*(DTD|entit)"):
        parse_voc(BILLION_LAUGHS.encode(), "laughs.xml")


def test_doctype_after_a_long_comment_is_still_refused():
    # '<!DOCTYPE' beyond the first 4096 bytes escapes the byte pre-check.
    body = voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40)])
    text = '<?xml version="1.0"?>\n<!--' + "x" * 5000 + "-->\n<!DOCTYPE annotation []>\n" + body
    with pytest.raises(SpatuleError, match=r"^late\.xml: .*DTD"):
        parse_voc(text.encode(), "late.xml")


def test_not_well_formed_xml_is_refused_naming_the_file():
    text = voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40)]).replace("</annotation>", "")
    with pytest.raises(SpatuleError, match=r"^broken\.xml: not well-formed XML"):
        parse_voc(text.encode(), "broken.xml")


def test_empty_file_is_refused_naming_the_file():
    with pytest.raises(SpatuleError, match=r"^empty\.xml: "):
        parse_voc(b"", "empty.xml")


def test_root_other_than_annotation_is_refused():
    with pytest.raises(SpatuleError, match=r"^other\.xml: root element is <labels>"):
        parse_voc(b"<labels><object><name>tag</name></object></labels>", "other.xml")


def test_missing_bndbox_gives_a_defect():
    (obj,) = parse_voc(voc_xml("a.jpg", 100, 80, [None]).encode(), "a.xml").objects
    assert obj.box is None
    assert obj.defect == "has no <bndbox>"
    assert obj.name == "tag"


def test_missing_coordinate_gives_a_defect():
    text = voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40)]).replace("\t\t\t<ymax>40</ymax>\n", "")
    (obj,) = parse_voc(text.encode(), "a.xml").objects
    assert obj.box is None
    assert obj.defect is not None and "<ymax>" in obj.defect


def test_non_numeric_coordinate_gives_a_defect():
    (obj,) = parse_voc(voc_xml("a.jpg", 100, 80, [(1, "abc", 30, 40)]).encode(), "a.xml").objects
    assert obj.box is None
    assert obj.defect is not None and "<ymin>" in obj.defect and "not a number" in obj.defect


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_or_infinite_coordinate_gives_a_defect(bad):
    (obj,) = parse_voc(voc_xml("a.jpg", 100, 80, [(1, 2, bad, 40)]).encode(), "a.xml").objects
    assert obj.box is None
    assert obj.defect is not None and "<xmax>" in obj.defect and "finite" in obj.defect


def test_float_coordinates_parse():
    (obj,) = parse_voc(voc_xml("a.jpg", 100, 80, [("1.5", " 2.25 ", "30.0", "4e1")]).encode(), "a.xml").objects
    assert obj.defect is None
    assert obj.box == (1.5, 2.25, 30.0, 40.0)


def test_one_bad_object_does_not_spoil_the_others():
    ann = parse_voc(voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40), None, (5, 6, 7, "x")]).encode(), "a.xml")
    assert [o.defect is None for o in ann.objects] == [True, False, False]
    assert [o.index for o in ann.objects] == [1, 2, 3]


@pytest.mark.parametrize("w, h", [("abc", "80"), ("0", "80"), ("-5", "80"), ("nan", "80"), ("inf", "80")])
def test_invalid_size_reads_as_none(w, h):
    ann = parse_voc(voc_xml("a.jpg", w, h, [(1, 2, 30, 40)]).encode(), "a.xml")
    assert ann.width is None
    assert ann.height == 80


def test_missing_size_and_filename_read_as_none():
    ann = parse_voc(voc_xml(None, None, None, []).encode(), "a.xml")
    assert (ann.filename, ann.path, ann.width, ann.height) == (None, None, None, None)


def test_float_size_is_truncated_to_int():
    ann = parse_voc(voc_xml("a.jpg", "100.0", "80.0", []).encode(), "a.xml")
    assert (ann.width, ann.height) == (100, 80)


def test_comments_and_whitespace_around_values_are_ignored():
    text = voc_xml("a.jpg", 100, 80, [(1, 2, 30, 40)]).replace(
        "<filename>a.jpg</filename>", "<filename>\n  a.jpg  \n</filename><!-- labelled by hand -->")
    ann = parse_voc(text.encode(), "a.xml")
    assert ann.filename == "a.jpg"
    assert ann.objects[0].box == (1.0, 2.0, 30.0, 40.0)
