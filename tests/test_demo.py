"""The synthetic demo campaign: deterministic, counted right, boxes on the pixels, labelImg XML."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

from spatule import demo
from spatule.code_space import ALPHABET, distinct_codes, random_code
from spatule.demo import DemoParams, DemoSummary, generate_campaign

SMALL = DemoParams(seed=5, photos=8, identities=4, width=640, height=480, info_bar_px=20)


@dataclass(frozen=True)
class Campaign:
    root: Path
    photos: Path
    summary: DemoSummary
    rows: list[dict[str, str]]
    params: DemoParams

    def boxes(self) -> dict[str, list[tuple[int, int, int, int]]]:
        out: dict[str, list[tuple[int, int, int, int]]] = defaultdict(list)
        for row in self.rows:
            out[row["image"]].append(tuple(int(row[c]) for c in ("xmin", "ymin", "xmax", "ymax")))
        return out

    def images(self) -> list[str]:
        return sorted(p.relative_to(self.photos).as_posix() for p in self.photos.rglob("*.JPG"))

    def flags(self) -> dict[tuple[str, tuple[int, int, int, int]], tuple[bool, bool]]:
        """(image, box) -> (difficult, truncated), from the XML."""
        out = {}
        for name in self.images():
            for obj in _parse((self.photos / name).with_suffix(".xml")).findall("object"):
                box = tuple(int(obj.findtext(f"bndbox/{c}")) for c in ("xmin", "ymin", "xmax", "ymax"))
                out[(name, box)] = (obj.findtext("difficult") == "1", obj.findtext("truncated") == "1")
        return out

    def plain_boxes(self) -> dict[str, list[tuple[int, int, int, int]]]:
        """The boxes of whole, legible tags (neither difficult nor cut by the border)."""
        flags = self.flags()
        return {image: [b for b in boxes if not any(flags[(image, b)])] for image, boxes in self.boxes().items()}


def _generate(root: Path, params: DemoParams, workers: int = 1) -> Campaign:
    summary = generate_campaign(root / "photos", root / "identities.csv", params, workers)
    with (root / "identities.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Campaign(root, root / "photos", summary, rows, params)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    """The default campaign, generated once for the module."""
    return _generate(tmp_path_factory.mktemp("demo"), DemoParams())


@pytest.fixture(scope="module")
def easy_campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    """Without the hard cases (occluders, night frames): for checks of the band itself."""
    return _generate(tmp_path_factory.mktemp("easy"), DemoParams(hard_cases=False, night_fraction=0.0))


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None, path
    return image.astype(np.float32)


def _parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(path.read_bytes(), parser)


# --------------------------------------------------------------------------- determinism


def test_same_params_give_byte_identical_files_whatever_the_workers(tmp_path: Path) -> None:
    a = _generate(tmp_path / "a", SMALL)
    b = _generate(tmp_path / "b", SMALL, workers=2)
    digests_a, digests_b = _digests(a.root), _digests(b.root)
    assert len(digests_a) == 2 * SMALL.photos + 1  # photos, XML, identities.csv
    assert digests_a == digests_b
    assert a.summary == b.summary


def test_other_seed_gives_other_photos(tmp_path: Path) -> None:
    a = _digests(_generate(tmp_path / "a", SMALL).root)
    b = _digests(_generate(tmp_path / "b", DemoParams(**{**SMALL.__dict__, "seed": SMALL.seed + 1})).root)
    photos = [name for name in a if name.endswith(".JPG")]
    assert sorted(photos) == sorted(n for n in b if n.endswith(".JPG"))  # same names
    assert all(a[name] != b[name] for name in photos)


def test_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "stale.JPG").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        generate_campaign(tmp_path / "photos", tmp_path / "identities.csv", SMALL)


# --------------------------------------------------------------------------- counts and names


def test_counts_follow_the_params(campaign: Campaign) -> None:
    params = campaign.params
    images = campaign.images()
    assert len(images) == params.photos == campaign.summary.photos
    tagged = {row["image"] for row in campaign.rows}
    background = [name for name in images if name not in tagged]
    assert len(background) == campaign.summary.background_photos
    assert abs(len(background) / params.photos - params.background_fraction) <= 0.5 / params.photos + 1e-9
    assert campaign.summary.tag_photos == len(tagged)
    assert campaign.summary.tags == len(campaign.rows)
    flags = campaign.flags()
    assert campaign.summary.difficult == sum(d for d, _ in flags.values())
    assert campaign.summary.truncated == sum(t for _, t in flags.values())
    per_photo = campaign.boxes()
    assert all(1 <= len(boxes) <= 3 for boxes in campaign.plain_boxes().values() if boxes)
    assert all(1 <= len(boxes) <= 4 for boxes in per_photo.values())  # + at most one far, difficult tag


def test_identities_are_codes_seen_several_times(campaign: Campaign) -> None:
    photos_of: dict[str, set[str]] = defaultdict(set)
    flags = campaign.flags()
    for row in campaign.rows:
        code = row["identity"]
        box = tuple(int(row[c]) for c in ("xmin", "ymin", "xmax", "ymax"))
        if flags[(row["image"], box)][0]:  # a far tag nobody can read: its own identity, seen once
            assert code.startswith("far-"), code
            continue
        assert len(code) == 4 and set(code) <= set(ALPHABET), code
        photos_of[code].add(row["image"])
    assert len(photos_of) >= 12
    assert len(photos_of) == campaign.summary.identities == campaign.params.identities
    assert all(len(photos) >= 2 for photos in photos_of.values()), photos_of
    # a bird shows one band: its code appears at most once per photo
    pairs = [(row["image"], row["identity"]) for row in campaign.rows]
    assert len(pairs) == len(set(pairs))


def test_names_look_like_a_real_collection(campaign: Campaign) -> None:
    images = campaign.images()
    assert all(name.endswith(".JPG") for name in images)
    assert any(" " in name and "(" in name for name in images)
    assert any("/" in name for name in images)
    assert sum(Path(name).name.startswith("IMAG") for name in images) > len(images) / 2
    for name in images:
        assert (campaign.photos / name).with_suffix(".xml").is_file(), name


def test_identities_csv_layout(campaign: Campaign) -> None:
    text = (campaign.root / "identities.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "image,xmin,ymin,xmax,ymax,identity"
    keys = [(row["image"], int(row["xmin"])) for row in campaign.rows]
    assert keys == sorted(keys)
    for row in campaign.rows:
        assert (campaign.photos / row["image"]).is_file(), row["image"]


# --------------------------------------------------------------------------- boxes on the pixels


def test_boxes_inside_the_photo_above_the_bar_and_disjoint(campaign: Campaign) -> None:
    params = campaign.params
    flags = campaign.flags()
    for image, boxes in campaign.boxes().items():
        for x0, y0, x1, y1 in boxes:
            assert 0 <= x0 < x1 <= params.width and 0 <= y0 < y1 <= params.height - params.info_bar_px, (image, boxes)
            difficult, truncated = flags[(image, (x0, y0, x1, y1))]
            if difficult:  # far: small
                assert x1 - x0 <= 30 and y1 - y0 <= 40, (image, x1 - x0, y1 - y0)
            elif truncated:  # cut by the photo border: touches it
                assert x0 == 0 or y0 == 0 or x1 == params.width, (image, (x0, y0, x1, y1))
            else:  # tag sizes at 1600x1200: roughly 28-70 wide, 45-100 tall, taller than wide
                assert 20 <= x1 - x0 <= 90 and 40 <= y1 - y0 <= 110, (image, x1 - x0, y1 - y0)
                assert y1 - y0 > x1 - x0
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (image, a, b)


def test_boxes_hold_a_bright_band_with_dark_text(easy_campaign: Campaign) -> None:
    campaign = easy_campaign
    bar = campaign.params.info_bar_px
    for image, boxes in campaign.plain_boxes().items():
        grey = _grey(campaign.photos / image)
        height = grey.shape[0] - bar
        for x0, y0, x1, y1 in boxes:
            inside = grey[y0:y1, x0:x1]
            m = 30
            ring = np.concatenate([grey[max(0, y0 - m):y0, x0:x1].ravel(), grey[y1:min(height, y1 + m), x0:x1].ravel(),
                                   grey[y0:y1, max(0, x0 - m):x0].ravel(), grey[y0:y1, x1:x1 + m].ravel()])
            ground = float(np.median(ring))
            bright = float(np.percentile(inside, 90))
            assert bright >= ground + 35, (image, (x0, y0, x1, y1), bright, ground)
            # the centre of the box is band: dark ink there, on a mostly bright background
            w, h = x1 - x0, y1 - y0
            centre = inside[int(0.2 * h): h - int(0.2 * h), int(0.25 * w): w - int(0.25 * w)]
            assert (centre < 0.5 * bright).mean() >= 0.05, (image, (x0, y0, x1, y1))
            # a tight box: a good share of it is bright band (a box twice too big fails this)
            assert (inside > (bright + ground) / 2).mean() >= 0.22, (image, (x0, y0, x1, y1))
            # ... and a well-placed one: just outside each side there is no band (a box a few
            # pixels off leaves a bright sliver of band there)
            sides = [grey[y0 - 3:y0, x0:x1], grey[y1:y1 + 3, x0:x1], grey[y0:y1, x0 - 3:x0], grey[y0:y1, x1:x1 + 3]]
            for side in sides:
                assert (side > (bright + ground) / 2).mean() < 0.4, (image, (x0, y0, x1, y1))


def test_the_band_sits_on_a_dark_leg(easy_campaign: Campaign) -> None:
    campaign = easy_campaign
    for image, boxes in campaign.plain_boxes().items():
        grey = _grey(campaign.photos / image)
        for x0, y0, x1, y1 in boxes:
            w = x1 - x0
            left = max(0, x0 - w // 2)
            strips = [grey[y0 - 10:y0 - 4, left:x1 + w // 2] if y0 >= 10 else None,
                      grey[y1 + 4:y1 + 10, left:x1 + w // 2]]
            assert any(strip is not None and strip.size for strip in strips), (image, (x0, y0, x1, y1))
            for strip in (s for s in strips if s is not None and s.size):
                columns = cv2.blur(strip.mean(axis=0, keepdims=True), (5, 1))
                assert columns.min() < 65, (image, (x0, y0, x1, y1), columns.min())


def test_background_photos_have_no_band(campaign: Campaign) -> None:
    tagged = {row["image"] for row in campaign.rows}
    for name in campaign.images():
        if name in tagged:
            continue
        root = _parse((campaign.photos / name).with_suffix(".xml"))
        assert root.findall("object") == []


# --------------------------------------------------------------------------- XML


def test_xml_is_labelimg_voc_matching_the_csv(campaign: Campaign) -> None:
    boxes = campaign.boxes()
    for name in campaign.images():
        photo = campaign.photos / name
        root = _parse(photo.with_suffix(".xml"))
        assert root.tag == "annotation"
        assert root.findtext("filename") == Path(name).name
        path = root.findtext("path")
        assert path.startswith("/") and path.endswith("/" + name)
        assert root.findtext("folder") == Path(path).parent.name
        assert root.findtext("source/database") == "Unknown"
        assert root.findtext("segmented") == "0"
        image = cv2.imread(str(photo), cv2.IMREAD_UNCHANGED)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        size = (int(root.findtext("size/width")), int(root.findtext("size/height")), int(root.findtext("size/depth")))
        assert size == (image.shape[1], image.shape[0], 3) == (campaign.params.width, campaign.params.height, 3)
        xml_boxes = []
        for obj in root.findall("object"):
            assert obj.findtext("name") == "tag"
            assert obj.findtext("pose") == "Unspecified"
            assert obj.findtext("truncated") in ("0", "1") and obj.findtext("difficult") in ("0", "1")
            xml_boxes.append(tuple(int(obj.findtext(f"bndbox/{c}")) for c in ("xmin", "ymin", "xmax", "ymax")))
        assert sorted(xml_boxes) == sorted(boxes.get(name, [])), name


def test_photo_xml_escapes_and_parses() -> None:
    text = demo.photo_xml("cam<1>/a & b (2).JPG", 640, 480, [demo.DemoTag((1, 2, 30, 60), "H2SV", truncated=True)])
    root = etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.findtext("filename") == "a & b (2).JPG"
    assert root.findtext("folder") == "cam<1>"
    assert root.findtext("path") == f"{demo.FOREIGN_ROOT}/cam<1>/a & b (2).JPG"
    assert [int(root.findtext(f"object/bndbox/{c}")) for c in ("xmin", "ymin", "xmax", "ymax")] == [1, 2, 30, 60]
    assert (root.findtext("object/truncated"), root.findtext("object/difficult")) == ("1", "0")
    assert "\t<object>" in text and not text.startswith("<?xml")
    empty = etree.fromstring(demo.photo_xml("b.JPG", 10, 10, []).encode())
    assert empty.findall("object") == [] and empty.findtext("size/depth") == "3"
    assert empty.findtext("folder") == demo.FOREIGN_ROOT.name


# --------------------------------------------------------------------------- info bar


def test_info_bar_is_dark_with_white_text(campaign: Campaign) -> None:
    bar = campaign.params.info_bar_px
    for name in campaign.images()[::5]:
        grey = _grey(campaign.photos / name)
        strip = grey[-bar:]
        assert (strip < 60).mean() > 0.8, name
        assert (strip > 180).mean() > 0.01, name
        above = grey[-bar - 6:-bar]
        assert (above < 60).mean() < 0.5, name  # the bar is exactly info_bar_px tall


def test_info_bar_helper() -> None:
    bar = demo.info_bar(800, 30, datetime(2018, 5, 7, 9, 10), 21, "CAM-1")
    assert bar.shape == (30, 800, 3) and bar.dtype == np.uint8
    assert (bar < 60).mean() > 0.8 and (bar > 180).mean() > 0.01
    later = demo.info_bar(800, 30, datetime(2018, 5, 7, 9, 20), 21, "CAM-1")
    assert not np.array_equal(bar, later)  # the time is written


# --------------------------------------------------------------------------- helpers


def test_random_codes_use_the_alphabet() -> None:
    rng = np.random.default_rng(0)
    codes = [random_code(rng) for _ in range(200)]
    assert all(len(c) == 4 and set(c) <= set(ALPHABET) for c in codes)
    assert len(set("".join(codes))) > 15  # the whole alphabet is used, not a few letters
    distinct = distinct_codes(np.random.default_rng(1), 50)
    assert len(distinct) == len(set(distinct)) == 50
    assert sorted(distinct_codes(np.random.default_rng(1), 4, "12", 2)) == ["11", "12", "21", "22"]
    with pytest.raises(ValueError, match="there are 4"):
        distinct_codes(np.random.default_rng(1), 5, "12", 2)  # never an endless draw


@pytest.mark.parametrize("photos,identities,fraction", [(30, 14, 0.25), (6, 2, 0.0), (8, 4, 0.5), (12, 10, 0.25),
                                                        (40, 3, 0.8), (5, 0, 1.0)])
def test_plan_spreads_identities(photos: int, identities: int, fraction: float) -> None:
    params = DemoParams(photos=photos, identities=identities, background_fraction=fraction)
    for seed in range(5):
        plan = demo.plan_campaign(params, np.random.default_rng(seed))
        assert len(plan) == photos and len({p.image for p in plan}) == photos
        assert sum(1 for p in plan if not p.codes) == params.background_photos
        seen: dict[str, int] = defaultdict(int)
        for p in plan:
            assert len(p.codes) <= 3 and len(set(p.codes)) == len(p.codes)
            for code in p.codes:
                seen[code] += 1
        assert len(seen) == identities
        assert all(n >= 2 for n in seen.values())


def _cooccurrence_components(photos: list[list[str]]) -> list[set[str]]:
    """Identities linked when they share a photo: the connected components."""
    parent: dict[str, str] = {}

    def root(code: str) -> str:
        while parent.setdefault(code, code) != code:
            code = parent[code]
        return code

    for codes in photos:
        for code in codes:
            parent[root(code)] = root(codes[0])
    groups: dict[str, set[str]] = defaultdict(set)
    for code in parent:
        groups[root(code)].add(code)
    return list(groups.values())


def test_birds_are_seen_with_their_nest_neighbours_only(campaign: Campaign) -> None:
    by_photo: dict[str, list[str]] = defaultdict(list)
    for row in campaign.rows:
        if not row["identity"].startswith("far-"):  # a far bird nobody can read
            by_photo[row["image"]].append(row["identity"])
    components = _cooccurrence_components(list(by_photo.values()))
    assert sum(len(c) for c in components) == campaign.params.identities
    assert all(1 <= len(c) <= 3 for c in components), components
    assert len(components) >= 5, components
    for params, at_least in ((DemoParams(), 5), (DemoParams(photos=12, identities=10), 4)):  # other seeds too
        for seed in range(10):
            plan = demo.plan_campaign(params, np.random.default_rng(seed))
            components = _cooccurrence_components([list(p.codes) for p in plan if p.codes])
            assert all(1 <= len(c) <= 3 for c in components), (seed, params, components)
            assert len(components) >= at_least, (seed, params, components)


def test_impossible_params_are_refused() -> None:
    with pytest.raises(ValueError):
        DemoParams(photos=4, identities=10)  # 3 tag photos cannot hold 10 identities twice
    with pytest.raises(ValueError):
        DemoParams(background_fraction=1.5)
    with pytest.raises(ValueError):
        DemoParams(photos=10, identities=0, background_fraction=0.5)
    with pytest.raises(ValueError):
        DemoParams(info_bar_px=700)


def test_render_tag_mask_and_box_are_tight() -> None:
    rng = np.random.default_rng(3)
    for angle in (-15.0, 0.0, 9.0):
        bgr, mask = demo.render_tag("H2SV", rng, 80, 50, angle_deg=angle, shear=0.1, blur_sigma=0.8)
        assert bgr.dtype == np.uint8 and bgr.shape == mask.shape + (3,)
        assert mask.dtype == np.float32 and 0.0 <= mask.min() and mask.max() <= 1.0
        x0, y0, x1, y1 = demo.mask_box(mask)
        inside = mask > 0.5
        assert inside[y0:y1, x0:x1].sum() == inside.sum()  # nothing outside the box
        assert inside[y0, x0:x1].any() and inside[y1 - 1, x0:x1].any()  # each edge touched
        assert inside[y0:y1, x0].any() and inside[y0:y1, x1 - 1].any()
        assert y1 - y0 > x1 - x0  # taller than wide
        assert 0 < x0 and x1 < mask.shape[1] and 0 < y0 and y1 < mask.shape[0]  # the canvas holds it


def test_render_tag_is_white_with_black_ink_inside() -> None:
    bgr, mask = demo.render_tag("ZZZZ", np.random.default_rng(4), 90, 55, blur_sigma=0.0)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    band = grey[mask > 0.99]
    assert np.percentile(band, 90) > 170
    assert np.percentile(band, 3) < 70


def test_code_reads_bottom_to_top() -> None:
    """The band's ink matches the code turned 90 degrees anticlockwise, not clockwise."""
    code = "FJ35"
    bgr, mask = demo.render_tag(code, np.random.default_rng(6), 96, 64, blur_sigma=0.0)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    ink = np.where(mask > 0.9, 255.0 - grey, 0.0).astype(np.float32)
    font = ImageFont.truetype(str(demo.FONT_PATH), 64)
    best = {}
    for name, turn in (("bottom-to-top", cv2.ROTATE_90_COUNTERCLOCKWISE), ("top-to-bottom", cv2.ROTATE_90_CLOCKWISE)):
        left, top, right, bottom = font.getbbox(code)
        canvas = Image.new("L", (right - left + 4, bottom - top + 4), 0)
        ImageDraw.Draw(canvas).text((2 - left, 2 - top), code, fill=255, font=font)
        column = cv2.rotate(np.asarray(canvas, dtype=np.uint8), turn).astype(np.float32)
        scores = []
        for length in range(40, 96, 2):
            scale = length / column.shape[0]
            size = (max(3, round(column.shape[1] * scale)), length)
            template = cv2.resize(column, size, interpolation=cv2.INTER_AREA)
            if template.shape[0] > ink.shape[0] or template.shape[1] > ink.shape[1]:
                continue
            scores.append(float(cv2.matchTemplate(ink, template, cv2.TM_CCOEFF_NORMED).max()))
        best[name] = max(scores)
    assert best["bottom-to-top"] > 0.6, best
    assert best["bottom-to-top"] > best["top-to-bottom"] + 0.15, best


def test_ground_is_textured_grey_brown() -> None:
    ground = demo.draw_ground(np.random.default_rng(0), 640, 480)
    assert ground.shape == (480, 640, 3) and ground.dtype == np.uint8
    b, g, r = ground.reshape(-1, 3).mean(axis=0)
    assert r > b and g > b and 70 < g < 170  # warm, neither white nor black
    grey = cv2.cvtColor(ground, cv2.COLOR_BGR2GRAY)
    edges = np.abs(cv2.Laplacian(grey, cv2.CV_32F))
    assert (edges > 20).mean() > 0.05  # full of thin lines
    assert (grey > 160).mean() > 0.01 and (grey < 80).mean() > 0.01  # bright and dark straws


# --------------------------------------------------------------------------- as hard as the colony


def test_the_campaign_holds_the_hard_cases_of_real_photos(campaign: Campaign) -> None:
    summary = campaign.summary
    assert summary.difficult >= 3 and summary.truncated >= 2 and summary.occluded >= 5
    assert summary.night_photos >= 2
    greys = [name for name in campaign.images()
             if np.array_equal(*(cv2.imread(str(campaign.photos / name))[..., c] for c in (0, 2)))]
    assert len(greys) == summary.night_photos


def test_far_tags_are_small_blurred_and_difficult(campaign: Campaign) -> None:
    flags = campaign.flags()
    far = [(image, box) for (image, box), (difficult, _) in flags.items() if difficult]
    assert far
    for image, (x0, y0, x1, y1) in far:
        assert y1 < 0.5 * campaign.params.height  # the far ground, up the photo
        assert (y1 - y0) < 40


def test_yellow_nest_markers_are_drawn_and_not_labelled() -> None:
    rng = np.random.default_rng(2)
    image = np.full((300, 300, 3), 100, np.uint8)
    box = demo.draw_nest_marker(image, rng, (150.0, 120.0), 60.0)
    b, g, r = image[110:130, 130:170].reshape(-1, 3).mean(axis=0)
    assert r > 150 and g > 130 and b < 100  # yellow
    assert (image[100:140, 120:180].max(axis=2) < 60).any()  # black digits
    assert box[0] < 150 < box[2] and box[1] < 120 < box[3]


def test_an_occluder_hides_part_of_the_band_never_most_of_it() -> None:
    for seed in range(20):
        rng = np.random.default_rng(seed)
        image = np.full((200, 200, 3), 100, np.uint8)
        image[60:140, 80:120] = 235
        before = image.copy()
        kind = demo.occlude(image, rng, (80, 60, 120, 140), 80.0)
        changed = np.any(image[60:140, 80:120] != before[60:140, 80:120], axis=2).mean()
        assert kind in ("", "leg", "feather", "grass")
        assert (changed > 0) == bool(kind) and changed <= 0.5, (seed, kind, changed)


def test_the_new_day_shows_the_colonys_birds_unlabelled_and_later(tmp_path: Path) -> None:
    from spatule.demo.new_day import NEW_DAY, generate_new_day, new_day_seed, plan_new_day
    from spatule.demo.plan import PHOTO_INTERVAL

    params = DemoParams(seed=7, photos=12, identities=6, width=960, height=720, info_bar_px=30, new_photos=8)
    labelled = _generate(tmp_path / "labelled", params)
    summary = generate_new_day(tmp_path / "new", tmp_path / "truth.csv", params)
    files = sorted(p.relative_to(tmp_path / "new").as_posix() for p in (tmp_path / "new").rglob("*") if p.is_file())
    assert len(files) == summary.photos == 8 and all(f.endswith(".JPG") for f in files)  # photos only, no XML
    assert not set(files) & set(labelled.images())  # numbered on from the labelled days
    with (tmp_path / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    assert len(truth) == summary.tags > 0 and {r["image"] for r in truth} <= set(files)
    colony = {r["identity"] for r in labelled.rows if not r["identity"].startswith("far-")}
    seen = {r["identity"] for r in truth if r["difficult"] == "0"}
    assert seen and seen <= colony  # the same birds, nobody new
    for r in truth:
        x0, y0, x1, y1 = (int(r[c]) for c in ("xmin", "ymin", "xmax", "ymax"))
        assert 0 <= x0 < x1 <= params.width and 0 <= y0 < y1 <= params.height - params.info_bar_px, r
    from spatule.labels.photos import photo_time

    times = sorted(photo_time(tmp_path / "new" / f) for f in files)
    assert times[0] == "2018-05-21T06:00:00" and len(set(times)) == len(files)  # EXIF: the later day, 10 minutes apart
    plan_seed = new_day_seed(params).spawn(params.new_photos + 1)[0]
    planned = plan_new_day(params, np.random.default_rng(plan_seed))
    assert min(p.index for p in planned) * PHOTO_INTERVAL >= NEW_DAY  # the info bar shows the later day
    # the same params give the same bytes; no new photos: an empty folder
    generate_new_day(tmp_path / "again", tmp_path / "truth2.csv", params)
    assert _digests(tmp_path / "again") == _digests(tmp_path / "new")
    assert (tmp_path / "truth2.csv").read_bytes() == (tmp_path / "truth.csv").read_bytes()
    none = generate_new_day(tmp_path / "none", tmp_path / "truth3.csv", DemoParams(seed=7, new_photos=0))
    assert none.photos == 0 and not any((tmp_path / "none").iterdir())
