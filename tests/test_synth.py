"""Synthetic tiles: labels are the pasted pixels, plans are reproducible and split-pure."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from spatule.geometry import overlaps
from spatule.synth import (BLENDS, Ground, Jitter, Paste, SynthSettings, TagSource, TileSpec, affine, fit_scale,
                           fits_tile, ground_order, moved_box, pasted_geometry, plan_split, render_shard, render_tile,
                           shard_tiles)
from spatule.labels.voc import parse_voc

SIZE = 640


def make_crop(rng: np.random.Generator, width: int = 60, height: int = 90,
              margin: int = 12) -> tuple[np.ndarray, tuple]:
    """A dark-context crop with a bright band and dark 'characters': the tag box is the band."""
    crop = rng.integers(40, 90, (height, width, 3), dtype=np.uint8)
    box = (margin, margin, width - margin, height - margin)
    crop[box[1]:box[3], box[0]:box[2]] = 235
    crop[box[1] + 8:box[3] - 8:6, box[0] + 6:box[2] - 6] = 20
    return crop, box


def ground_window(rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(110, 25, (SIZE, SIZE, 3))
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2), 0, 255).astype(np.uint8)


def paste_at(tag: TagSource, blend: str, x: int, y: int, pad: int, jitter: dict | None = None) -> Paste:
    j = {"scale": 1.0, "rotation_deg": 0.0, "flip": False, **(jitter or {})}
    _, _, box, _ = pasted_geometry(tag, j["scale"], j["rotation_deg"], j["flip"], pad)
    placed = (x + pad, y + pad, x + pad + box[2] - box[0], y + pad + box[3] - box[1])
    return Paste(tag.tag_id, tag.identity, tag.image, j["scale"], j["rotation_deg"], j["flip"], 0.0, 0.0, 0.0,
                 blend, x, y, placed, False)


@pytest.mark.parametrize("blend", BLENDS)
def test_tile_changes_inside_each_box_and_nowhere_beyond_the_blend_pad(blend: str):
    rng = np.random.default_rng(3)
    crop, box = make_crop(rng)
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    pad = 4
    spec = TileSpec("train", 0, "p.JPG", 0, 0,
                    (paste_at(tag, blend, 100, 50, pad), paste_at(tag, blend, 400, 300, pad)))
    window = ground_window(rng)
    tile = render_tile(window, spec, {"t1": crop}, {"t1": tag}, pad)
    assert tile.dtype == np.uint8 and tile.shape == window.shape
    changed = np.any(tile != window, axis=2)
    allowed = np.zeros_like(changed)
    for paste in spec.pastes:
        x0, y0, x1, y1 = paste.box
        allowed[y0 - pad:y1 + pad, x0 - pad:x1 + pad] = True
        inside = np.abs(tile[y0:y1, x0:x1].astype(int) - window[y0:y1, x0:x1].astype(int)).mean()
        assert inside > 40, f"{blend}: box {paste.box} barely changed ({inside:.1f})"
        band = tile[y0 + 2:y1 - 2, x0 + 2:x1 - 2].max(axis=2)
        assert np.percentile(band, 90) > 180, f"{blend}: no bright band inside {paste.box}"
    assert not np.any(changed & ~allowed), f"{blend}: pixels changed outside the boxes + pad"


def test_alpha_paste_puts_the_exact_tag_pixels_in_the_box():
    rng = np.random.default_rng(5)
    crop, box = make_crop(rng)
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    paste = paste_at(tag, "alpha", 33, 71, 4)
    tile = render_tile(ground_window(rng), TileSpec("val", 0, "p.JPG", 0, 0, (paste,)), {"t1": crop}, {"t1": tag}, 4)
    x0, y0, x1, y1 = paste.box
    np.testing.assert_array_equal(tile[y0:y1, x0:x1], crop[box[1]:box[3], box[0]:box[2]])


def test_same_crop_pasted_twice_is_cloned_twice():
    """OpenCV 4.11+ writes into the mask: a reused mask pastes nothing the second time."""
    rng = np.random.default_rng(9)
    crop, box = make_crop(rng)
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    pastes = tuple(paste_at(tag, "normal", x, 200, 4) for x in (50, 250, 450))
    window = ground_window(rng)
    tile = render_tile(window, TileSpec("train", 0, "p.JPG", 0, 0, pastes), {"t1": crop}, {"t1": tag}, 4)
    for paste in pastes:
        x0, y0, x1, y1 = paste.box
        assert np.abs(tile[y0:y1, x0:x1].astype(int) - window[y0:y1, x0:x1].astype(int)).mean() > 40


def test_crop_at_the_photo_border_is_padded_so_the_box_survives_the_mask_frame():
    rng = np.random.default_rng(2)
    crop, _ = make_crop(rng, margin=12)
    crop = crop[:, 10:]  # the tag touches the crop's left edge: 2 px of context
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], (2, 12, 38, 78))
    width, height, box, border = pasted_geometry(tag, 1.0, 0.0, False, 4)
    assert border == (3, 0, 0, 0) and box == (5, 12, 41, 78) and (width, height) == (crop.shape[1] + 3, crop.shape[0])
    paste = paste_at(tag, "normal", 10, 10, 4)
    window = ground_window(rng)
    tile = render_tile(window, TileSpec("train", 0, "p.JPG", 0, 0, (paste,)), {"t1": crop}, {"t1": tag}, 4)
    x0, y0, x1, y1 = paste.box
    assert np.percentile(tile[y0 + 2:y1 - 2, x0 + 2:x1 - 2].max(axis=2), 90) > 180


def test_rotation_by_90_swaps_the_canvas_and_the_box():
    matrix, w, h = affine(60, 90, 1.0, 90.0, False)
    assert (w, h) == (90, 60)
    assert moved_box(matrix, (12, 12, 48, 78), w, h) == (12, 12, 78, 48)
    matrix, w, h = affine(60, 90, 2.0, 0.0, True)
    assert (w, h) == (120, 180) and moved_box(matrix, (12, 12, 48, 78), w, h) == (24, 24, 96, 156)


@pytest.mark.parametrize("jitter", [{"scale": 1.5}, {"rotation_deg": 12.0}, {"flip": True}])
def test_jittered_tag_stays_inside_its_box(jitter: dict):
    rng = np.random.default_rng(4)
    crop, box = make_crop(rng)
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    paste = paste_at(tag, "alpha", 200, 200, 4, jitter)
    window = np.zeros((SIZE, SIZE, 3), np.uint8)
    tile = render_tile(window, TileSpec("train", 0, "p.JPG", 0, 0, (paste,)), {"t1": crop}, {"t1": tag}, 4)
    bright = np.argwhere(tile.max(axis=2) > 200)
    x0, y0, x1, y1 = paste.box
    assert bright[:, 1].min() >= x0 and bright[:, 1].max() < x1 and bright[:, 0].min() >= y0 and bright[:, 0].max() < y1
    # and the box is tight: the band reaches within 2 px of every side
    assert bright[:, 1].min() - x0 <= 2 and x1 - 1 - bright[:, 1].max() <= 2
    assert bright[:, 0].min() - y0 <= 2 and y1 - 1 - bright[:, 0].max() <= 2


def sources(n_tags: int = 6) -> tuple[list[Ground], list[TagSource]]:
    grounds = [Ground(f"bg{i}.JPG", 1600, 1200, 1, False) for i in range(4)]
    grounds.append(Ground("lab.JPG", 1600, 1200, 1, False, avoid=((700, 500, 760, 590),)))
    tags = [TagSource(f"t{i}", f"t{i}.png", f"ID{i % 3}", f"p{i}.JPG", 50 + 4 * i, 80 + 3 * i,
                      (12, 12, 38 + 4 * i, 68 + 3 * i)) for i in range(n_tags)]
    return grounds, tags


def test_plan_boxes_are_inside_the_tile_apart_and_clear_of_labelled_tags():
    grounds, tags = sources()
    settings = SynthSettings(blend="mix", jitter=Jitter(scale=(0.8, 1.3), rotation_deg=15), info_bar_px=40)
    plan = plan_split("train", 200, 1, grounds, tags, settings)
    assert [s.index for s in plan] == list(range(200))
    counts = [len(s.pastes) for s in plan]
    assert 0 in counts and max(counts) == 3
    for spec in plan:
        window = (spec.window_x, spec.window_y, spec.window_x + SIZE, spec.window_y + SIZE)
        assert 0 <= window[0] and window[2] <= 1600 and 0 <= window[1] and window[3] <= 1200
        if spec.image == "lab.JPG":
            assert not overlaps(window, (700, 500, 760, 590))
        for n, paste in enumerate(spec.pastes):
            x0, y0, x1, y1 = paste.label
            assert 0 <= x0 < x1 <= SIZE and 0 <= y0 < y1 <= SIZE
            assert spec.window_y + paste.box[3] <= 1200 - 40  # never on the info bar
            if paste.truncated:  # cut by a tile side: the label is the part inside the tile
                assert paste.label != paste.box and not (0 < paste.box[0] and paste.box[2] < SIZE
                                                         and 0 < paste.box[1] and paste.box[3] < SIZE)
                shown = (x1 - x0) * (y1 - y0) / ((paste.box[2] - paste.box[0]) * (paste.box[3] - paste.box[1]))
                assert 0.45 <= shown <= 0.95
            else:
                assert paste.label == paste.box and 0 < x0 and x1 < SIZE and 0 < y0 and y1 < SIZE
            assert all(not overlaps(paste.box, other.box, settings.gap_px) for other in spec.pastes[:n])
    assert {p.blend for s in plan for p in s.pastes} == set(BLENDS)
    pastes = [p for s in plan for p in s.pastes]
    assert 0.1 < sum(p.truncated for p in pastes) / len(pastes) < 0.3  # synth.cut_tags 0.2
    # windows flush with the photo's bottom (info bar in view), its other sides, and in between
    assert sum(s.window_y == 1200 - SIZE for s in plan) > 20 and sum(s.window_x == 0 for s in plan) > 20
    assert sum(0 < s.window_y < 1200 - SIZE for s in plan) > 100


def test_plan_is_a_function_of_seed_only():
    grounds, tags = sources()
    a = plan_split("val", 50, 7, grounds, tags, SynthSettings())
    assert a == plan_split("val", 50, 7, list(reversed(grounds)), tags, SynthSettings())
    assert a != plan_split("val", 50, 8, grounds, tags, SynthSettings())
    assert a[:20] == plan_split("val", 20, 7, grounds, tags, SynthSettings())  # tile i does not depend on the count


def test_shards_partition_the_plan_and_never_share_a_photo():
    grounds, tags = sources()
    plan = plan_split("train", 101, 3, grounds, tags, SynthSettings())
    parts = shard_tiles(plan, 3)
    assert sorted(s.index for part in parts for s in part) == list(range(101))
    photos = [{s.image for s in part} for part in parts]
    assert all(not (photos[i] & photos[j]) for i in range(3) for j in range(i + 1, 3))
    assert max(map(len, parts)) - min(map(len, parts)) <= 25


def test_no_ground_or_no_tag_is_a_clear_error():
    grounds, tags = sources()
    from spatule.problems import SpatuleError
    with pytest.raises(SpatuleError, match="no background photo for split test"):
        plan_split("test", 5, 1, [], tags, SynthSettings())
    with pytest.raises(SpatuleError, match="window"):
        plan_split("test", 5, 1, [Ground("small.JPG", 600, 500, 1, False)], tags, SynthSettings())


def test_ground_order_tries_the_tiles_own_photo_first_then_every_other_once():
    for index in range(12):
        order = ground_order(np.random.default_rng(index), index, 5)
        assert order[0] == index % 5 and sorted(order) == list(range(5))


def test_the_one_ground_that_fits_is_found_for_every_tile():
    # Regression: the fallback walked a permutation from its second entry, so the photo first in the
    # permutation was never tried: with one usable photo among many, some tiles failed the whole split.
    grounds, tags = sources()
    crowded = [Ground(f"crowded{i}.JPG", 960, 720, 1, False, avoid=((300, 200, 390, 232),)) for i in range(12)]
    plan = plan_split("train", 60, 3, [*crowded, Ground("open.JPG", 960, 720, 1, False)], tags,
                      SynthSettings(info_bar_px=60))
    assert {spec.image for spec in plan} == {"open.JPG"}


def test_a_window_that_fits_nowhere_is_an_error_naming_the_photos_and_keys():
    _, tags = sources()
    from spatule.problems import SpatuleError
    with pytest.raises(SpatuleError) as error:
        plan_split("val", 3, 1, [Ground("a.JPG", 600, 500, 1, False), Ground("b.JPG", 700, 630, 1, False)], tags,
                   SynthSettings(info_bar_px=60))
    message = str(error.value)
    assert "a.JPG (600x500)" in message and "b.JPG (700x630)" in message
    assert "synth.gap_px" in message and "synth.tile_size" in message


def big_tag() -> TagSource:
    """A close-up: an 800x220 px tag in a 1200x620 crop, larger than a 640 tile."""
    return TagSource("big", "big.png", "BIG", "close.JPG", 1200, 620, (200, 200, 1000, 420))


@pytest.mark.parametrize("rotation", [0.0, 30.0])
def test_a_tag_larger_than_the_tile_is_shrunk_just_enough_to_fit(rotation: float):
    tag, pad = big_tag(), 4
    assert not fits_tile(tag, 1.0, rotation, False, pad, SIZE)
    scale = fit_scale(tag, 1.0, rotation, False, pad, SIZE)
    assert 0.5 < scale < 0.8 and scale == round(scale, 4)
    assert fits_tile(tag, scale, rotation, False, pad, SIZE)
    assert not fits_tile(tag, scale + 0.002, rotation, False, pad, SIZE)  # no smaller than needed
    small = TagSource("s", "s.png", "S", "p.JPG", 60, 90, (12, 12, 48, 78))
    assert fit_scale(small, 1.3, rotation, False, pad, SIZE) == 1.3  # a tag that fits keeps its jitter


@pytest.mark.parametrize("blend", BLENDS)
def test_a_tag_larger_than_the_tile_is_pasted_shrunk_with_its_box(blend: str, tmp_path: Path):
    rng = np.random.default_rng(3)
    tag = big_tag()
    crop = rng.integers(40, 90, (tag.height, tag.width, 3), dtype=np.uint8)
    crop[tag.box[1]:tag.box[3], tag.box[0]:tag.box[2]] = 235
    grounds = [Ground("bg.JPG", 1600, 1200, 1, False)]
    settings = SynthSettings(blend=blend, tags_per_tile=(0.0, 1.0), jitter=Jitter(brightness=0, contrast=0),
                             cut_tags=0.0)
    plan = plan_split("train", 4, 2, grounds, [tag], settings)
    assert all(len(spec.pastes) == 1 for spec in plan)
    photo = np.clip(rng.normal(100, 20, (1200, 1600, 3)), 0, 255).astype(np.uint8)
    render_shard(plan, tmp_path, lambda _: photo, lambda _: crop, {"big": tag}, settings, "tag")
    for spec in plan:
        (paste,) = spec.pastes
        x0, y0, x1, y1 = paste.box
        assert paste.scale < 1 and 0 < x0 < x1 < SIZE and 0 < y0 < y1 < SIZE
        assert x1 - x0 > SIZE * 0.9  # shrunk only as far as needed
        tile = cv2.imread(str(tmp_path / f"{spec.tile_id}.jpg"))
        inner = tile[y0 + 6:y1 - 6, x0 + 6:x1 - 6]
        assert inner.mean() > (180 if blend != "mixed" else 120), blend  # the bright band fills the box


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_tag_cut_by_a_tile_side_shows_its_visible_part_labelled_truncated(side: str, tmp_path: Path):
    rng = np.random.default_rng(8)
    crop, box = make_crop(rng)
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    settings = SynthSettings(blend="alpha", tags_per_tile=(0.0, 1.0), cut_tags=1.0, edge_windows=0.0)
    photo = np.full((1200, 1600, 3), 60, np.uint8)
    plan, draw = [], 0
    while not plan:  # a tile whose tag is cut on ``side``
        spec = plan_split("train", 1, draw, [Ground("bg.JPG", 1600, 1200, 1, False)], [tag], settings)[0]
        draw += 1
        (paste,) = spec.pastes or (None,)
        x0, y0, x1, y1 = paste.box if paste else (1, 1, 1, 1)
        if paste and {"left": x0 < 0, "right": x1 > SIZE, "top": y0 < 0, "bottom": y1 > SIZE}[side]:
            plan = [spec]
    render_shard(plan, tmp_path, lambda _: photo, lambda _: crop, {"t1": tag}, settings, "tag")
    (paste,) = plan[0].pastes
    tile = cv2.imread(str(tmp_path / f"{plan[0].tile_id}.jpg"))
    vx0, vy0, vx1, vy1 = paste.label
    assert paste.truncated and paste.label == (max(0, x0), max(0, y0), min(SIZE, x1), min(SIZE, y1))
    assert tile[vy0 + 1:vy1 - 1, vx0 + 1:vx1 - 1].mean() > 150  # the band's visible part, to the tile side
    outside = np.ones(tile.shape[:2], bool)
    outside[max(0, vy0 - 6):vy1 + 6, max(0, vx0 - 6):vx1 + 6] = False
    assert np.abs(tile[outside].astype(int) - 60).max() < 8  # the rest is the ground
    voc = parse_voc((tmp_path / f"{plan[0].tile_id}.xml").read_bytes(), plan[0].tile_id)
    (obj,) = voc.objects
    assert obj.truncated and tuple(int(v) for v in obj.box) == paste.label


def test_on_a_grey_night_ground_tags_are_pasted_grey():
    rng = np.random.default_rng(6)
    crop, box = make_crop(rng)
    crop[..., 2] = np.clip(crop[..., 2].astype(int) + 40, 0, 255)  # a warm tag crop from a day photo
    tag = TagSource("t1", "t1.png", "AXFD", "p.JPG", crop.shape[1], crop.shape[0], box)
    grey = cv2.cvtColor(cv2.cvtColor(ground_window(rng), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    spec = TileSpec("train", 0, "p.JPG", 0, 0, (paste_at(tag, "alpha", 100, 100, 4),))
    tile = render_tile(grey, spec, {"t1": crop}, {"t1": tag}, 4)
    assert np.array_equal(tile[..., 0], tile[..., 2]) and np.array_equal(tile[..., 1], tile[..., 2])
    colour = render_tile(ground_window(rng), spec, {"t1": crop}, {"t1": tag}, 4)
    x0, y0, x1, y1 = spec.pastes[0].box
    assert np.abs(colour[y0:y1, x0:x1, 2].astype(int) - colour[y0:y1, x0:x1, 0]).mean() > 10


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_rendered_tiles_do_not_depend_on_shards_or_threads_and_xml_matches_the_plan(tmp_path: Path):
    rng = np.random.default_rng(1)
    grounds = [Ground(f"bg{i}.JPG", 900, 800, 1, False) for i in range(3)]
    photos = {g.image: np.clip(rng.normal(100, 30, (800, 900, 3)), 0, 255).astype(np.uint8) for g in grounds}
    crops, tags = {}, {}
    for i in range(3):
        crops[f"t{i}"], box = make_crop(rng, 50 + 10 * i, 80 + 5 * i)
        tags[f"t{i}"] = TagSource(f"t{i}", f"t{i}.png", f"ID{i}", "p.JPG", 50 + 10 * i, 80 + 5 * i, box)
    settings = SynthSettings(blend="mix", jitter=Jitter(brightness=10, contrast=0.1, blur_sigma=0.8))
    plan = plan_split("train", 12, 5, grounds, list(tags.values()), settings)
    one = tmp_path / "one"
    render_shard(shard_tiles(plan, 1)[0], one, photos.__getitem__, crops.__getitem__, tags, settings, "tag", threads=1)
    for k, part in enumerate(shard_tiles(plan, 3)):
        render_shard(part, tmp_path / "three", photos.__getitem__, crops.__getitem__, tags, settings, "tag", threads=2)
    assert digest(one) == digest(tmp_path / "three")
    for spec in plan:
        voc = parse_voc((one / f"{spec.tile_id}.xml").read_bytes(), spec.tile_id)
        assert (voc.width, voc.height, voc.filename) == (SIZE, SIZE, f"{spec.tile_id}.jpg")
        assert [tuple(int(v) for v in o.box) for o in voc.objects] == [p.label for p in spec.pastes]
        assert [o.truncated for o in voc.objects] == [p.truncated for p in spec.pastes]
        tile = cv2.imread(str(one / f"{spec.tile_id}.jpg"))
        assert tile.shape == (SIZE, SIZE, 3)


def test_settings_refuse_unknown_blends():
    from spatule.problems import SpatuleError
    with pytest.raises(SpatuleError, match="synth.blend"):
        SynthSettings(blend="poisson")
    with pytest.raises(SpatuleError, match="blend_mix"):
        replace(SynthSettings(), blend_mix={"fancy": 1.0})


def test_tags_cut_by_the_photo_border_are_not_pasted():
    """Half a band pasted mid-tile, its cut edge mirrored into context, would teach a wrong box."""
    from types import SimpleNamespace

    from spatule.synth import cut_by_border

    def row(box, truncated=False):
        return SimpleNamespace(box=box, truncated=truncated, width=1600, height=1200)

    assert cut_by_border(row((0, 300, 40, 380))) and cut_by_border(row((1550, 300, 1600, 380)))
    assert cut_by_border(row((700, 0, 740, 60))) and cut_by_border(row((700, 300, 740, 380), truncated=True))
    assert not cut_by_border(row((4, 300, 44, 380)))  # the real sample's tag 4 px from the border is whole


def test_a_window_may_show_a_labelled_tag_where_it_is_whole_or_half_and_never_a_difficult_one():
    from spatule.geometry import shown_share
    from spatule.synth import IN_PLACE, InPlace, in_place_labels

    tag = InPlace("lab-t1", "AXFD", (700, 500, 760, 590))
    ground = Ground("lab.JPG", 1600, 1200, 1, False, avoid=((100, 100, 130, 150),), tags=(tag,))
    settings = SynthSettings(tags_per_tile=(1.0,), edge_windows=0.0)
    plan = plan_split("train", 300, 4, [ground], sources()[1], settings)
    shown = [s for s in plan if any(p.blend == IN_PLACE for p in s.pastes)]
    assert 50 < len(shown) < 300  # some windows show the tag, others do not
    for spec in plan:
        window = (spec.window_x, spec.window_y, spec.window_x + SIZE, spec.window_y + SIZE)
        assert not overlaps(window, (100, 100, 130, 150), settings.gap_px)  # the difficult tag: never
        share = shown_share(tag.box, window)
        labels = [p for p in spec.pastes if p.blend == IN_PLACE]
        assert (len(labels) == 1) == (share > 0) and (share == 0 or share >= 0.5)
        for label in labels:
            x0, y0 = spec.window_x, spec.window_y
            assert label.box == (700 - x0, 500 - y0, 760 - x0, 590 - y0) and label.identity == "AXFD"
            assert label.truncated == (share < 1) and label.label == tuple(
                int(v) for v in (max(0, label.box[0]), max(0, label.box[1]), min(SIZE, label.box[2]),
                                 min(SIZE, label.box[3])))
    assert in_place_labels(ground, 0, 0, SIZE) == []  # a window that does not reach it


def test_tags_shown_in_place_are_not_pasted_over_and_leave_the_pixels_as_they_are(tmp_path: Path):
    from spatule.synth import IN_PLACE, InPlace

    rng = np.random.default_rng(3)
    photo = np.clip(rng.normal(100, 20, (1200, 1600, 3)), 0, 255).astype(np.uint8)
    photo[500:590, 700:760] = 240  # the labelled tag
    ground = Ground("lab.JPG", 1600, 1200, 1, False, tags=(InPlace("lab-t1", "AXFD", (700, 500, 760, 590)),))
    crop, box = make_crop(rng)
    tags = {"t1": TagSource("t1", "t1.png", "ID1", "p.JPG", crop.shape[1], crop.shape[0], box)}
    settings = SynthSettings(blend="alpha", tags_per_tile=(0.0, 0.0, 1.0), edge_windows=0.0, cut_tags=0.0)
    plan = [s for s in plan_split("train", 40, 9, [ground], list(tags.values()), settings)
            if any(p.blend == IN_PLACE for p in s.pastes) and not any(p.truncated for p in s.pastes)][:3]
    assert plan
    render_shard(plan, tmp_path, lambda _: photo, lambda _: crop, tags, settings, "tag")
    for spec in plan:
        tile = cv2.imread(str(tmp_path / f"{spec.tile_id}.jpg")).astype(int)
        (label,) = [p for p in spec.pastes if p.blend == IN_PLACE]
        x0, y0, x1, y1 = label.box
        assert np.abs(tile[y0 + 2:y1 - 2, x0 + 2:x1 - 2] - 240).mean() < 4  # the photo's own tag, untouched
        for paste in (p for p in spec.pastes if p.blend != IN_PLACE):
            assert not overlaps(paste.box, label.box, settings.gap_px)
        voc = parse_voc((tmp_path / f"{spec.tile_id}.xml").read_bytes(), spec.tile_id)
        assert [tuple(int(v) for v in o.box) for o in voc.objects] == [p.label for p in spec.pastes]
