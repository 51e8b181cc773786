"""A corpus of broken and hostile label sets, written by code (``tests/corpus.md`` lists every case).

Two kinds of case:

* :data:`CASES` are local defects: each writes its files into its own sub-folder
  of one shared labels folder, beside a small healthy base set (three birds, three
  tag-free photos), and says exactly which rows ``problems.csv`` must hold for
  its files, and how many of its tags and tag-free photos must be used. One run
  of the workflow takes them all through index_labels, extract_tags, split and
  synthesis (``tests/test_corpus.py``).
* :data:`RUNS` change the fate of the whole label set (an empty folder, one
  bird, photos all smaller than a tile, a tag larger than a tile): each is a run
  of its own, with the config it needs and the error its log must show, or the
  outputs it must make.

Every photo is generated: ground of grey noise with bright tag bands, so a test
can check that a crop holds the tag (its box is bright) whatever the file
format or EXIF rotation. Outside the labels folder :func:`write_outside` puts
files the corpus tries to reach (XXE, ``../`` in ``<filename>``, symbolic
links); their content carries :data:`SECRET`, which must appear in no output.

Run ``python tests/corpus.py DIR`` to write the whole corpus into ``DIR`` and look.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import cv2
import numpy as np
from PIL import Image

if __package__ in (None, ""):  # run as a script: make `tests.helpers` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import obj_xml, voc_xml, write_xml  # noqa: E402

W, H = 960, 720
"""Size of a healthy photo: room for a 640 px tile above the 60 px info bar of the demo config."""

SECRET = "SPATULE-CORPUS-SECRET-7f3a"
"""Written into every file outside the labels folder; no output may contain it."""

TAG_LEVEL = 235
"""Grey level of a tag band; the ground is noise in 60..120."""

Box = tuple[int, int, int, int]


# --- pixels --------------------------------------------------------------------------------------


def scene(w: int, h: int, boxes: Sequence[Box] = (), seed: int = 0) -> np.ndarray:
    """BGR uint8 ground of grey noise with a bright band (and four dark marks) in each box."""
    pixels = np.random.default_rng(seed).integers(60, 121, size=(h, w, 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        pixels[y0:y1, x0:x1] = TAG_LEVEL
        step = max(1, (x1 - x0) // 5)
        for k in range(1, 5):
            cx = x0 + k * step
            pixels[y0 + (y1 - y0) // 4:y1 - (y1 - y0) // 4, max(x0, cx - 2):min(x1, cx + 2)] = 20
    return pixels


def write_jpeg(path: Path, pixels: np.ndarray, quality: int = 92) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise RuntimeError(f"cv2.imwrite failed for {path}")
    return path


def tagged(folder: Path, stem: str, boxes: Sequence[Box], names: str | Sequence[str], w: int = W, h: int = H,
           seed: int = 0, suffix: str = ".jpg") -> tuple[Path, Path]:
    """A photo with tag bands in ``boxes`` and its labelImg XML (named like it)."""
    photo = folder / f"{stem}{suffix}"
    photo.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(photo), scene(w, h, boxes, seed)):
        raise RuntimeError(f"cv2.imwrite failed for {photo}")
    xml = write_xml(folder / f"{stem}.xml", voc_xml(photo.name, w, h, list(boxes), names=names))
    return photo, xml


def background(folder: Path, stem: str, w: int = W, h: int = H, seed: int = 1) -> tuple[Path, Path]:
    """A tag-free photo and its empty labelImg XML."""
    photo = write_jpeg(folder / f"{stem}.jpg", scene(w, h, (), seed))
    return photo, write_xml(folder / f"{stem}.xml", voc_xml(photo.name, w, h, []))


def base_set(folder: Path, identities: Sequence[str] = ("AXFD", "BC12", "CD35")) -> None:
    """The healthy part: one photo per bird (one tag each), three tag-free photos."""
    for i, code in enumerate(identities):
        tagged(folder, f"bird-{i}", [(100 + 60 * i, 120 + 30 * i, 190 + 60 * i, 152 + 30 * i)], f"tag:{code}",
               seed=10 + i)
    for i in range(3):
        background(folder, f"ground-{i}", seed=20 + i)


def write_outside(outside: Path) -> None:
    """Files beside the labels folder that hostile label files point at."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    pixels = scene(W, H, [(100, 100, 200, 130)], seed=99)
    pixels[:, :, :2] //= 4  # reddish: a crop from it would stand out
    write_jpeg(outside / "secret.jpg", pixels)
    write_xml(outside / "secret.xml", voc_xml("secret.jpg", W, H, [(100, 100, 200, 130)], names=f"tag:{SECRET}"))


# --- the local cases -----------------------------------------------------------------------------

Writer = Callable[[Path, Path], None]
"""``write(case_folder, outside_folder)``."""


@dataclass(frozen=True)
class Case:
    """A local defect: its files, and exactly what the workflow must record and use of them."""

    name: str
    what: str
    outcome: str
    problems: tuple[tuple[str, str], ...]
    """``(file relative to the case folder, code)``: every row problems.csv holds for the case's files."""
    write: Writer
    tags: int = 0
    """Tags of the case that must reach objects.csv and tags.csv (each crop's box must be bright)."""
    backgrounds: int = 0
    """Tag-free photos of the case that must be used."""


GOOD_BOX: Box = (300, 200, 390, 232)


def _good(folder: Path, stem: str, extra: str, seed: int = 30) -> tuple[Path, Path]:
    """A photo with one good tag (at GOOD_BOX) and, after it, the raw ``<object>`` text ``extra``."""
    photo = write_jpeg(folder / f"{stem}.jpg", scene(W, H, [GOOD_BOX], seed))
    text = voc_xml(photo.name, W, H, [GOOD_BOX], names=f"tag:{folder.name[:12]}")
    return photo, write_xml(folder / f"{stem}.xml", text.replace("</annotation>", extra + "</annotation>"))


def _xxe(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "xxe.jpg", scene(W, H, [GOOD_BOX], 31))
    secret = (outside / "secret.txt").as_uri()
    write_xml(folder / "xxe.xml", f'<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "{secret}">]>\n'
              + voc_xml("xxe.jpg", W, H, [GOOD_BOX], names="tag:XXE1").replace("tag:XXE1", "&xxe;"))


def _billion_laughs(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "lol.jpg", scene(W, H, [GOOD_BOX], 32))
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                                            for i in range(1, 10)]
    write_xml(folder / "lol.xml", '<?xml version="1.0"?>\n<!DOCTYPE annotation [' + "".join(entities) + "]>\n"
              + voc_xml("lol.jpg", W, H, [GOOD_BOX], names="tag:LOL1").replace("tag:LOL1", "&lol9;"))


def _dtd(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "dtd.jpg", scene(W, H, [GOOD_BOX], 33))
    write_xml(folder / "dtd.xml", '<?xml version="1.0"?>\n<!DOCTYPE annotation SYSTEM "annotation.dtd">\n'
              + voc_xml("dtd.jpg", W, H, [GOOD_BOX], names="tag:DTD1"))


def _traversal(folder: Path, outside: Path) -> None:
    # folder is labels/<case>; outside is a sibling of labels: ../../outside/secret.jpg reaches it
    rel = os.path.relpath(outside / "secret.jpg", folder)
    write_xml(folder / "a.xml", voc_xml(rel, W, H, [(100, 100, 200, 130)], names="tag:TRV1"))
    write_xml(folder / "b.xml", voc_xml("../../../../../../etc/passwd", W, H, [(100, 100, 200, 130)], names="tag:TRV2"))


def _absolute(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "abs.jpg", scene(W, H, [GOOD_BOX], 34))
    write_xml(folder / "abs.xml", voc_xml(str(outside / "secret.jpg"), W, H, [GOOD_BOX], names="tag:ABS1",
                                          path=str(outside / "secret.jpg")))


def _truncated(folder: Path, outside: Path) -> None:
    photo, _ = tagged(folder, "cut", [GOOD_BOX], "tag:CUT1", seed=35)
    data = photo.read_bytes()
    photo.write_bytes(data[: len(data) // 2])


def _corrupt(folder: Path, outside: Path) -> None:
    photo, _ = tagged(folder, "corrupt", [GOOD_BOX], "tag:COR1", seed=36)
    data = bytearray(photo.read_bytes())
    data[2:400] = bytes(398)  # the JPEG headers (tables, frame) zeroed
    photo.write_bytes(bytes(data))


def _not_an_image(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.jpg").write_text("field notes, not a photo\n", encoding="utf-8")
    write_xml(folder / "notes.xml", voc_xml("notes.jpg", W, H, [GOOD_BOX], names="tag:TXT1"))
    (folder / "empty.jpg").write_bytes(b"")
    write_xml(folder / "empty.xml", voc_xml("empty.jpg", W, H, [GOOD_BOX], names="tag:NUL1"))


def _bomb(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("1", (10000, 10000)).save(folder / "bomb.png")  # 12 kB on disk, 100 Mpx decoded
    write_xml(folder / "bomb.xml", voc_xml("bomb.png", 10000, 10000, [GOOD_BOX], names="tag:BMB1"))


def _png(folder: Path, outside: Path) -> None:
    tagged(folder, "photo", [GOOD_BOX], "tag:PNG1", seed=37, suffix=".png")


def _grayscale(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "grey.jpg", cv2.cvtColor(scene(W, H, [GOOD_BOX], 38), cv2.COLOR_BGR2GRAY))
    write_xml(folder / "grey.xml", voc_xml("grey.jpg", W, H, [GOOD_BOX], names="tag:GRY1"))


def _cmyk(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rgb = cv2.cvtColor(scene(W, H, [GOOD_BOX], 39), cv2.COLOR_BGR2RGB)
    Image.fromarray(rgb, "RGB").convert("CMYK").save(folder / "cmyk.jpg", "JPEG", quality=92)
    write_xml(folder / "cmyk.xml", voc_xml("cmyk.jpg", W, H, [GOOD_BOX], names="tag:CMY1"))


def _sixteen_bit(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pixels = scene(W, H, [GOOD_BOX], 40).astype(np.uint16) * 257
    cv2.imwrite(str(folder / "deep.png"), pixels)
    write_xml(folder / "deep.xml", voc_xml("deep.png", W, H, [GOOD_BOX], names="tag:B161"))
    grey = cv2.cvtColor(scene(W, H, [GOOD_BOX], 41), cv2.COLOR_BGR2GRAY).astype(np.uint16) * 257
    cv2.imwrite(str(folder / "deepgrey.png"), grey)
    write_xml(folder / "deepgrey.xml", voc_xml("deepgrey.png", W, H, [GOOD_BOX], names="tag:B162"))


def _exif_jpeg(path: Path, stored_bgr: np.ndarray, orientation: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(cv2.cvtColor(stored_bgr, cv2.COLOR_BGR2RGB), "RGB")
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, "JPEG", quality=92, exif=exif.tobytes())


def _exif_stored(folder: Path, outside: Path) -> None:
    # labelImg labels the stored pixels: the XML's <size> is the stored size
    _exif_jpeg(folder / "stored.jpg", scene(W, H, [GOOD_BOX], 42), orientation=6)
    write_xml(folder / "stored.xml", voc_xml("stored.jpg", W, H, [GOOD_BOX], names="tag:EXS1"))


def _exif_rotated(folder: Path, outside: Path) -> None:
    # another tool labelled the upright photo: the XML's <size> is the rotated size
    upright = scene(W, H, [GOOD_BOX], 43)
    _exif_jpeg(folder / "rotated.jpg", np.ascontiguousarray(np.rot90(upright, 1)), orientation=6)  # 6: turn clockwise
    write_xml(folder / "rotated.xml", voc_xml("rotated.jpg", W, H, [GOOD_BOX], names="tag:EXR1"))


def _box(extra_box: Sequence[object]) -> Writer:
    def write(folder: Path, outside: Path) -> None:
        _good(folder, "photo", obj_xml(f"tag:{folder.name[:12]}", extra_box))
    return write


def _no_bndbox(folder: Path, outside: Path) -> None:
    _good(folder, "photo", obj_xml(f"tag:{folder.name[:12]}", None))


def _duplicate(folder: Path, outside: Path) -> None:
    _good(folder, "photo", obj_xml(f"tag:{folder.name[:12]}", GOOD_BOX))


def _near_miss(folder: Path, outside: Path) -> None:
    tagged(folder, "photo", [GOOD_BOX], "Tag", seed=44)


def _broken_xml(folder: Path, outside: Path) -> None:
    photo, xml = tagged(folder, "photo", [GOOD_BOX], "tag:BRK1", seed=45)
    text = xml.read_text(encoding="utf-8")
    xml.write_text(text[: len(text) // 2], encoding="utf-8")


def _latin1_xml(folder: Path, outside: Path) -> None:
    # not UTF-8 and not declared otherwise: refused; the same bytes declared ISO-8859-1 are read
    write_jpeg(folder / "raw.jpg", scene(W, H, [GOOD_BOX], 46))
    text = voc_xml("raw.jpg", W, H, [GOOD_BOX], names="tag:CAF\u00c9")
    (folder / "raw.xml").write_bytes(text.encode("latin-1"))
    write_jpeg(folder / "declared.jpg", scene(W, H, [GOOD_BOX], 47))
    text = voc_xml("declared.jpg", W, H, [GOOD_BOX], names="tag:CAF\u00c9")
    (folder / "declared.xml").write_bytes(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + text.encode("latin-1"))


def _bad_file_names(folder: Path, outside: Path) -> None:
    photo, xml = tagged(folder, "ok", [GOOD_BOX], "tag:UTF1", seed=48)
    raw = os.fsencode(folder)
    for suffix, source in ((b".jpg", photo), (b".xml", xml)):
        with open(os.path.join(raw, b"caf\xe9" + suffix), "wb") as handle:  # a Latin-1 name: not UTF-8
            handle.write(source.read_bytes())


def _links(folder: Path, outside: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evil.jpg").symlink_to(outside / "secret.jpg")
    write_xml(folder / "evil.xml", voc_xml("evil.jpg", W, H, [(100, 100, 200, 130)], names="tag:LNK1"))
    (folder / "secret.xml").symlink_to(outside / "secret.xml")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)


def _small(folder: Path, outside: Path) -> None:
    background(folder, "small-ground", w=500, h=400, seed=49)
    tagged(folder, "small-tagged", [(50, 60, 140, 92)], "tag:SML1", w=500, h=400, seed=50)


def _size_and_orphans(folder: Path, outside: Path) -> None:
    write_jpeg(folder / "sized.jpg", scene(W, H, [GOOD_BOX], 51))
    write_xml(folder / "sized.xml", voc_xml("sized.jpg", 3264, 2448, [GOOD_BOX], names="tag:SIZ1"))
    write_jpeg(folder / "lonely.jpg", scene(W, H, [], 52))
    write_xml(folder / "gone.xml", voc_xml("gone.jpg", W, H, [GOOD_BOX], names="tag:GON1"))


def _case(name: str, what: str, outcome: str, problems: Sequence[tuple[str, str]], write: Writer,
          tags: int = 0, backgrounds: int = 0) -> Case:
    return Case(name, what, outcome, tuple(sorted(problems)), write, tags, backgrounds)


CASES: tuple[Case, ...] = (
    _case("xxe", "XML with an external entity (XXE) reading a file outside labels.dir", "XML refused; photo not used",
          [("xxe.xml", "bad_xml"), ("xxe.jpg", "photo_xml_unusable")], _xxe),
    _case("billion-laughs", "XML with nested entities expanding to 10^9 'lol's", "XML refused at once",
          [("lol.xml", "bad_xml"), ("lol.jpg", "photo_xml_unusable")], _billion_laughs),
    _case("dtd", "XML declaring an external DTD", "XML refused",
          [("dtd.xml", "bad_xml"), ("dtd.jpg", "photo_xml_unusable")], _dtd),
    _case("traversal", "<filename> ../../outside/secret.jpg (a real photo) and ../../../../etc/passwd",
          "only the XML's own folder is searched: photo not found, nothing outside read",
          [("a.xml", "filename_has_path"), ("a.xml", "missing_photo"),
           ("b.xml", "filename_has_path"), ("b.xml", "missing_photo")], _traversal),
    _case("absolute", "<filename> and <path> absolute, pointing outside labels.dir",
          "the photo named like the XML, beside it, is used instead (warnings)",
          [("abs.xml", "filename_has_path"), ("abs.xml", "filename_not_found")], _absolute, tags=1),
    _case("truncated-jpeg", "JPEG cut in half", "photo skipped",
          [("cut.jpg", "unreadable_photo")], _truncated),
    _case("corrupt-jpeg", "JPEG whose headers are zeroed", "photo skipped",
          [("corrupt.jpg", "unreadable_photo")], _corrupt),
    _case("not-an-image", "a text file and an empty file named .jpg", "both skipped",
          [("notes.jpg", "unreadable_photo"), ("empty.jpg", "unreadable_photo")], _not_an_image),
    _case("decompression-bomb", "a 12 kB PNG that decodes to 100 megapixels", "photo skipped before decoding",
          [("bomb.png", "unreadable_photo")], _bomb),
    _case("png", "PNG photo", "used", [], _png, tags=1),
    _case("grayscale", "single-channel JPEG", "used (decoded to 3 channels)", [], _grayscale, tags=1),
    _case("cmyk", "CMYK JPEG", "used (decoded to BGR)", [], _cmyk, tags=1),
    _case("16-bit", "16-bit colour and 16-bit grey PNG", "used (decoded to 8 bits)", [], _sixteen_bit, tags=2),
    _case("exif-stored", "EXIF orientation 6, labelled on the stored pixels (as labelImg does)",
          "used in the stored frame (warning)", [("stored.jpg", "exif_orientation")], _exif_stored, tags=1),
    _case("exif-rotated", "EXIF orientation 6, labelled on the upright photo (<size> is the rotated size)",
          "used in the rotated frame (warning)", [("rotated.jpg", "exif_orientation")], _exif_rotated, tags=1),
    _case("box-outside", "a box beyond the photo", "that object skipped, the good one used",
          [("photo.xml", "box_outside")], _box((W + 50, 10, W + 90, 40)), tags=1),
    _case("box-inverted", "xmin > xmax", "that object skipped", [("photo.xml", "inverted_box")],
          _box((200, 10, 150, 40)), tags=1),
    _case("box-zero", "a zero-area box", "that object skipped", [("photo.xml", "empty_box")],
          _box((150, 10, 150, 40)), tags=1),
    _case("box-nan", "NaN coordinate", "that object skipped", [("photo.xml", "bad_box")],
          _box(("nan", 10, 150, 40)), tags=1),
    _case("box-text", "non-numeric coordinate", "that object skipped", [("photo.xml", "bad_box")],
          _box((10, "ten", 150, 40)), tags=1),
    _case("box-missing", "an object without <bndbox>", "that object skipped", [("photo.xml", "bad_box")],
          _no_bndbox, tags=1),
    _case("duplicate", "the same box twice", "counted once (warning)", [("photo.xml", "duplicate_object")],
          _duplicate, tags=1),
    _case("class-near-miss", "class 'Tag' instead of 'tag'", "object skipped; the photo is no background",
          [("photo.xml", "class_near_miss"), ("photo.jpg", "no_usable_tag")], _near_miss),
    _case("broken-xml", "XML cut in half", "XML refused; photo not used",
          [("photo.xml", "bad_xml"), ("photo.jpg", "photo_xml_unusable")], _broken_xml),
    _case("latin1-xml", "XML in Latin-1: undeclared (refused) and declared (read)",
          "the undeclared one refused, the declared one used",
          [("raw.xml", "bad_xml"), ("raw.jpg", "photo_xml_unusable")], _latin1_xml, tags=1),
    _case("non-utf8-names", "a photo and an XML whose file names are not valid UTF-8", "both not read",
          [("caf\ufffd.jpg", "bad_file_name"), ("caf\ufffd.xml", "bad_file_name")], _bad_file_names, tags=1),
    _case("links", "symbolic links to a photo, an XML and a folder outside labels.dir", "none followed",
          [("evil.jpg", "link_outside"), ("evil.xml", "missing_photo"), ("secret.xml", "link_outside"),
           ("elsewhere", "link_outside")], _links),
    _case("small-photos", "500x400 photos, smaller than a 640 px tile: one tag-free, one with a tag",
          "the tag-free one skipped, the tag used; neither lends ground to tiles",
          [("small-ground.jpg", "photo_smaller_than_tile"), ("small-tagged.jpg", "photo_smaller_than_tile")],
          _small, tags=1),
    _case("size-and-orphans", "a wrong <size>, a photo without XML, an XML without photo",
          "real size used (warning); the orphans recorded",
          [("sized.xml", "size_mismatch"), ("lonely.jpg", "unlabelled_photo"), ("gone.xml", "missing_photo")],
          _size_and_orphans, tags=1),
)
"""The local cases, all in one labels folder (``labels/<case name>/``) beside :func:`base_set` in ``labels/base/``."""

CORPUS_CONFIG: dict[str, Any] = {"synth": {"tiles": {"train": 6, "val": 3, "test": 3}, "shards": 1}}
"""Synthesis kept small: enough to take every stage through."""


def write_corpus(labels: Path, outside: Path) -> None:
    """The shared labels folder: the base set and every local case."""
    write_outside(outside)
    base_set(labels / "base")
    for case in CASES:
        folder = labels / case.name
        folder.mkdir(parents=True, exist_ok=True)
        case.write(folder, outside)


# --- whole-set runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A label set with a run of its own: the rule that must fail and what its log must say, or success."""

    name: str
    what: str
    outcome: str
    write: Callable[[Path], None]
    config: dict[str, Any] = field(default_factory=dict)
    failing_rule: str | None = None
    log_says: tuple[str, ...] = ()
    identities: str | None = None
    """``labels.identities``: a file the run writes into the labels folder (None: no CSV)."""


def _empty(labels: Path) -> None:
    labels.mkdir(parents=True, exist_ok=True)
    (labels / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: not a photo


def _single_identity(labels: Path) -> None:
    base_set(labels, identities=("AXFD", "AXFD", "AXFD"))


def _big_tag(labels: Path) -> None:
    for i in range(3):
        background(labels, f"ground-{i}", w=1600, h=1200, seed=60 + i)
    tagged(labels, "close-up", [(200, 300, 1000, 520)], "tag:BIG1", w=1600, h=1200, seed=63)  # 800 px wide
    tagged(labels, "normal", [(300, 200, 390, 232)], "tag:NRM1", seed=64)


def _all_small(labels: Path) -> None:
    for i in range(3):
        background(labels, f"ground-{i}", w=600, h=500, seed=70 + i)
    for i, code in enumerate(("AXFD", "BC12", "CD35")):
        tagged(labels, f"bird-{i}", [(40, 50, 130, 82)], f"tag:{code}", w=600, h=500, seed=73 + i)


def _identities_not_utf8(labels: Path) -> None:
    base_set(labels)
    (labels / "identities.csv").write_bytes(b"image,xmin,ymin,xmax,ymax,identity\n"
                                            b"bird-0.jpg,100,120,190,152,CAF\xc9\n")


NO_HOLD_OUT = {"split": {"val_fraction": 0, "test_fraction": 0},
               "synth": {"tiles": {"train": 6, "val": 0, "test": 0}, "shards": 1, "tags_per_tile": [0, 1]}}

RUNS: tuple[Run, ...] = (
    Run("empty-folder", "labels.dir holds nothing but a hidden file", "index_labels fails naming the folder",
        _empty, failing_rule="index_labels", log_says=("no photo and no labelImg XML",)),
    Run("single-identity", "three tags, all of one bird", "split fails: one identity cannot fill train, val and test",
        _single_identity, failing_rule="split", log_says=("only 1 tag identities (AXFD)", "at least 3")),
    Run("identities-not-utf8", "an identities CSV in Latin-1", "index_labels fails naming the file",
        _identities_not_utf8, failing_rule="index_labels", log_says=("identities.csv: not UTF-8 text",),
        identities="identities.csv"),
    Run("tag-larger-than-tile", "an 800x220 px tag, larger than the 640 px tile (nothing held out)",
        "pasted shrunk to fit, its label the shrunk box; the log says so", _big_tag, config=NO_HOLD_OUT),
    Run("photos-smaller-than-tile", "every photo 600x500, smaller than a 640 px tile",
        "tag-free photos recorded as skipped; synthesis fails naming the photos and the keys to change",
        _all_small, failing_rule="synthesize",
        log_says=("no 640x640 tag-free window fits", "bird-", "synth.tile_size")),
)


README_HEAD = """# The hostile-input corpus

Broken and hostile label sets, written by code in `tests/corpus.py` (photos are generated, so
nothing binary is checked in) and run through the real workflow by `tests/test_corpus.py`:
index_labels -> extract_tags -> split -> synthesize -> coco (and provenance). Look at them with
`python tests/corpus.py /tmp/corpus`; this file is `python tests/corpus.py --readme`.

Rules every case is held to: a clear error naming the file and the defect, or a recorded row in
`results/labels/problems.csv`; never a traceback in any log; nothing opened outside `labels.dir`
(an audit hook in every job's Python records each file opened) and the secret planted outside
never copied into an output; every photo and XML of a case either used or named in problems.csv.
Usable tags must be cut from the right pixels (whatever the format or EXIF rotation): the crop's
tag box is bright and grey, its margin dark.

## Local cases

All in one labels folder, each in its own sub-folder beside a healthy base set (three birds, three
tag-free photos), one workflow run. `problems.csv` must hold exactly the rows listed for the
case's files (file: code).

| case | input | expected problems.csv rows | tags used | outcome |
|---|---|---|---|---|
"""

README_MIDDLE = """
## Whole-set runs

Each changes the fate of the whole label set, so it runs on its own.

| run | input | outcome | failing rule | its log says |
|---|---|---|---|---|
"""

README_TAIL = """
Beside these, `labels.on_problem: error` over the local cases must fail index_labels with one
message naming every defect (`N defect(s)`, one line per file), and `tests/test_workflow.py` runs
a table of invalid config values through a dry run, each rejected with its key named.

## Known limit

A JPEG whose compressed data is damaged but whose structure is intact (bit flips inside the
scan) decodes without error to wrong pixels: JPEG has no checksum, and neither Pillow nor OpenCV
reports libjpeg's warnings. Such a photo is used as it decodes. Truncated files, damaged headers
and files that are not images are caught (`unreadable_photo`).
"""


def _md(text: str) -> str:
    """Table cell text: XML element names in backticks (else Markdown takes them for HTML)."""
    import re

    return re.sub(r"<(/?[a-z]+)>", r"`<\1>`", text)


def readme() -> str:
    """``tests/corpus.md``: every case and run with its expected outcome."""
    lines = [README_HEAD.rstrip("\n")]
    for c in CASES:
        rows = ", ".join(f"`{f}`: `{code}`" for f, code in c.problems) or "none"
        lines.append(f"| `{c.name}` | {_md(c.what)} | {rows} | {c.tags} | {_md(c.outcome)} |")
    lines.append(README_MIDDLE.rstrip("\n"))
    for r in RUNS:
        says = "; ".join(f"`{w}`" for w in r.log_says) or "-"
        lines.append(f"| `{r.name}` | {_md(r.what)} | {_md(r.outcome)} | {r.failing_rule or '- (succeeds)'} | {says} |")
    return "\n".join(lines) + "\n" + README_TAIL


def main(argv: Sequence[str]) -> int:
    """``python tests/corpus.py DIR``: write the corpus (DIR/labels, DIR/outside, DIR/runs/<name>);
    ``--readme``: print tests/corpus.md."""
    if list(argv) == ["--readme"]:
        sys.stdout.write(readme())
        return 0
    if len(argv) != 1:
        print(__doc__.split("\n\n")[0], "\nusage: python tests/corpus.py DIR | --readme", file=sys.stderr)
        return 2
    root = Path(argv[0])
    write_corpus(root / "labels", root / "outside")
    for run in RUNS:
        run.write(root / "runs" / run.name)
    print(f"wrote {len(CASES)} cases into {root / 'labels'} and {len(RUNS)} runs into {root / 'runs'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
