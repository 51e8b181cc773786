"""The labelImg round trip: rule detect's pre-labels (``results/detect/voc/``), corrected by a biologist, read back
as labels beside the hand-labelled folder (``labels.dir`` of several entries, spatule.labels.dirs), and trained on:
the corrected bird reaches the split, the tags synthesis pastes for the detector and those the reader learns from.

The stages run as Python functions on a small demo campaign and a later day of it (a second or two); the search is
stood in for by detection rows made from the new day's truth, so no model is trained. One ``snakemake -n`` shows
the workflow takes a list."""

from __future__ import annotations

import csv
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import snakemake
from spatule.config import default
from spatule.detection.prelabels import WRITTEN, write_voc
from spatule.detection.rows import DetectionRow
from spatule.labels.dirs import LabelDirs, short_names
from spatule.labels.objects import read_objects_csv
from spatule.problems import SpatuleError
from spatule.reading.labelled import LabelledTags, coded_tags
from spatule.reading.registry import UNREAD
from spatule.stages.labelling import extract_tags, index_labels
from spatule.stages.splitting import SplitTables, split

PARAMS = dict(seed=7, photos=12, identities=6, width=960, height=720, info_bar_px=30, new_photos=6)
"""A small demo campaign and its new day (the sizes tests/test_demo.py draws a new day at)."""


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``photos/`` (labelled, with ``identities.csv``) and ``new/`` (a later day, no XML, ``truth.csv``)."""
    from spatule.demo import DemoParams, generate_campaign
    from spatule.demo.new_day import generate_new_day

    root = tmp_path_factory.mktemp("roundtrip")
    params = DemoParams(**PARAMS)
    generate_campaign(root / "photos", root / "identities.csv", params)
    generate_new_day(root / "new", root / "truth.csv", params)
    return root


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


BOX = ("xmin", "ymin", "xmax", "ymax")


@dataclass(frozen=True)
class Correction:
    """What the biologist fixes in one voc file: a box left ``tag`` (unread) named ``tag:CODE``, and a box
    drawn off its tag (``found``) moved onto it."""

    photo: str
    unread: dict[str, str]
    moved: dict[str, str]
    found: tuple[int, int, int, int]


def box_of(tag: dict[str, str]) -> tuple[int, int, int, int]:
    return tuple(int(tag[c]) for c in BOX)  # type: ignore[return-value]


def off_by(box: tuple[int, int, int, int], px: int) -> tuple[int, int, int, int]:
    """The box moved ``px`` towards the middle of the photo (so that it stays inside it)."""
    dx = px if box[0] + box[2] < PARAMS["width"] else -px
    dy = px if box[1] + box[3] < PARAMS["height"] else -px
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def search_rows(root: Path) -> tuple[list[DetectionRow], Correction]:
    """What a search of ``new/`` would give, from the truth: every readable tag found and read as its bird,
    except, in a photo of two tags or more, one (clear of the border) left unread and another boxed 12 px off."""
    truth = [t for t in read_csv(root / "truth.csv") if t["difficult"] == "0"]
    inside = [t for t in truth if min(*box_of(t)[:2], PARAMS["width"] - box_of(t)[2],
                                      PARAMS["height"] - box_of(t)[3]) > 2]
    photos = [p for p in sorted({t["image"] for t in inside}) if sum(t["image"] == p for t in truth) >= 2]
    if not photos:
        pytest.fail("the demo's new day has no photo of two tags, one clear of the border: change PARAMS")
    unread = next(t for t in inside if t["image"] == photos[0])
    moved = next(t for t in truth if t["image"] == photos[0] and t is not unread)
    fix = Correction(photos[0], unread, moved, off_by(box_of(moved), 12))
    rows = []
    for k, tag in enumerate(truth):
        box = fix.found if tag is moved else box_of(tag)
        code = UNREAD if tag is unread else tag["identity"]
        rows.append(DetectionRow(tag["image"], k + 1, *map(float, box), 0.9, PARAMS["width"], PARAMS["height"], "",
                                 0, 0, 0, 0, {"registry_match": code}))
    return rows, fix


def correct_in_labelimg(xml: Path, fix: Correction) -> None:
    """As a biologist in labelImg: the unread box named ``tag:<its true code>``, the other moved onto its tag
    (labelImg saves the whole file anew)."""
    tree = ET.parse(xml)
    done = []
    for obj in tree.getroot().findall("object"):
        box = tuple(int(obj.findtext(f"bndbox/{c}")) for c in BOX)
        if box == box_of(fix.unread):
            assert obj.findtext("name") == "tag"  # spatule wrote it unread
            obj.find("name").text = f"tag:{fix.unread['identity']}"
            done.append("named")
        if box == fix.found:
            for c in BOX:
                obj.find(f"bndbox/{c}").text = fix.moved[c]
            done.append("moved")
    assert sorted(done) == ["moved", "named"], done
    tree.getroot().set("verified", "yes")
    tree.write(xml, encoding="utf-8")


@dataclass(frozen=True)
class RoundTrip:
    root: Path
    fix: Correction
    voc_tables: tuple[list, list]
    corrected: bytes


@pytest.fixture(scope="module")
def round_trip(campaign: Path) -> RoundTrip:
    """results/detect/voc/ written by spatule's writer, one file corrected, the writer run again."""
    voc = campaign / "results/detect/voc"
    rows, fix = search_rows(campaign)
    first = write_voc(voc, campaign / "new", rows)
    shutil.copytree(voc, campaign / "voc-as-written")  # the uncorrected folder, for the comparison below
    xml = voc / Path(fix.photo).with_suffix(".xml")
    correct_in_labelimg(xml, fix)
    corrected = xml.read_bytes()
    again = write_voc(voc, campaign / "new", rows)  # a later detect run: the corrected file must stay
    return RoundTrip(campaign, fix, (first, again), corrected)


def stages(root: Path, entries: list, out: Path) -> SplitTables:
    """index_labels, extract_tags and split over ``labels.dir: entries``, as their rules run them."""
    dirs = LabelDirs.of(entries)
    out.mkdir(parents=True)
    index_labels(dirs, root / "identities.csv", {"dir": entries}, out / "objects.csv", out / "problems.csv")
    extract_tags(dirs, out / "objects.csv", out / "crops", out / "tags.csv", default("tags", "margin_px"),
                 default("tags", "margin_fraction"))
    tables = SplitTables(*(out / f"{name}.csv" for name in ("identities", "backgrounds", "photos")),
                         out / "summary.json")
    every_bird_trains = {"val_fraction": 0.0, "test_fraction": 0.0, "seed": 1}
    split(out / "objects.csv", out / "tags.csv", every_bird_trains, tables, labels_dir=dirs)
    return tables


def test_the_writer_keeps_the_corrected_file(round_trip: RoundTrip):
    first, again = round_trip.voc_tables
    xml = Path(round_trip.fix.photo).with_suffix(".xml").as_posix()
    assert {r[0]: r[3] for r in first}[xml] == "written"
    assert {r[0]: r[3] for r in again}[xml] == "kept"
    assert all(state == "written" for name, _, _, state in again if name != xml)
    voc = round_trip.root / "results/detect/voc"
    assert (voc / xml).read_bytes() == round_trip.corrected
    assert (voc / WRITTEN).is_file()


def test_the_corrected_bird_reaches_the_split_synthesis_and_the_reader(round_trip: RoundTrip, tmp_path: Path):
    from spatule.synth import synth_sources

    root, fix = round_trip.root, round_trip.fix
    entries = [str(root / "photos"), {"xml": str(root / "results/detect/voc"), "photos": str(root / "new")}]
    tables = stages(root, entries, tmp_path / "after")
    image, code = f"new/{fix.photo}", fix.unread["identity"]
    objects = [r for r in read_objects_csv(tmp_path / "after/objects.csv") if r.kind == "tag"]
    named = [r for r in objects if r.image == image and r.identity == code]
    assert [(r.xml, r.name, r.identity_source) for r in named] == [(f"voc/{Path(fix.photo).with_suffix('.xml')}",
                                                                      f"tag:{code}", "name")]
    assert [r.box for r in objects if r.image == image and r.identity == fix.moved["identity"]] == [
        box_of(fix.moved)]  # the box as moved onto the tag, not as found
    # the hand-labelled folder is read as before, under its folder's name, every row of its identities CSV
    # matching a tag (a photo in a sub-folder by its path in its folder)
    assert {r.identity_source for r in objects if r.image.startswith("photos/")} == {"csv"}
    problems = read_csv(tmp_path / "after/problems.csv")
    assert not [p for p in problems if p["severity"] == "error" or p["code"].startswith("identity")], problems
    # the split: the bird, its photo, and the corrected tag among those of its split
    split_of = {r["identity"]: r["split"] for r in read_csv(tables.identities)}
    assert split_of[code] == "train"  # val_fraction = test_fraction = 0: every bird trains
    assert {r["image"]: r["split"] for r in read_csv(tables.photos)}[image] == "train"
    tags = [t for t in read_csv(tmp_path / "after/tags.csv") if t["image"] == image and t["identity"] == code]
    assert len(tags) == 1 and tags[0]["identity_source"] == "name"
    tag_id = tags[0]["tag_id"]
    # what synthesize pastes for the detector's train tiles
    grounds, pasted = synth_sources("train", *(tmp_path / f"after/{t}.csv" for t in (
        "objects", "problems", "backgrounds", "photos", "identities", "tags")), use_labelled_regions=True)
    assert (tag_id, code, image) in {(t.tag_id, t.identity, t.image) for t in pasted}
    assert image in {g.image for g in grounds}
    # what train_reader learns from: the labelled train tags whose identity is a code
    labelled = LabelledTags(tmp_path / "after/tags.csv", tmp_path / "after/crops", tables.identities)
    reader_tags = coded_tags(labelled, default("read", "alphabet"), default("read", "code_length"), ("train",))
    assert (tag_id, code) in {(t["tag_id"], t["identity"]) for t in reader_tags}
    assert (tmp_path / "after/crops" / tags[0]["file"]).is_file()


def test_before_the_correction_the_unread_tag_has_no_code(round_trip: RoundTrip, tmp_path: Path):
    root, fix = round_trip.root, round_trip.fix
    entries = [str(root / "photos"), {"xml": str(root / "voc-as-written"), "photos": str(root / "new")}]
    stages(root, entries, tmp_path / "before")
    image = f"new/{fix.photo}"
    objects = [r for r in read_objects_csv(tmp_path / "before/objects.csv") if r.image == image]
    (unread,) = [r for r in objects if r.box == box_of(fix.unread)]
    assert (unread.name, unread.identity_source) == ("tag", "photo") and unread.identity != fix.unread["identity"]


def test_one_folder_reads_as_before(campaign: Path, tmp_path: Path):
    """labels.dir as one folder, as a Path, as a one-item list: the same names and the same bytes."""
    outputs = []
    for k, value in enumerate([campaign / "photos", str(campaign / "photos"), [str(campaign / "photos")]]):
        out = tmp_path / str(k)
        out.mkdir()
        index_labels(value if isinstance(value, Path) else LabelDirs.of(value), campaign / "identities.csv",
                     {}, out / "objects.csv", out / "problems.csv")
        outputs.append(((out / "objects.csv").read_bytes(), (out / "problems.csv").read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"\nIMAG0001.JPG,IMAG0001.xml,tag," in outputs[0][0]


@pytest.mark.parametrize("copied", [True, False], ids=["a copy", "the same file"])
def test_a_photo_labelled_in_two_folders_stops_the_index_naming_both(campaign: Path, tmp_path: Path, copied: bool):
    """A hand-labelled photo that a voc XML labels too, copied among the new photos (the same bytes) or where it
    lies (the same file): one error naming both XML, nothing written."""
    photos, voc = (tmp_path / "new" if copied else campaign / "photos"), tmp_path / "voc"
    if copied:
        photos.mkdir()
        shutil.copy(campaign / "photos/IMAG0005.JPG", photos / "IMAG0005.JPG")
    write_voc(voc, photos, [DetectionRow("IMAG0005.JPG", 1, 206, 296, 228, 327, 0.9, 960, 720, "", 0, 0, 0, 0, {})])
    entries = [str(campaign / "photos"), {"xml": str(voc), "photos": str(photos)}]
    with pytest.raises(SpatuleError) as info:
        index_labels(LabelDirs.of(entries), None, {}, tmp_path / "objects.csv", tmp_path / "problems.csv")
    message = str(info.value)
    assert message.startswith("labels.dir: 1 photo(s) labelled in two of its folders: "), message
    assert "photos/IMAG0005.JPG (labelled by photos/IMAG0005.xml) and " \
           f"{'new' if copied else 'photos'}/IMAG0005.JPG (labelled by voc/IMAG0005.xml) are the same photo" in message
    assert not (tmp_path / "objects.csv").exists()


def test_names_and_photo_paths_of_several_folders(tmp_path: Path):
    dirs = LabelDirs.of(["a/photos", "b/photos", {"xml": "results/detect/voc", "photos": "/data/new"}])
    assert [(e.xml_prefix, e.photo_prefix) for e in dirs.entries] == [
        ("a/photos", "a/photos"), ("b/photos", "b/photos"), ("detect/voc", "data/new")]
    assert dirs / "b/photos/cam1/x.jpg" == Path("b/photos/cam1/x.jpg")
    assert dirs / "data/new/cam1/y.JPG" == Path("/data/new/cam1/y.JPG")
    assert dirs.folders() == ["a/photos", "b/photos", "results/detect/voc", "/data/new"]
    assert LabelDirs.of("photos/") / "x.jpg" == Path("photos/x.jpg") and str(LabelDirs.of("photos/")) == "photos"
    assert short_names(["x/photos", "new"]) == {str(Path("x/photos").absolute()): "photos",
                                                str(Path("new").absolute()): "new"}
    with pytest.raises(SpatuleError, match="lists photos twice"):
        LabelDirs.of(["photos", "./photos"])
    with pytest.raises(SpatuleError, match="neither a folder nor"):
        LabelDirs.of(["photos", {"xml": "voc"}])


@pytest.mark.workflow
def test_the_workflow_takes_several_folders(tmp_path: Path):
    """``snakemake -n`` with labels.dir the demo's photos and a corrected voc folder over the demo's new photos:
    both folders and the photos are inputs of index_labels, and the demo stays the demo (detect searches its
    new photos); a folder listed twice is refused before anything runs."""
    voc = tmp_path / "voc"
    voc.mkdir()
    config = tmp_path / "several.yaml"
    config.write_text(yaml.safe_dump({"labels": {"dir": ["resources/demo/photos",
                                                         {"xml": str(voc), "photos": "resources/demo/new"}]}}))
    result = snakemake(tmp_path / "w", "-n", "--cores", "2", configfile=config)
    output = result.stdout + result.stderr
    job = output.split("rule index_labels:", 1)[1].split("\n\n", 1)[0]
    assert "resources/demo/photos" in job and str(voc) in job and "resources/demo/new" in job, job
    assert "rule detect:" in output and "resources/demo/new" in output.split("rule detect:", 1)[1]
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"labels": {"dir": ["resources/demo/photos", "resources/demo/photos/"]}}))
    refused = snakemake(tmp_path / "w2", "-n", configfile=twice, check=False)
    assert refused.returncode != 0 and "lists resources/demo/photos twice" in refused.stdout + refused.stderr
