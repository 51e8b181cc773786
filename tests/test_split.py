"""Split by identity: disjoint by construction, reproducible, clear about too few groups."""

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spatule import stages
from spatule.labels.objects import LabelledObject, write_objects
from spatule.problems import SpatuleError
from spatule.split import SPLITS, SplitPlan, assign_groups, photo_splits, seeded_order
from spatule.stages.splitting import SplitTables
from spatule.labels.tags import TagCrop, write_tags

weights_strategy = st.dictionaries(st.text("ABCDFHJLNPSTVXYZ123569", min_size=4, max_size=4),
                                   st.integers(1, 9), min_size=3, max_size=60)


@settings(max_examples=200, deadline=None)
@given(weights=weights_strategy, seed=st.integers(0, 10**6),
       val=st.sampled_from([0.0, 0.1, 0.15, 0.3]), test=st.sampled_from([0.0, 0.1, 0.15, 0.3]))
def test_every_group_lands_in_exactly_one_split_and_every_asked_split_is_filled(weights, seed, val, test):
    plan = SplitPlan(val, test, seed)
    assignment = assign_groups(weights, plan, "identities")
    assert set(assignment) == set(weights)
    present = Counter(assignment.values())
    assert present["train"] >= 1
    assert (present["val"] >= 1) == (val > 0) and (present["test"] >= 1) == (test > 0)


def test_same_seed_same_split_other_seed_other_split():
    weights = {f"ID{i:02d}": 1 + i % 3 for i in range(40)}
    a = assign_groups(weights, SplitPlan(0.15, 0.15, 3), "identities")
    assert a == assign_groups(dict(reversed(list(weights.items()))), SplitPlan(0.15, 0.15, 3), "identities")
    assert a != assign_groups(weights, SplitPlan(0.15, 0.15, 4), "identities")


def test_held_out_splits_get_about_their_share_of_tags():
    weights = {f"ID{i:03d}": 1 + i % 4 for i in range(200)}
    assignment = assign_groups(weights, SplitPlan(0.15, 0.2, 11), "identities")
    total = sum(weights.values())
    share = {s: sum(w for k, w in weights.items() if assignment[k] == s) / total for s in SPLITS}
    assert share["val"] == pytest.approx(0.15, abs=0.02)
    assert share["test"] == pytest.approx(0.2, abs=0.02)


def test_too_few_identities_says_how_many_there_are_and_are_needed():
    with pytest.raises(SpatuleError, match=r"only 2 tag identities \(ABL5, AXFD\).*at least 3"):
        assign_groups({"AXFD": 1, "ABL5": 1}, SplitPlan(0.15, 0.15, 1), "tag identities")
    assert set(assign_groups({"AXFD": 1, "ABL5": 1}, SplitPlan(0.0, 0.3, 1), "tag identities").values()) == {
        "train", "test"}


@pytest.mark.parametrize("val,test", [(-0.1, 0.1), (0.5, 0.5), (1.0, 0.0)])
def test_impossible_fractions_are_refused_by_name(val, test):
    with pytest.raises(SpatuleError, match="fraction"):
        SplitPlan(val, test, 0)


def test_order_is_a_function_of_seed_and_name_only():
    assert seeded_order(["a", "b", "c"], 5) == seeded_order(["c", "a", "b"], 5)
    grown = seeded_order(["a", "b", "c", "d"], 5)
    assert [n for n in grown if n != "d"] == seeded_order(["a", "b", "c"], 5)


def test_a_photo_with_tags_of_two_splits_is_mixed():
    splits = photo_splits([("p1", "A"), ("p1", "B"), ("p2", "A")], {"A": "train", "B": "test"})
    assert splits == {"p1": "mixed", "p2": "train"}


def _background(image: str) -> LabelledObject:
    return LabelledObject(image=image, xml=image + ".xml", kind="background", object=None, name="", identity="",
                          identity_source="", xmin=None, ymin=None, xmax=None, ymax=None, difficult=False,
                          truncated=False, width=800, height=600, orientation=1, orientation_applied=False)


def _tables(tmp_path: Path) -> SplitTables:
    """The split stage's outputs in ``tmp_path``: ``<table>.csv`` and ``summary.json``."""
    return SplitTables(tmp_path / "identities.csv", tmp_path / "backgrounds.csv", tmp_path / "photos.csv",
                       tmp_path / "summary.json")


def test_split_stage_writes_disjoint_identities_and_backgrounds(tmp_path: Path):
    crops = [TagCrop(f"p{i}-t{j}", f"p{i}-t{j}.png", f"p{i}.JPG", j, f"ID{(i + j) % 9}", "csv", 0, 0, 50, 80,
                     8, 8, 42, 72, False) for i in range(20) for j in (1, 2)]
    write_tags(tmp_path / "tags.csv", crops)
    write_objects(tmp_path / "objects.csv", [_background(f"bg{i}.JPG") for i in range(10)])
    out = {k: tmp_path / f"{k}.csv" for k in ("identities", "backgrounds", "photos")}
    summary = stages.split(tmp_path / "objects.csv", tmp_path / "tags.csv",
                          {"val_fraction": 0.15, "test_fraction": 0.15, "seed": 1}, _tables(tmp_path))
    identities = [line.split(",") for line in out["identities"].read_text().splitlines()[1:]]
    assert sorted(i[0] for i in identities) == [f"ID{k}" for k in range(9)]  # each exactly once
    assert {i[1] for i in identities} == set(SPLITS)
    backgrounds = [line.split(",") for line in out["backgrounds"].read_text().splitlines()[1:]]
    assert len({b[0] for b in backgrounds}) == 10 and {b[1] for b in backgrounds} == set(SPLITS)
    assert sum(int(i[2]) for i in identities) == len(crops)
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["identities_known"] is True


def test_identities_seen_together_form_one_group():
    from spatule.split import cooccurrence_groups
    groups = cooccurrence_groups([("p1", "A"), ("p1", "B"), ("p2", "B"), ("p2", "C"), ("p3", "D"), ("p4", "E")])
    assert groups == {"A": "A+B+C", "B": "A+B+C", "C": "A+B+C", "D": "D", "E": "E"}


def test_split_stage_keeps_photos_whole_when_groups_allow(tmp_path: Path):
    # nests of two birds, always photographed together: no photo may end up mixed
    crops = [TagCrop(f"n{n}p{p}-t{j}", f"n{n}p{p}-t{j}.png", f"n{n}p{p}.JPG", j, f"ID{2 * n + j}", "csv",
                     0, 0, 50, 80, 8, 8, 42, 72, False) for n in range(8) for p in range(3) for j in (0, 1)]
    write_tags(tmp_path / "tags.csv", crops)
    write_objects(tmp_path / "objects.csv", [_background(f"bg{i}.JPG") for i in range(5)])
    out = {k: tmp_path / f"{k}.csv" for k in ("identities", "backgrounds", "photos")}
    config = {"val_fraction": 0.15, "test_fraction": 0.15, "seed": 2}
    stages.split(tmp_path / "objects.csv", tmp_path / "tags.csv", config, _tables(tmp_path))
    photos = [line.split(",") for line in out["photos"].read_text().splitlines()[1:]]
    assert len(photos) == 24 and "mixed" not in {p[1] for p in photos}
    assert {p[1] for p in photos} == set(SPLITS)
    stages.split(tmp_path / "objects.csv", tmp_path / "tags.csv", {**config, "keep_photos_whole": False},
                 _tables(tmp_path))
    identities = dict(line.split(",")[:2] for line in out["identities"].read_text().splitlines()[1:])
    assert len(identities) == 16  # still every identity once, one split each


def _photo_at(path: Path, when: str | None) -> None:
    """A small JPEG taken ``when`` (EXIF ``YYYY:MM:DD HH:MM:SS``; None: no EXIF time)."""
    import cv2
    import numpy as np

    from spatule.labels.photos import exif_segment, with_exif

    path.parent.mkdir(parents=True, exist_ok=True)
    jpeg = cv2.imencode(".jpg", np.full((60, 80, 3), 128, np.uint8))[1].tobytes()
    path.write_bytes(with_exif(jpeg, exif_segment(when, "cam")) if when else jpeg)


def test_bursts_are_runs_of_one_camera_within_the_gap():
    from spatule.split import bursts

    times = {"a/1.JPG": "2018-05-07T05:34:00", "a/2.JPG": "2018-05-07T05:39:00", "a/3.JPG": "2018-05-07T06:00:00",
             "b/1.JPG": "2018-05-07T05:36:00", "c.JPG": None, "a/4.JPG": "2018-05-07T06:09:59"}
    assert bursts(times, 10) == {"a/1.JPG": "a/1.JPG", "a/2.JPG": "a/1.JPG", "a/3.JPG": "a/3.JPG",
                                 "a/4.JPG": "a/3.JPG", "b/1.JPG": "b/1.JPG", "c.JPG": "c.JPG"}
    assert set(bursts(times, 0).values()) == set(times)  # off: every photo its own


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_burst_goes_whole_to_one_split_with_its_birds_and_ground(tmp_path: Path, seed: int):
    """Twelve cameras, each a burst of three frames five minutes apart: a bird, another bird, bare ground.
    Split photo by photo, frames of one scene land in two splits; split by bursts, never."""
    crops, grounds = [], []
    for c in range(12):
        for f in range(3):
            image = f"cam{c}/IMAG{f:04d}.JPG"
            _photo_at(tmp_path / "labels" / image, f"2018:05:{c + 1:02d} 06:{5 * f:02d}:00")
            if f < 2:
                crops.append(TagCrop(f"c{c}f{f}", f"c{c}f{f}.png", image, 0, f"ID{c}{f}", "csv", 0, 0, 50, 80,
                                     8, 8, 42, 72, False))
            else:
                grounds.append(_background(image))
    write_tags(tmp_path / "tags.csv", crops)
    write_objects(tmp_path / "objects.csv", grounds)
    out = {k: tmp_path / f"{k}.csv" for k in ("identities", "backgrounds", "photos")}

    def split_by(minutes: float) -> tuple[dict, dict]:
        summary = stages.split(tmp_path / "objects.csv", tmp_path / "tags.csv",
                               {"val_fraction": 0.2, "test_fraction": 0.2, "seed": seed, "burst_minutes": minutes},
                               _tables(tmp_path), labels_dir=tmp_path / "labels")
        where = {}
        for table in ("photos", "backgrounds"):
            for line in out[table].read_text().splitlines()[1:]:
                image, split = line.split(",")[:2]
                where.setdefault(image.split("/")[0], set()).add(split)
        return where, summary

    before, summary = split_by(0)
    assert any(len(s) > 1 for s in before.values()) and summary["bursts"] == 36  # frames of a scene crossed
    after, summary = split_by(10)
    assert all(len(s) == 1 for s in after.values()), after
    assert {next(iter(s)) for s in after.values()} == set(SPLITS)
    assert (summary["bursts"], summary["bursts_across_splits"], summary["photos_without_time"]) == (12, [], 0)


def test_a_burst_holding_most_birds_is_not_kept_whole_at_the_cost_of_the_held_out_splits(caplog):
    """One long time-lapse burst with 16 birds and four short bursts of a bird each: kept whole, the burst
    fills one split and leaves another a bird or none; the split goes by photos instead."""
    from spatule.split import MIN_SHARE, assign_identities_to_splits

    crops = [TagCrop(f"b{k}", f"b{k}.png", f"cam0/IMAG{k // 2:04d}.JPG", 0, f"BIG{k}", "csv", 0, 0, 50, 80,
                     8, 8, 42, 72, False) for k in range(16)]
    crops += [TagCrop(f"s{k}", f"s{k}.png", f"cam{k + 1}/IMAG0000.JPG", 0, f"SMALL{k}", "csv", 0, 0, 50, 80,
                      8, 8, 42, 72, False) for k in range(4)]
    burst = {c.image: ("cam0" if c.image.startswith("cam0/") else c.image) for c in crops}
    tag_count = Counter(c.identity for c in crops)
    plan = SplitPlan(0.2, 0.2, 3)
    whole = assign_identities_to_splits(crops, tag_count, plan, True, burst=None)  # photos: 12 groups
    split = assign_identities_to_splits(crops, tag_count, plan, True, burst=burst)
    assert split == whole  # fell back to photos
    assert "too uneven to fill the splits" in caplog.text and "splitting by photos instead" in caplog.text
    shares = Counter(split.values())
    for name, fraction in (("train", 0.6), *plan.held_out):
        assert shares[name] / len(crops) >= MIN_SHARE * fraction, shares
    # with the big burst cut in four, bursts are even enough and kept whole
    even = {**burst, **{c.image: f"cam0-{k // 4}" for k, c in enumerate(crops[:16])}}
    caplog.clear()
    kept = assign_identities_to_splits(crops, tag_count, plan, True, burst=even)
    assert "too uneven" not in caplog.text
    assert all(len({kept[c.identity] for c in crops[q:q + 4]}) == 1 for q in range(0, 16, 4))
