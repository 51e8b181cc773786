"""Reading the codes: glyphs from a font or a sheet, rendered training crops, rectified crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from spatule.demo import FONT_PATH, TAG_ALPHABET
from spatule.problems import SpatuleError
from spatule.reading.glyphs import GLYPH_HEIGHT, cut_glyph_sheet, glyphs_from_font
from spatule.reading.render import READ_SIZE, glyph_column, rectify, render_reading_crop

FONT_SHEET = Path(__file__).resolve().parents[2] / "shared" / "data" / "spoo-font" / "SPOO-FONT.jpg"


@pytest.fixture(scope="module")
def font_glyphs():
    return glyphs_from_font(FONT_PATH, TAG_ALPHABET)


def write_sheet(path: Path, glyphs, order: str, gap: int = 12) -> Path:
    """A sheet as a user scans one: black glyphs in a row on white, with a little noise."""
    parts = []
    for char in order:
        parts += [glyphs.glyph(char), np.zeros((GLYPH_HEIGHT, gap), np.float32)]
    row = np.pad(np.concatenate(parts, axis=1), 20)
    pixels = 255 - 255 * row + np.random.default_rng(0).normal(0, 4, row.shape)
    cv2.imwrite(str(path), np.clip(pixels, 0, 255).astype(np.uint8))
    return path


def test_a_sheet_is_cut_into_the_alphabets_glyphs_in_order(font_glyphs, tmp_path: Path):
    sheet = write_sheet(tmp_path / "sheet.png", font_glyphs, TAG_ALPHABET)
    cut = cut_glyph_sheet(sheet, TAG_ALPHABET)
    assert cut.alphabet == TAG_ALPHABET and len(cut.ink) == len(TAG_ALPHABET)
    for char in TAG_ALPHABET:  # each glyph is the one drawn there, not its neighbour
        mine, truth = cut.glyph(char), font_glyphs.glyph(char)
        assert mine.shape[0] == GLYPH_HEIGHT and abs(mine.shape[1] - truth.shape[1]) <= 2, char
        same = cv2.resize(mine, truth.shape[::-1], interpolation=cv2.INTER_AREA)
        assert np.abs(same - truth).mean() < 0.08, char
    with pytest.raises(SpatuleError, match=r"sheet.png: 22 glyph\(s\) found, but read.alphabet has 21"):
        cut_glyph_sheet(sheet, TAG_ALPHABET[:-1])
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(SpatuleError, match="broken.jpg: not an image"):
        cut_glyph_sheet(tmp_path / "broken.jpg", TAG_ALPHABET)
    with pytest.raises(SpatuleError, match="'E' is not in the tag alphabet"):
        cut.glyph("E")


@pytest.mark.sample
def test_the_real_tag_font_sheet_gives_its_22_glyphs():
    if not FONT_SHEET.is_file():
        pytest.skip(f"{FONT_SHEET} is absent")
    cut = cut_glyph_sheet(FONT_SHEET, "ABCDFHJLNPSTVXYZ123569")
    widths = {char: ink.shape[1] for char, ink in zip(cut.alphabet, cut.ink)}
    assert min(widths, key=widths.get) == "1" and max(widths, key=widths.get) == "A"  # what the sheet shows
    assert all(ink.shape[0] == GLYPH_HEIGHT and ink.max() > 0.9 for ink in cut.ink)


def test_a_glyph_column_reads_bottom_to_top(font_glyphs):
    column = glyph_column(font_glyphs)("AX19", 120.0, 40.0)
    assert column.shape[0] > column.shape[1]  # along the leg
    assert abs(column.shape[0] - 120) <= 2 and column.shape[1] <= 40
    row = np.rot90(column, k=-1)  # turned back: left to right
    ink_per_column = row.max(axis=0) > 0.3
    starts = np.flatnonzero(np.diff(ink_per_column.astype(int)) == 1)
    assert len(starts) + int(ink_per_column[0]) == 4  # four glyphs, apart
    first = row[:, : row.shape[1] // 4]
    a = cv2.resize(font_glyphs.glyph("A"), first.shape[::-1], interpolation=cv2.INTER_AREA)
    nine = cv2.resize(font_glyphs.glyph("9"), first.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(first - a).mean() < np.abs(first - nine).mean()  # 'A' comes first


def test_rendered_crops_are_repeatable_and_rectify_to_the_readers_size(font_glyphs):
    one = render_reading_crop("HFZC", font_glyphs, np.random.default_rng(4), band_px=60.0)
    again = render_reading_crop("HFZC", font_glyphs, np.random.default_rng(4), band_px=60.0)
    assert np.array_equal(one.pixels, again.pixels) and one.code == "HFZC"
    h, w = one.pixels.shape[:2]
    assert h > w and 60 <= h <= 60 * 1.6 + 2 * 16  # a band taller than wide, with its margin
    flat = rectify(one.pixels, one.upward)
    assert flat.shape == READ_SIZE[::-1] and flat.dtype == np.float32 and 0 <= flat.min() < flat.max() <= 1
    # the band is the brightest part and runs across the rectified crop
    middle = flat[READ_SIZE[1] // 3: 2 * READ_SIZE[1] // 3]
    assert middle.mean() > flat[:3].mean() or middle.mean() > flat[-3:].mean()
    directions = {render_reading_crop("HFZC", font_glyphs, np.random.default_rng(s)).upward for s in range(12)}
    assert directions == {True, False}  # both directions are drawn


# --- the registry ------------------------------------------------------------------------------------------

def one_hot(code: str, alphabet: str = TAG_ALPHABET, sure: float = 0.97) -> np.ndarray:
    probs = np.full((len(code), len(alphabet)), (1 - sure) / (len(alphabet) - 1))
    for i, char in enumerate(code):
        probs[i, alphabet.index(char)] = sure
    return probs


def test_a_reading_matches_the_registry_code_it_is_closest_to_or_stays_unread(tmp_path: Path):
    from spatule.reading.registry import UNREAD, code_probabilities, match_registry, read_registry

    registry = tmp_path / "birds.csv"
    registry.write_text("code,sex,ringed\nAXFD,F,2016\nablf,M,2017\nAX6D,F,2018\n", encoding="utf-8")
    birds = read_registry(registry, TAG_ALPHABET)
    assert [b.code for b in birds] == ["AXFD", "ABLF", "AX6D"] and birds[1].columns == {"sex": "M", "ringed": "2017"}
    codes = [b.code for b in birds]
    assert match_registry(one_hot("ABLF"), TAG_ALPHABET, codes, 0.5)[0] == "ABLF"
    # a glyph the reader hesitates on between 6 and 9: the registry code with 6 wins, nothing is invented
    unsure = one_hot("AX9D")
    unsure[2, TAG_ALPHABET.index("9")], unsure[2, TAG_ALPHABET.index("6")] = 0.55, 0.43
    code, score = match_registry(unsure, TAG_ALPHABET, codes, 0.3)
    assert code == "AX6D" and 0.3 < score < 0.45
    assert match_registry(unsure, TAG_ALPHABET, codes, 0.5) == (UNREAD, score)  # not sure enough: unread
    assert match_registry(one_hot("ZZZZ"), TAG_ALPHABET, codes, 0.01)[0] == UNREAD  # a bird not banded here
    probs = code_probabilities(one_hot("AXFD"), TAG_ALPHABET, ["AXFD", "AXFB", "BXFB"])
    assert probs[0] > probs[1] > probs[2]  # one glyph off keeps a little, two less


@pytest.mark.parametrize("text, defect", [
    ("name\nAXFD\n", "needs a 'code' column"),
    ("code\nAXF\n", r"birds.csv:2: code 'AXF' cannot be on a tag \(3 glyphs, not 4\)"),
    ("code\nAXFD\nAEFD\n", r"birds.csv:3: code 'AEFD' cannot be on a tag \(glyphs \['E'\] are not in"),
    ("code\nAXFD\naxfd\n", "birds.csv:3: code AXFD is already on line 2"),
])
def test_a_registry_that_cannot_be_right_is_refused_naming_the_line(tmp_path: Path, text: str, defect: str):
    from spatule.reading.registry import read_registry

    (tmp_path / "birds.csv").write_text(text, encoding="utf-8")
    with pytest.raises(SpatuleError, match=defect):
        read_registry(tmp_path / "birds.csv", TAG_ALPHABET)


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
    assert seen[0].row() == ["cam2/b.jpg", "cam2", "2018-05-21T06:00:00", "AXFD", 0.8, 1.0, 1.0, 2.0, 2.0]
    assert birds(seen) == [["ABLF", "2018-05-21T07:00:00", "2018-05-21T07:00:00", 1, 1, 1],
                           ["AXFD", "2018-05-21T06:00:00", "2018-05-21T06:20:00", 3, 3, 3]]


def test_the_reader_outputs_a_ctc_step_per_four_columns_and_greedy_decoding_collapses_them():
    from spatule.reading.reader import STEPS, ctc_loss, greedy, reader_model

    model = reader_model(len(TAG_ALPHABET))
    crops = np.random.default_rng(0).random((2, READ_SIZE[1], READ_SIZE[0], 1)).astype(np.float32)
    logits = np.asarray(model(crops))
    assert logits.shape == (2, STEPS, len(TAG_ALPHABET) + 1)
    labels = np.array([[1, 2, 3, 4], [5, 5, 6, 7]])
    assert np.isfinite(np.asarray(ctc_loss()(labels, logits))).all()
    steps = np.zeros((STEPS, len(TAG_ALPHABET) + 1))
    path = [0, 1, 1, 0, 14, 0, 0, 14, 14, 0, 4, 0] + [0] * (STEPS - 12)  # A, X, X (a blank between), D
    steps[np.arange(STEPS), path] = 1.0
    reading = greedy(steps, TAG_ALPHABET, upward=False)
    assert reading.code == "AXXD" and reading.score == 1.0 and not reading.upward


def test_the_ctc_probability_of_a_code_is_what_keras_ctc_gives_and_matches_the_registry():
    from keras import ops

    from spatule.reading.reader import STEPS
    from spatule.reading.registry import UNREAD, ctc_probability, match_registry

    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(STEPS, len(TAG_ALPHABET) + 1)).astype(np.float32)
    steps = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = [TAG_ALPHABET.index(c) + 1 for c in "AXXD"]  # a doubled glyph needs a blank between
    loss = ops.ctc_loss(np.array([labels]), logits[None], np.array([4]), np.array([STEPS]), mask_index=0)
    assert ctc_probability(steps, labels) == pytest.approx(float(np.exp(-np.asarray(loss)[0])), rel=1e-4)
    # a reading sure of AXFD but hesitating on F/6 at one step: AX6D in the registry is found, never invented
    path = [0, 1, 0, 14, 0, 5, 0, 4] + [0] * (STEPS - 8)
    sure = np.full((STEPS, len(TAG_ALPHABET) + 1), 1e-4)
    sure[np.arange(STEPS), path] = 1.0
    sure[5, TAG_ALPHABET.index("6") + 1] = 0.8
    sure /= sure.sum(axis=1, keepdims=True)
    code, score = match_registry(sure, TAG_ALPHABET, ["ABLF", "AX6D"], 0.3, ctc=True)
    assert code == "AX6D" and 0.3 < score < 0.6
    assert match_registry(sure, TAG_ALPHABET, ["ABLF", "AX6D"], 0.6, ctc=True)[0] == UNREAD
