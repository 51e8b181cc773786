"""The demo's new day: visits (birds staying in place over a camera's consecutive frames) and the camera's logo."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from spatule.demo import DemoParams, generate_campaign
from spatule.demo.new_day import generate_new_day, logo_box, new_day_seed, plan_visits
from spatule.demo.scene import draw_logo
from spatule.geometry import iou, overlaps
from spatule.labels.photos import photo_exif

PARAMS = DemoParams(seed=7, photos=30, identities=14, width=960, height=720, info_bar_px=30, new_photos=36)
"""Small, but a scale at which far tags' long names still fit their bands (0.6)."""

DEFAULT = DemoParams(seed=2018, photos=300, identities=130, new_photos=120)
"""The workflow's demo (config.yaml): planned only, never drawn here."""


@dataclass(frozen=True)
class Day:
    photos: Path
    truth: list[dict[str, str]]
    frames: dict[str, list[str]]
    """Camera -> its photos in time order."""

    def boxes(self, image: str) -> dict[str, tuple[int, int, int, int]]:
        """Identity -> box of the legible (not difficult) tags of ``image``."""
        return {r["identity"]: tuple(int(r[c]) for c in ("xmin", "ymin", "xmax", "ymax"))
                for r in self.truth if r["image"] == image and r["difficult"] == "0"}


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    root = tmp_path_factory.mktemp("new_day")
    generate_new_day(root / "photos", root / "truth.csv", PARAMS)
    with (root / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    taken: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path in sorted((root / "photos").rglob("*.JPG")):
        when, camera = photo_exif(path)
        assert when is not None and camera is not None, path
        taken[camera].append((when, path.relative_to(root / "photos").as_posix()))
    frames = {camera: [name for _, name in sorted(shots)] for camera, shots in taken.items()}
    return Day(root / "photos", truth, frames)


def _centre(box: tuple[int, ...]) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def test_each_cameras_frames_are_10_minutes_apart(day: Day) -> None:
    assert sorted(day.frames) == ["CAM-1", "CAM-2"]
    assert all(not name.startswith("camera2/") for name in day.frames["CAM-1"])
    assert all(name.startswith("camera2/") for name in day.frames["CAM-2"])
    for camera, names in day.frames.items():
        times = [datetime.fromisoformat(photo_exif(day.photos / name)[0]) for name in names]
        assert all(b - a == timedelta(minutes=10) for a, b in zip(times, times[1:])), (camera, times)


def test_a_bird_stays_where_it_stood_over_a_cameras_consecutive_frames(day: Day) -> None:
    pairs = []
    for names in day.frames.values():
        for before, after in zip(names, names[1:]):
            a, b = day.boxes(before), day.boxes(after)
            pairs += [(a[code], b[code]) for code in a.keys() & b.keys()]
    assert len(pairs) >= 10
    for a, b in pairs:  # a few pixels off, about the same size (what a band cut by the border shows may vary more)
        height = max(a[3] - a[1], b[3] - b[1])
        assert np.hypot(*(_centre(a) - _centre(b))) <= 0.15 * height and iou(a, b) > 0.5, (a, b)
        cut = min(a[0], a[1], b[0], b[1]) == 0 or max(a[2], b[2]) == PARAMS.width
        assert cut or 0.85 <= (b[3] - b[1]) / (a[3] - a[1]) <= 1.15, (a, b)


def test_a_visit_lasts_1_to_4_frames_of_one_nest_group(day: Day) -> None:
    """Consecutive frames of a camera that show a bird in common belong to one visit: never more than 4 frames,
    never more than a nest group (3 birds); a bird of the run before never goes on into the next."""
    visits = []
    for names in day.frames.values():
        run: list[set[str]] = []
        for name in names:
            codes = set(day.boxes(name))
            if run and codes & run[-1]:
                run.append(codes)
            else:
                visits.append(run)
                run = [codes] if codes else []
        visits.append(run)
    visits = [v for v in visits if v]
    assert any(len(v) >= 3 for v in visits)
    assert all(len(v) <= 4 and len(set().union(*v)) <= 3 for v in visits), visits


def test_the_plan_cuts_each_camera_into_runs_of_visits_and_background() -> None:
    runs = plan_visits(DEFAULT, np.random.default_rng(new_day_seed(DEFAULT).spawn(DEFAULT.new_photos + 1)[0]))
    photos = [p for run in runs for p in run]
    assert [p.index for p in photos] == list(range(photos[0].index, photos[0].index + DEFAULT.new_photos))
    assert all(1 <= len(run) <= 4 and len({p.camera for p in run}) == 1 for run in runs)
    codes = [{c for p in run for c in p.codes} for run in runs]
    assert all(not a & b for a, b in zip(codes, codes[1:]))  # never a bird of the run before
    for run, shown in zip(runs, codes):  # a run is all background, or a visit of up to 3 birds, each frame shows some
        assert not shown or (len(shown) <= 3 and all(p.codes for p in run)), run
        assert all(len(set(p.codes)) == len(p.codes) for p in run)
    background = sum(1 for p in photos if not p.codes)
    assert abs(background / len(photos) - DEFAULT.background_fraction) <= 0.02
    cameras = {cam: {c for run, s in zip(runs, codes) if run[0].camera == cam for c in s} for cam in ("CAM-1", "CAM-2")}
    assert cameras["CAM-1"] and cameras["CAM-2"] and not cameras["CAM-1"] & cameras["CAM-2"]
    visits = defaultdict(int)
    for shown in codes:
        for code in shown:
            visits[code] += 1
    assert max(visits.values()) >= 2  # some birds come back for another visit
    assert any(len({p.codes for p in run}) > 1 for run, s in zip(runs, codes) if s)  # now and then a bird is away
    assert 200 <= sum(len(p.codes) for p in photos) <= 300  # about as many tags as before visits


def test_the_logo_is_the_same_pixels_in_every_frame_and_nothing_is_under_it(day: Day) -> None:
    x0, y0, x1, y1 = logo_box(PARAMS)
    assert y1 <= PARAMS.height - PARAMS.info_bar_px and x0 < PARAMS.width // 4
    inner = (slice(y0 + 4, y1 - 4), slice(x0 + (y1 - y0) // 2, x1 - (y1 - y0) // 2))  # inside the rounded ends
    for names in day.frames.values():
        logos = [cv2.imread(str(day.photos / name))[inner].astype(int) for name in names]
        grey = logos[0].mean(axis=2)
        assert np.median(grey) > 180 and grey.min() < 90  # light, with dark letters: tag-like
        assert max(np.abs(logo - logos[0]).max() for logo in logos) <= 16  # the same but for JPEG's blocks at the rim
        assert max(np.percentile(np.abs(logo - logos[0]), 90) for logo in logos) <= 2
    for row in day.truth:
        box = tuple(int(row[c]) for c in ("xmin", "ymin", "xmax", "ymax"))
        assert not overlaps(box, (x0, y0, x1, y1)), row


def test_the_logo_box_is_about_150_by_50_at_full_size() -> None:
    x0, y0, x1, y1 = logo_box(DemoParams())
    assert (x1 - x0, y1 - y0) == (150, 50) and y1 <= 1200 - 40 and x0 < 40


def test_the_logo_covers_whatever_is_under_it() -> None:
    box = (20, 30, 170, 80)
    drawn = []
    for seed in (1, 2):
        image = np.random.default_rng(seed).integers(0, 256, (120, 200, 3), dtype=np.uint8)
        before = image.copy()
        draw_logo(image, box, "BUSHCAM")
        outside = np.ones(image.shape[:2], bool)
        outside[30:80, 20:170] = False
        assert np.array_equal(image[outside], before[outside])
        drawn.append(image[30:80, 20:170])
    rim = np.any(drawn[0] != drawn[1], axis=2)
    assert not rim[1:-1, 25:-25].any() and rim.mean() < 0.1  # the same pixels but at the oval's anti-aliased rim


def test_equal_params_give_the_same_bytes(day: Day, tmp_path: Path) -> None:
    generate_new_day(tmp_path / "photos", tmp_path / "truth.csv", PARAMS)
    assert _digests(tmp_path / "photos") == _digests(day.photos)
    truth = [",".join(r.values()) for r in day.truth]
    assert (tmp_path / "truth.csv").read_text(encoding="utf-8").splitlines()[1:] == truth


def test_the_labelled_campaign_has_no_stays_and_no_logo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import spatule.demo.stay

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the labelled campaign placed a bird near its place in another photo")

    monkeypatch.setattr(spatule.demo.stay, "place_near", never)
    params = DemoParams(seed=5, photos=8, identities=4, width=640, height=480, info_bar_px=20)
    generate_campaign(tmp_path / "photos", tmp_path / "identities.csv", params)
    x0, y0, x1, y1 = logo_box(params)
    corners = [cv2.imread(str(p))[y0:y1, x0:x1].astype(int) for p in sorted((tmp_path / "photos").rglob("*.JPG"))]
    assert len(corners) == 8 and all(np.abs(c - corners[0]).mean() > 5 for c in corners[1:])
