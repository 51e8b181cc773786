"""Reading the codes: glyphs from a font or a sheet, the band model and rendered training crops, rectified
crops, the registry, the margin, the threshold chosen on validation, the reader on real tags."""

from __future__ import annotations

import math

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import shared_input
from helpers import write_glyph_sheet

from spatule.code_space import ALPHABET
from spatule.demo import FONT_PATH
from spatule.problems import SpatuleError
from spatule.reading.glyphs import GLYPH_HEIGHT, cut_glyph_sheet, glyphs_from_font
from spatule.reading.render import READ_SIZE, rectify, render_reading_crop
from spatule.labels.tags import margin_for

FONT_SHEET = Path(__file__).resolve().parents[2] / "shared" / "data" / "spoo-font" / "SPOO-FONT.jpg"


@pytest.fixture(scope="module")
def font_glyphs():
    return glyphs_from_font(FONT_PATH, ALPHABET)


def test_a_sheet_is_cut_into_the_alphabets_glyphs_in_order(font_glyphs, tmp_path: Path):
    sheet = write_glyph_sheet(tmp_path / "sheet.png", font_glyphs, ALPHABET)
    cut = cut_glyph_sheet(sheet, ALPHABET)
    assert cut.alphabet == ALPHABET and len(cut.ink) == len(ALPHABET)
    for char in ALPHABET:  # each glyph is the one drawn there, not its neighbour
        mine, truth = cut.glyph(char), font_glyphs.glyph(char)
        assert mine.shape[0] == GLYPH_HEIGHT and abs(mine.shape[1] - truth.shape[1]) <= 2, char
        same = cv2.resize(mine, truth.shape[::-1], interpolation=cv2.INTER_AREA)
        assert np.abs(same - truth).mean() < 0.08, char
    with pytest.raises(SpatuleError, match=r"sheet.png: 22 glyph\(s\) found, but read.alphabet has 21"):
        cut_glyph_sheet(sheet, ALPHABET[:-1])
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SpatuleError, match="broken.jpg: not an image"):
        cut_glyph_sheet(tmp_path / "broken.jpg", ALPHABET)
    with pytest.raises(SpatuleError, match="'E' is not in the tag alphabet"):
        cut.glyph("E")


@pytest.mark.sample
def test_the_real_tag_font_sheet_gives_its_22_glyphs():
    shared_input(FONT_SHEET)
    cut = cut_glyph_sheet(FONT_SHEET, "ABCDFHJLNPSTVXYZ123569")
    widths = {char: ink.shape[1] for char, ink in zip(cut.alphabet, cut.ink)}
    assert min(widths, key=widths.get) == "1" and max(widths, key=widths.get) == "A"  # what the sheet shows
    assert all(ink.shape[0] == GLYPH_HEIGHT and ink.max() > 0.9 for ink in cut.ink)


def test_a_code_column_reads_bottom_to_top_and_knows_where_each_glyph_is(font_glyphs):
    from spatule.reading.band import code_column, glyph_centres

    column = code_column("AX19", font_glyphs, 120, 40)
    assert column.shape == (120, 40)  # along the leg x across
    row = np.rot90(column, k=-1)  # turned back: left to right
    ink_per_column = row.max(axis=0) > 0.3
    starts = np.flatnonzero(np.diff(ink_per_column.astype(int)) == 1)
    assert len(starts) + int(ink_per_column[0]) == 4  # four glyphs, apart
    centres = glyph_centres("AX19", font_glyphs, 120)
    runs = np.split(np.flatnonzero(ink_per_column), np.flatnonzero(np.diff(np.flatnonzero(ink_per_column)) > 1) + 1)
    assert [abs((r[0] + r[-1]) / 2 - c) <= 2 for r, c in zip(runs, centres)] == [True] * 4
    first = row[:, : runs[0][-1] + 1]
    a = cv2.resize(font_glyphs.glyph("A"), first.shape[::-1], interpolation=cv2.INTER_AREA)
    nine = cv2.resize(font_glyphs.glyph("9"), first.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(first - a).mean() < np.abs(first - nine).mean()  # 'A' comes first, at the bottom


def test_a_band_carries_the_code_twice_side_by_side_with_a_divider_between(font_glyphs):
    from dataclasses import replace

    from spatule.reading.band import SUPERSAMPLE, band_texture, sample_look

    look = replace(sample_look(np.random.default_rng(0), 100.0), dirt=0.0, outer_dividers=False, code_shift=0.0,
                   ink=0.9, divider_ink=0.6, copy_arc=1.0, glyph_fill=0.8)
    albedo, perimeter, rows = band_texture("AXFD", font_glyphs, look, np.random.default_rng(0))
    assert albedo.shape == (round(look.height * SUPERSAMPLE), round(perimeter))
    dark = albedo < 0.5
    across = dark.any(axis=0)  # columns of the unrolled band holding ink
    inked = np.flatnonzero(across)
    centre = albedo.shape[1] / 2
    left, right = inked[inked < centre - 2], inked[inked > centre + 2]
    assert len(left) and len(right)  # a copy either side of the divider
    assert abs((centre - left.mean()) - (right.mean() - centre)) <= 2  # the same distance off it
    assert (albedo[:, int(centre)] < 0.6).mean() > 0.9  # the divider runs the whole band
    copy_a = albedo[:, left.min(): left.max() + 1]
    copy_b = albedo[:, right.min(): right.max() + 1]
    width = min(copy_a.shape[1], copy_b.shape[1])
    assert np.abs(copy_a[:, :width] - copy_b[:, :width]).mean() < 0.05  # both copies run the same way
    assert rows == sorted(rows, reverse=True)  # the first glyph lowest: the code reads bottom-to-top


@pytest.mark.parametrize("yaw", [0.0, 0.5])
def test_a_band_seen_from_the_front_squeezes_glyphs_toward_its_edges(font_glyphs, yaw: float):
    """yaw 0: the divider faces the camera, a copy either side; 0.5: a copy faces it, the other round the side."""
    from dataclasses import replace

    from spatule.reading.band import band_texture, project_band, sample_look

    look = replace(sample_look(np.random.default_rng(1), 120.0), depth=1.0, yaw=yaw, pitch=0.0, dirt=0.0,
                   outer_dividers=False, light=0.0, ambient=1.0, copy_arc=1.0, code_shift=0.0, glyph_warp=0.0)
    albedo, perimeter, _ = band_texture("HHHH", font_glyphs, look, np.random.default_rng(1))
    premult, cover, _ = project_band(albedo, perimeter, look)
    seen = np.where(cover > 0.99, premult.mean(axis=2), np.nan)
    white = np.nanmax(seen)
    dark = np.flatnonzero(np.nanmin(seen, axis=0) < 0.6 * white)  # columns with ink
    divider = np.flatnonzero(np.nanmean(seen < 0.6 * white, axis=0) > 0.9)  # columns dark the whole band
    middle = cover.shape[1] / 2
    assert len(divider)
    if yaw == 0.0:  # the divider line in front
        assert np.min(np.abs(divider - middle)) <= 3
    else:  # a copy in front, centred on the view: its ink either side of the middle, the divider off to a side
        assert (dark < middle - 5).any() and (dark > middle + 5).any()
        assert np.min(np.abs(divider - middle)) > 10
    assert cover.max() == pytest.approx(1.0, abs=1e-3)


def test_rendered_crops_are_repeatable_cut_as_detect_cuts_and_know_where_their_glyphs_are(font_glyphs):
    from spatule.reading.render import reader_view

    one = render_reading_crop("HFZC", font_glyphs, np.random.default_rng(4), band_px=60.0, box_jitter=0.0)
    again = render_reading_crop("HFZC", font_glyphs, np.random.default_rng(4), band_px=60.0, box_jitter=0.0)
    assert np.array_equal(one.pixels, again.pixels) and one.code == "HFZC" and one.centres == again.centres
    flat = rectify(one.pixels, one.upward, one.box)
    assert flat.shape == READ_SIZE[::-1] and flat.dtype == np.float32 and 0 <= flat.min() < flat.max() <= 1
    # cut as detect cuts a tag: the box and its margin (tags.margin_*), clamped to where the drawing ends
    x0, y0, x1, y1 = one.box
    h, w = one.pixels.shape[:2]
    assert (x0, y0, w - x1, h - y1) == (margin_for(one.box, 8, 0.25),) * 4
    assert reader_view(one.box, w, h) != one.box  # the reader looks a little past the box
    # the glyph centres fall in reading order across the reader's input, apart, inside it
    assert list(one.centres) == sorted(one.centres) and 0 < one.centres[0] and one.centres[-1] < 1
    assert min(np.diff(one.centres)) > 0.1
    brighter = []
    for seed in range(12):
        crop = render_reading_crop("HFZC", font_glyphs, np.random.default_rng(seed), band_px=60.0, box_jitter=0.0)
        grey = cv2.cvtColor(crop.pixels, cv2.COLOR_BGR2GRAY).astype(np.float32)
        x0, y0, x1, y1 = crop.box
        around = np.ones(grey.shape, bool)
        around[y0:y1, x0:x1] = False
        brighter.append(np.percentile(grey[y0:y1, x0:x1], 90) - np.median(grey[around]))
        assert list(crop.centres) == sorted(crop.centres)  # either way round, the code reads left to right
    assert sum(b > 10 for b in brighter) >= 10  # a white band, brighter than the ground round it
    directions = {render_reading_crop("HFZC", font_glyphs, np.random.default_rng(s)).upward for s in range(12)}
    assert directions == {True, False}  # both directions are drawn


def test_the_glyph_under_each_step_is_known_for_rendered_crops():
    from spatule.reading.train import frame_labels

    labels = frame_labels([0.1, 0.3, 0.55, 0.9], "AXFD", ALPHABET, 12)
    assert labels.tolist() == [0, ALPHABET.index("A") + 1, 0, ALPHABET.index("X") + 1, 0, 0,
                               ALPHABET.index("F") + 1, 0, 0, 0, ALPHABET.index("D") + 1, 0]
    assert frame_labels([0.1, 0.12, 0.5, 0.9], "AXFD", ALPHABET, 12) is None  # two glyphs in one step
    assert frame_labels([-0.05, 0.3, 0.5, 0.9], "AXFD", ALPHABET, 12) is None  # one outside
    assert frame_labels([0.1, 0.3, 0.5], "AXFD", ALPHABET, 12) is None  # one glyph not placed
    # a doubled glyph in steps side by side would read as one glyph under CTC; a step apart it reads as two
    assert frame_labels([0.1, 0.2, 0.55, 0.9], "AAXF", ALPHABET, 12) is None
    doubled = frame_labels([0.1, 0.3, 0.55, 0.9], "AAXF", ALPHABET, 12)
    assert doubled is not None and list(doubled[[1, 3]]) == [ALPHABET.index("A") + 1] * 2


def test_the_glyphs_that_read_as_another_upside_down_are_found_in_the_font(font_glyphs):
    from spatule.reading.glyphs import glyph_turns
    from spatule.reading.registry import turned_code, turned_pairs

    turns = glyph_turns(font_glyphs)
    assert turns == {"H": "H", "N": "N", "S": "S", "X": "X", "Z": "Z", "6": "9", "9": "6"}
    assert turned_code("6SZ9", turns) == "6ZS9" and turned_code("AXFD", turns) is None
    assert turned_pairs(["6SZ9", "6ZS9", "HNXZ", "ZXNH", "SSSS", "AXFD"], turns) == [("6SZ9", "6ZS9"), ("HNXZ", "ZXNH")]


@pytest.mark.sample
def test_the_real_sheets_glyph_turns_are_those_the_eye_sees():
    from spatule.reading.glyphs import glyph_turns

    if not FONT_SHEET.is_file():
        pytest.fail(f"{FONT_SHEET} is absent")
    assert glyph_turns(cut_glyph_sheet(FONT_SHEET, ALPHABET)) == {"H": "H", "N": "N", "S": "S", "X": "X",
                                                                        "Z": "Z", "6": "9", "9": "6"}


# --- the registry ------------------------------------------------------------------------------------------

def test_a_registry_is_read_with_its_other_columns(tmp_path: Path):
    from spatule.reading.registry import read_registry

    registry = tmp_path / "birds.csv"
    registry.write_text("code,sex,ringed\nAXFD,F,2016\nablf,M,2017\nAX6D,F,2018\n", encoding="utf-8")
    birds = read_registry(registry, ALPHABET)
    assert [b.code for b in birds] == ["AXFD", "ABLF", "AX6D"] and birds[1].columns == {"sex": "M", "ringed": "2017"}


@pytest.mark.parametrize("text, defect", [
    ("name\nAXFD\n", "needs a 'code' column"),
    ("code\nAXF\n", r"birds.csv:2: code 'AXF' cannot be on a tag \(3 glyphs, not 4\)"),
    ("code\nAXFD\nAEFD\n", r"birds.csv:3: code 'AEFD' cannot be on a tag \(glyphs \['E'\] are not in"),
    ("code\nAXFD\naxfd\n", "birds.csv:3: code AXFD is already on line 2"),
    ("code,sex\n", "birds.csv: the registry lists no bird"),
    ("code\nAXFD\nAB\xe9F\n".encode("latin-1"), "birds.csv: the registry is not a UTF-8 CSV"),
])
def test_a_registry_that_cannot_be_right_is_refused_naming_the_line(tmp_path: Path, text, defect: str):
    from spatule.reading.registry import read_registry

    (tmp_path / "birds.csv").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(SpatuleError, match=defect):
        read_registry(tmp_path / "birds.csv", ALPHABET)


def test_sightings_and_birds_say_who_was_seen_when_and_where():
    from spatule.reading.sightings import birds, camera_of, sightings

    assert camera_of("cam2/day1/IMG_1.JPG") == "cam2" and camera_of("IMG_1.JPG") == ""
    matches = [("cam1/a.jpg", "AXFD", 0.9, (1, 2, 3, 4)), ("cam1/a.jpg", "unread", 0.2, (5, 6, 7, 8)),
               ("cam2/b.jpg", "AXFD", 0.8, (1, 1, 2, 2)), ("cam1/c.jpg", "ABLF", 0.7, (0, 0, 1, 1)),
               ("nodate.jpg", "AXFD", 0.6, (0, 0, 1, 1))]
    times = {"cam1/a.jpg": "2018-05-21T06:20:00", "cam2/b.jpg": "2018-05-21T06:00:00",
             "cam1/c.jpg": "2018-05-21T07:00:00", "nodate.jpg": None}
    seen = sightings(matches, times)
    assert [(s.photo, s.code) for s in seen] == [("cam2/b.jpg", "AXFD"), ("cam1/a.jpg", "AXFD"), ("cam1/c.jpg", "ABLF"),
                                                 ("nodate.jpg", "AXFD")]  # unread left out; no time: last
    assert seen[0].row() == ["cam2/b.jpg", "cam2", "2018-05-21T06:00:00", "AXFD", 0.8, 1.0, 1.0, 2.0, 2.0, "",
                             "AXFD"]  # no visit: the frame read alone
    assert birds(seen) == [["ABLF", "2018-05-21T07:00:00", "2018-05-21T07:00:00", 1, 1, 1, 1],
                           ["AXFD", "2018-05-21T06:00:00", "2018-05-21T06:20:00", 3, 3, 3, 3]]
    visited = sightings([("cam1/a.jpg", "AXFD", 0.9, (1, 2, 3, 4), "V0001", "AXFD"),
                         ("cam1/d.jpg", "AXFD", 0.9, (1, 2, 3, 4), "V0001", "unread")], times)
    assert birds(visited)[0][5:] == [1, 2] and visited[1].row()[-2:] == ["V0001", "unread"]  # 1 visit, 2 frames


def test_the_reader_outputs_a_ctc_step_per_eight_columns_and_greedy_decoding_collapses_them():
    from spatule.reading.reader import STEPS, ctc_loss, greedy, reader_model

    model = reader_model(len(ALPHABET))
    crops = np.random.default_rng(0).random((2, READ_SIZE[1], READ_SIZE[0], 1)).astype(np.float32)
    logits = np.asarray(model(crops))
    assert logits.shape == (2, STEPS, len(ALPHABET) + 1)
    labels = np.array([[1, 2, 3, 4], [5, 5, 6, 7]])
    assert np.isfinite(np.asarray(ctc_loss()(labels, logits))).all()
    steps = np.zeros((STEPS, len(ALPHABET) + 1))
    path = [0, 1, 1, 0, 14, 0, 0, 14, 14, 0, 4, 0] + [0] * (STEPS - 12)  # A, X, X (a blank between), D
    steps[np.arange(STEPS), path] = 1.0
    reading = greedy(steps, ALPHABET, upward=False)
    assert reading.code == "AXXD" and reading.score == 1.0 and not reading.upward


def test_the_ctc_probability_of_a_code_is_what_keras_ctc_gives_and_matches_the_registry():
    from keras import ops

    from spatule.reading.codes import match_steps
    from spatule.reading.reader import STEPS
    from spatule.reading.registry import UNREAD, ctc_probability

    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(STEPS, len(ALPHABET) + 1)).astype(np.float32)
    steps = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = [ALPHABET.index(c) + 1 for c in "AXXD"]  # a doubled glyph needs a blank between
    loss = ops.ctc_loss(np.array([labels]), logits[None], np.array([4]), np.array([STEPS]), mask_index=0)
    assert ctc_probability(steps, labels) == pytest.approx(float(np.exp(-np.asarray(loss)[0])), rel=1e-4)
    # a reading sure of AXFD but hesitating on F/6 at one step: AX6D in the registry is found, never invented
    path = [0, 1, 0, 14, 0, 5, 0, 4] + [0] * (STEPS - 8)
    sure = np.full((STEPS, len(ALPHABET) + 1), 1e-4)
    sure[np.arange(STEPS), path] = 1.0
    sure[5, ALPHABET.index("6") + 1] = 0.8
    sure /= sure.sum(axis=1, keepdims=True)
    both = np.stack([sure, sure[::-1]])  # read the other way round: a blank, then D, F, X, A backwards
    read = match_steps(both, ALPHABET, ["ABLF", "AX6D"], 4)
    assert (read.likeliest, read.upward, read.code) == ("AX6D", True, "AXFD") and 0.3 < read.match_score < 0.6
    assert read.match(0.3) == "AX6D" and read.match(0.6) == UNREAD
    assert match_steps(both, ALPHABET, ["ZZZZ"], 4).match(0.01) == UNREAD  # a bird not banded here


def test_the_whole_registry_is_matched_in_one_pass_as_code_by_code():
    from spatule.reading.reader import STEPS
    from spatule.reading.registry import ctc_code_probabilities, ctc_probability

    rng = np.random.default_rng(3)
    steps = rng.dirichlet(np.full(len(ALPHABET) + 1, 0.3), size=STEPS)
    codes = ["AXFD", "ABLF", "AAAA", "1556", "ZZ9Z", "XXXX"]  # doubled glyphs need a blank between
    one_pass = ctc_code_probabilities(steps, ALPHABET, codes)
    each = [ctc_probability(steps, [ALPHABET.index(c) + 1 for c in code]) for code in codes]
    np.testing.assert_allclose(one_pass, each, rtol=1e-9)
    peaked = rng.dirichlet(np.full(len(ALPHABET) + 1, 0.01), size=STEPS)  # codes as unlikely as 1e-100
    each = [ctc_probability(peaked, [ALPHABET.index(c) + 1 for c in code]) for code in codes]
    assert min(each) < 1e-60 and all(p > 0 for p in each)
    np.testing.assert_allclose(ctc_code_probabilities(peaked, ALPHABET, codes), each, rtol=1e-9)
    assert ctc_code_probabilities(steps, ALPHABET, []).shape == (0,)
    batch = np.stack([steps, steps[::-1], rng.dirichlet(np.full(len(ALPHABET) + 1, 0.3), size=STEPS)])
    together = ctc_code_probabilities(np.stack([batch, batch[::-1]]), ALPHABET, codes)  # [2, 3, codes]
    assert together.shape == (2, 3, len(codes))
    for k in range(3):  # a batch of readings gives each reading's own figures
        np.testing.assert_array_equal(together[0, k], ctc_code_probabilities(batch[k], ALPHABET, codes))
        np.testing.assert_array_equal(together[1, 2 - k], together[0, k])


def test_accuracy_against_coverage_counts_ties_together():
    from spatule.reading.evaluation import at_coverage, at_threshold, calibration, coverage_curve, glyph_hits

    scored = [(0.9, True), (0.8, False), (0.8, True), (0.1, True)]
    curve = coverage_curve(scored)
    assert [(p["threshold"], p["accepted"], p["accuracy"]) for p in curve] == [
        (0.9, 1, 1.0), (0.8, 3, 2 / 3), (0.1, 4, 0.75)]  # both 0.8 pass together
    assert at_threshold(scored, 0.5) == {"threshold": 0.5, "accepted": 3, "coverage": 0.75, "accuracy": 2 / 3,
                                         "wrong": 1, "wrong_share": 1 / 3}
    assert at_coverage(curve, 0.5)["threshold"] == 0.8 and at_coverage(curve, 1.0)["threshold"] == 0.1
    assert glyph_hits("AXFD", "AXF6") == 3 and glyph_hits("AXF", "AXFD") == 0
    bins = calibration(scored + [(1.0, True)], edges=(0.0, 0.5, 1.0))
    assert [(b["tags"], b["right"]) for b in bins] == [(1, 1.0), (4, 0.75)]  # 1.0 falls in the last bin
    assert bins[1]["mean_score"] == pytest.approx((0.9 + 0.8 + 0.8 + 1.0) / 4)


def test_the_readers_weights_are_written_byte_for_byte_the_same_and_load_back(tmp_path: Path):
    from spatule.reading.reader import reader_model
    from spatule.reading.weights import load_weights, save_weights, set_weights

    model = reader_model(len(ALPHABET), seed=4)
    save_weights(model.get_weights(), tmp_path / "a.npz")
    save_weights(model.get_weights(), tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    other = reader_model(len(ALPHABET), seed=5)
    set_weights(other, load_weights(tmp_path / "a.npz"), tmp_path / "a.npz")
    crops = np.random.default_rng(0).random((1, READ_SIZE[1], READ_SIZE[0], 1)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(other(crops)), np.asarray(model(crops)))
    with pytest.raises(SpatuleError, match="a.npz: these weights do not fit"):
        set_weights(reader_model(5), load_weights(tmp_path / "a.npz"), tmp_path / "a.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(SpatuleError, match="bad.npz: not a reader's weights"):
        load_weights(tmp_path / "bad.npz")


def test_the_demo_registry_holds_every_photographed_code_and_birds_never_seen():
    from spatule.demo.registry import registry_rows

    seen = ["AXFD", "ABLF", "far-11-1", "AXFD"]  # far tags have names, not codes
    rows = registry_rows(seen, 30, seed=2018)
    codes = [r[0] for r in rows]
    assert len(codes) == len(set(codes)) == 30 and codes == sorted(codes)
    assert {"AXFD", "ABLF"} <= set(codes) and "far-11-1" not in codes
    assert all(len(c) == 4 and set(c) <= set(ALPHABET) and 2012 <= y <= 2017 for c, y in rows)
    assert registry_rows(seen, 30, seed=2018) == rows  # the same seed, the same registry
    assert [r[0] for r in registry_rows(seen, 1, seed=2018)] == ["ABLF", "AXFD"]  # never fewer than photographed


def path_steps(code: str, sure: float) -> np.ndarray:
    """Step probabilities spelling ``code`` (a blank between glyphs), ``sure`` on the path."""
    from spatule.reading.reader import STEPS

    path = [0] * STEPS
    for k, char in enumerate(code):
        path[2 * k + 1] = ALPHABET.index(char) + 1
    steps = np.full((STEPS, len(ALPHABET) + 1), (1 - sure) / len(ALPHABET))
    steps[np.arange(STEPS), path] = sure
    return steps


class DirectionModel:
    """Stands in for the network: reads ``code`` surely when the rectified input is bright on its left
    (the crop's bright end first), and the code backwards, less surely, the other way round."""

    def __init__(self, code: str):
        self.code = code

    def __call__(self, batch, training=False):
        out = []
        for image in np.asarray(batch)[..., 0]:
            half = image.shape[1] // 2
            right_way = image[:, :half].mean() > image[:, half:].mean()
            out.append(np.log(path_steps(self.code if right_way else self.code[::-1], 0.99 if right_way else 0.7)))
        return np.stack(out)


def end_lit_crop(bright_bottom: bool) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    crop = np.full((60, 40, 3), 30, np.uint8)
    if bright_bottom:
        crop[35:55, 10:30] = 230
    else:
        crop[5:25, 10:30] = 230
    return crop, (10, 5, 30, 55)


def test_a_tag_is_read_the_way_round_that_gives_a_registry_code_and_never_as_one_not_banded():
    from spatule.reading.codes import CodeReader
    from spatule.reading.registry import UNREAD

    crops = [end_lit_crop(True), end_lit_crop(False)]
    pixels, boxes = [c for c, _ in crops], [b for _, b in crops]
    reader = CodeReader(DirectionModel("AXFD"), ALPHABET, 4, ("ABLF", "AXFD"))
    upward, downward = reader.read(pixels, boxes)
    # bright bottom: the code runs bottom-to-top; bright top: turned round, the same code top-to-bottom
    assert (upward.match(0.5), upward.upward, upward.code) == ("AXFD", True, "AXFD")
    assert (downward.match(0.5), downward.upward) == ("AXFD", False)
    assert upward.match_score == pytest.approx(upward.code_score) and upward.match_score > 0.7
    not_banded = CodeReader(DirectionModel("AXFD"), ALPHABET, 4, ("ABLF", "AX6D")).read(pixels[:1], boxes[:1])[0]
    assert not_banded.match(0.5) == UNREAD and not_banded.match_score < 0.01
    assert (not_banded.code, not_banded.upward) == ("AXFD", True)  # unread: the surer reading is what it saw
    no_registry = CodeReader(DirectionModel("AXFD"), ALPHABET, 4, ()).read(pixels[:1], boxes[:1])[0]
    assert (no_registry.match(0.5), no_registry.upward) == ("AXFD", True)  # the surer reading, as read
    assert no_registry.match(0.99) == UNREAD
    short = CodeReader(DirectionModel("AXF"), ALPHABET, 4, ()).read(pixels[:1], boxes[:1])[0]
    assert short.code == "AXF" and short.match(0.0) == UNREAD  # three glyphs are no code, however sure


class StraightModel:
    """Stands in for the network: reads ``code`` surely when a dark line runs straight along the rectified
    input (some row dark over most of its width), and another code otherwise."""

    def __init__(self, code: str, other: str):
        self.code, self.other = code, other

    def __call__(self, batch, training=False):
        straight = [(image < 0.5).mean(axis=1).max() > 0.6 for image in np.asarray(batch)[..., 0]]
        return np.stack([np.log(path_steps(self.code if ok else self.other, 0.99)) for ok in straight])


def askew_line_crop(degrees: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A light tag box with a dark line through its centre along the tag, ``degrees`` off the vertical."""
    import cv2

    crop = np.full((140, 120, 3), 200, np.uint8)
    box = (40, 20, 80, 120)
    dx, dy = 45 * math.sin(math.radians(degrees)), 45 * math.cos(math.radians(degrees))
    cv2.line(crop, (int(round(60 - dx)), int(round(70 + dy))), (int(round(60 + dx)), int(round(70 - dy))),
             (20, 20, 20), 3)
    return crop, box


def test_a_crop_is_turned_round_its_box_centre():
    from spatule.reading.codes import turned

    crop, box = askew_line_crop(0.0)  # a vertical line through the box's centre (60, 70)
    flat = turned(crop, box, 90.0)  # a quarter turn: the same line, across
    dark = np.argwhere(flat[..., 0] < 100)
    assert abs(dark[:, 0].mean() - 70) <= 1 and abs(dark[:, 1].mean() - 60) <= 1  # still through the centre
    assert np.ptp(dark[:, 0]) <= 4 and np.ptp(dark[:, 1]) >= 80  # now a row, as long as it was tall
    assert turned(crop, box, 0.0) is crop


def test_a_band_askew_on_the_leg_is_read_at_the_turn_that_straightens_it():
    from dataclasses import replace

    from spatule.reading.codes import TURNS, CodeReader
    from spatule.reading.registry import UNREAD

    crop, box = askew_line_crop(TURNS[2])
    reader = CodeReader(StraightModel("AXFD", "ZZ11"), ALPHABET, 4, ("ABLF", "AXFD"))
    as_found = replace(reader, turns=(0.0,)).read([crop], [box])[0]
    assert as_found.match(0.5) == UNREAD and as_found.match_score < 1e-3  # askew: not read
    read = reader.read([crop], [box])[0]  # each view turned back and forth too
    assert read.match(0.5, 10.0) == "AXFD" and read.match_score > 0.8  # 0.99 on each of 12 steps: 0.886
    straight, _ = askew_line_crop(0.0)
    assert replace(reader, turns=(0.0,)).read([straight], [box])[0].match(0.5) == "AXFD"


class TwinModel:
    """Stands in for the network: reads ``first`` surely one way round and ``second`` as surely the other."""

    def __init__(self, first: str, second: str):
        self.first, self.second = first, second

    def __call__(self, batch, training=False):
        out = [np.log(path_steps(self.first if k % 2 == 0 else self.second, 0.99)) for k in range(len(batch))]
        return np.stack(out)


def test_codes_the_reader_cannot_tell_apart_stay_unread_whatever_the_threshold():
    from spatule.reading.codes import CodeReader
    from spatule.reading.registry import UNREAD

    crop, box = end_lit_crop(True)
    # 6SZ9 read bottom-to-top is 6ZS9 read top-to-bottom: with both banded, either bird is as likely
    both = CodeReader(TwinModel("6SZ9", "6ZS9"), ALPHABET, 4, ("6SZ9", "6ZS9", "AXFD")).read([crop], [box])[0]
    assert {both.likeliest, both.runner_up} == {"6SZ9", "6ZS9"}
    assert both.match_score == pytest.approx(both.runner_up_score, rel=1e-6)
    assert both.match(0.0, 10.0) == UNREAD and both.match(0.0, 1.0) == both.likeliest  # the margin decides
    one = CodeReader(TwinModel("6SZ9", "6ZS9"), ALPHABET, 4, ("6SZ9", "AXFD")).read([crop], [box])[0]
    assert one.match(0.5, 10.0) == "6SZ9" and one.runner_up == "AXFD" and one.runner_up_score < 1e-6


def test_the_registry_loader_warns_of_codes_that_read_as_each_other_upside_down(tmp_path: Path, caplog):
    import json

    from spatule.reading.codes import READER_FILE, READER_INFO, load_code_reader
    from spatule.reading.reader import reader_model
    from spatule.reading.weights import save_weights

    save_weights(reader_model(len(ALPHABET)).get_weights(), tmp_path / READER_FILE)
    (tmp_path / READER_INFO).write_text(json.dumps({"alphabet": ALPHABET, "code_length": 4,
                                                    "turned": {"6": "9", "9": "6", "S": "S", "Z": "Z"}}))
    (tmp_path / "birds.csv").write_text("code\n6SZ9\n6ZS9\nAXFD\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="spatule"):
        reader = load_code_reader(tmp_path, tmp_path / "birds.csv")
    assert reader.codes == ("6SZ9", "6ZS9", "AXFD")
    assert "1 pair(s) of codes read as each other upside down (6SZ9/6ZS9)" in caplog.text
    caplog.clear()
    (tmp_path / "birds.csv").write_text("code\n6SZ9\nAXFD\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="spatule"):
        load_code_reader(tmp_path, tmp_path / "birds.csv")
    assert "upside down" not in caplog.text


def test_the_threshold_is_the_least_that_reaches_the_target_accuracy_on_validation_tags():
    from spatule.reading.evaluation import FALLBACK_THRESHOLD, THRESHOLD_FLOOR, choose_threshold

    scored = [(0.9, True), (0.6, True), (0.4, False), (0.3, True), (0.2, False), (0.0005, True)]
    assert choose_threshold(scored, 0.75)[0] == 0.3  # 3 of 4 right from 0.3 up; 3 of 5 from 0.2
    assert choose_threshold(scored, 0.99)[0] == 0.6  # the 0.4 wrong reading must stay out
    all_right = [(0.8, True), (0.01, True)]
    assert choose_threshold(all_right, 0.98)[0] == THRESHOLD_FLOOR  # never under the floor
    value, why = choose_threshold([], 0.98)
    assert value == FALLBACK_THRESHOLD and why.startswith("fallback")
    value, why = choose_threshold([(0.9, False)], 0.5)
    assert value > 0.9 and "none accepted" in why  # nothing reaches the target: nothing is accepted


@pytest.mark.parametrize("registry", [["AXFD"], ["AXFD", "ABLF"], [f"{a}{b}XD" for a in "ABCDF" for b in "HJLNP"]])
def test_the_rendered_check_draws_half_its_crops_of_the_registrys_birds_and_half_of_birds_off_it(registry):
    from spatule.reading.check import check_codes

    codes, banded = check_codes(registry, ALPHABET, 4, 101, seed=3)
    assert (len(codes), banded) == (101, 50)
    assert set(codes[:banded]) <= set(registry) and not set(codes[banded:]) & set(registry)
    assert all(len(c) == 4 and set(c) <= set(ALPHABET) for c in codes)
    assert len(set(codes[banded:])) > 45  # birds off the registry: 51 codes, hardly one drawn twice
    if len(registry) > 2:
        assert len(set(codes[:banded])) > 10  # birds of a long registry, not a few of them again and again
    assert check_codes(registry, ALPHABET, 4, 101, seed=3) == (codes, banded)  # the same every run
    assert check_codes(registry, ALPHABET, 4, 101, seed=4) != (codes, banded)
    unbanded, none = check_codes([], ALPHABET, 4, 40)
    assert none == 0 and len(unbanded) == 40


def test_the_rendered_check_fills_its_crops_from_a_small_code_space_and_none_off_a_registry_of_every_code():
    from spatule.reading.check import check_codes

    codes, banded = check_codes(["12", "21", "11"], "12", 2, 1000)  # 3-digit codes of 900 birds are alike
    assert (len(codes), banded) == (1000, 500) and set(codes[500:]) == {"22"}
    every = ["11", "12", "21", "22"]
    codes, banded = check_codes(every, "12", 2, 1000)  # every code is banded: no crop off the registry
    assert (len(codes), banded) == (500, 500)


def test_the_rendered_checks_wrong_readings_are_told_apart_a_registry_bird_from_one_off_it():
    from spatule.reading.check import RenderedCheck

    check = RenderedCheck([(0.9, True), (0.5, False), (0.2, False), (0.05, True)], [True, True, False, True], 10, 5)
    assert check.figures(0.1) == {"crops": 10, "banded": 5, "past_margin": 4, "accepted": 3, "right": 1,
                                  "wrong_registry_bird": 1, "wrong_off_registry": 1}
    assert check.figures(0.01)["accepted"] == 4 and check.figures(0.6)["wrong_registry_bird"] == 0


def test_a_set_of_readings_gives_its_coverage_and_accuracy_with_intervals():
    from spatule.reading.evaluation import set_figures
    from spatule.reading.registry import UNREAD

    reads = [("AXFD", "AXFD")] * 8 + [("ABLF", "AXFD"), ("ABLF", UNREAD), ("HHHH", UNREAD)]
    f = set_figures(reads)
    assert (f["n"], f["accepted"], f["right"], f["wrong"]) == (11, 9, 8, 1)
    assert (f["coverage"]["k"], f["coverage"]["n"], f["accuracy"]["k"], f["accuracy"]["n"]) == (9, 11, 8, 9)
    assert f["accuracy"]["low"] < 8 / 9 < f["accuracy"]["high"] and f["wrong_share"]["rate"] == round(1 / 9, 4)
    empty = set_figures([])
    assert empty["accuracy"]["rate"] is None and (empty["accuracy"]["low"], empty["accuracy"]["high"]) == (0.0, 1.0)


@pytest.mark.parametrize("raw, expected", [
    ("2018:05:21 06:20:00", "2018-05-21T06:20:00"), ("2018:05:21 06:20:00\x00", "2018-05-21T06:20:00"),
    ("0000:00:00 00:00:00", None),  # a camera whose clock was never set
    ("    :  :     :  :  ", None), ("2018:13:40 25:61:00", None), ("", None)])
def test_an_exif_time_is_a_real_time_or_none(raw: str, expected):
    from spatule.labels.photos import exif_time

    assert exif_time(raw) == expected


@pytest.mark.slow
def test_training_the_reader_twice_gives_the_same_weights_byte_for_byte(font_glyphs, tmp_path: Path):
    from spatule.reading.train import fit_reader
    from spatule.reading.weights import save_weights

    for name in ("a", "b"):
        model, figures = fit_reader(font_glyphs, 256, 64, 1, seed=3)
        save_weights(model.get_weights(), tmp_path / f"{name}.npz")
        assert {"rendered_exact", "rendered_per_glyph"} <= set(figures)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_a_reader_folder_that_is_not_one_is_refused_naming_the_file(tmp_path: Path):
    from spatule.reading.codes import READER_FILE, READER_INFO, load_code_reader

    with pytest.raises(SpatuleError, match=f"{READER_FILE}: not found"):
        load_code_reader(tmp_path, None)
    (tmp_path / READER_FILE).write_bytes(b"x")
    (tmp_path / READER_INFO).write_text("{not json", encoding="utf-8")
    with pytest.raises(SpatuleError, match=f"{READER_INFO}: not a reader's description"):
        load_code_reader(tmp_path, None)
    (tmp_path / READER_INFO).write_text('{"alphabet": "AAB", "code_length": 4}', encoding="utf-8")
    with pytest.raises(SpatuleError, match="repeated glyph"):
        load_code_reader(tmp_path, None)


def imports_of(module: Path) -> set[str]:
    import ast

    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return imported | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_the_demo_draws_its_tags_through_its_own_path_never_the_readers_generator():
    """Two worlds: spatule.demo imports nothing that draws the reader's training crops, and the reader's
    generator nothing of the demo's drawing, so the demo's reading figures measure a reader on tags it was
    not drawn to match."""
    import spatule.demo
    import spatule.reading

    generator = {"spatule.reading.band", "spatule.reading.render", "spatule.reading.train", "spatule.reading.glyphs"}
    for module in sorted(Path(spatule.demo.__file__).parent.glob("*.py")):
        assert not imports_of(module) & generator, f"{module.name} imports {imports_of(module) & generator}"
    for name in ("band", "render", "train", "glyphs"):
        module = Path(spatule.reading.__file__).parent / f"{name}.py"
        assert not {m for m in imports_of(module) if m.startswith("spatule.demo")}, module.name


def spatule_imports(module: Path) -> set[str]:
    """What ``module`` imports of spatule, anywhere in it (inside functions too), ``from spatule import x``
    as ``spatule.x``."""
    import ast

    names = set(imports_of(module))
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "spatule":
            names |= {f"spatule.{a.name}" for a in node.names}
    return {n for n in names if n.startswith("spatule.")}


def test_codes_have_one_home_that_neither_the_demo_nor_the_reader_owns():
    """The alphabet, the code length (the schema's defaults) and code drawing are spatule.code_space's
    (standard library only); the demo imports nothing of the reader, the reader nothing of the demo."""
    import sys

    import spatule.demo
    import spatule.reading
    from spatule import code_space
    from spatule.config import default

    assert code_space.ALPHABET == default("read", "alphabet")
    assert code_space.CODE_LENGTH == default("read", "code_length")
    standard = set(sys.stdlib_module_names) | {"__future__"}
    assert {m.split(".")[0] for m in imports_of(Path(code_space.__file__))} <= standard
    for module in sorted(Path(spatule.demo.__file__).parent.glob("*.py")):
        assert not {m for m in spatule_imports(module) if m.startswith("spatule.reading")}, module.name
    for module in sorted(Path(spatule.reading.__file__).parent.glob("*.py")):
        assert not {m for m in spatule_imports(module) if m.startswith("spatule.demo")}, module.name


def test_the_reading_sheets_draw_codes_of_the_length_they_are_given(font_glyphs, tmp_path: Path, monkeypatch):
    import spatule.reading.render as render
    from spatule.reading.figures import real_vs_rendered_sheet, rendered_sheet

    drawn, real = [], render.render_reading_crop
    monkeypatch.setattr(render, "render_reading_crop", lambda code, *a, **k: drawn.append(code) or real(code, *a, **k))
    rendered_sheet(font_glyphs, 3, 1, tmp_path / "rendered.jpg", "font", count=4)
    real_vs_rendered_sheet([], [], [], font_glyphs, 5, 1, tmp_path / "real_vs_rendered.jpg", per_tag=1)
    assert [len(c) for c in drawn] == [3] * 4 + [5] * 4
    assert cv2.imread(str(tmp_path / "rendered.jpg")) is not None


def test_one_rule_takes_a_reading_as_a_bird_in_memory_and_in_a_table_row():
    from spatule.reading.codes import Acceptance, CodeRead
    from spatule.reading.registry import UNREAD

    read = CodeRead("AXFD", 0.5, "AXFD", 0.5, True, "ABLF", 0.04)
    row = {"likeliest": "AXFD", "match_score": "0.5", "runner_up_score": "0.04"}
    for threshold, margin, expected in ((0.4, 10.0, "AXFD"), (0.6, 10.0, UNREAD), (0.4, 20.0, UNREAD)):
        acceptance = Acceptance(threshold, margin)
        assert acceptance.of_read(read) == acceptance.of_row(row) == read.match(threshold, margin) == expected
    assert Acceptance(0.9, 10.0).passes_margin(read) and not Acceptance(0.0, 20.0).passes_margin(read)
    assert Acceptance(0.0, 1.0).of("", 1.0, 0.0) == UNREAD  # no candidate: nothing to take


def test_the_new_days_tags_are_matched_to_detections_once_each_and_the_rest_counted(tmp_path: Path):
    from spatule.stages.reading_evaluation import NewDay, new_day_reads

    truth = tmp_path / "truth.csv"
    truth.write_text("image,xmin,ymin,xmax,ymax,identity,difficult\n"
                     "a.JPG,10,10,50,90,AXFD,0\n"      # found twice: one pair, the second box is a false one
                     "a.JPG,200,10,240,90,ABLF,0\n"    # not found: missed
                     "a.JPG,300,10,340,90,far-1,1\n"   # difficult and not found: not counted
                     "b.JPG,10,10,50,90,HN6J,0\n", encoding="utf-8")  # found, read as a wrong bird
    found = tmp_path / "detections.csv"
    found.write_text("photo,x0,y0,x1,y1,registry_match\n"
                     "a.JPG,11,11,50,90,AXFD\n"
                     "a.JPG,12,14,52,92,AXFD\n"          # the same tag again, read as its bird
                     "a.JPG,30,10,80,90,HN6J\n"          # half on AXFD's tag, read as another bird
                     "a.JPG,600,600,640,680,ZZ11\n"      # on no tag, read as a bird
                     "a.JPG,700,600,740,680,unread\n"    # on no tag, unread
                     "b.JPG,10,10,50,90,HN9J\n", encoding="utf-8")
    pairs, counts = new_day_reads(NewDay(truth, found))
    assert sorted(pairs) == [("AXFD", "AXFD"), ("HN6J", "HN9J")]
    assert counts == {"missed": 1, "false_boxes_read": 2, "extra_boxes_read_right": 1}
