"""A season of photos: jobs that keep their files, a cache that spares what was searched, tiles of several
photos per model call, messy folders recorded file by file, and boxes that go back into labelImg."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import megadetector_problems, truncate_file, write_exif_jpeg

from spatule import stages
from spatule.labels.objects import IndexSettings
from spatule.labels.index import read_label_folder
from spatule.problems import SpatuleError
from spatule.detection import crops
from spatule.detection.card import ModelCard
from spatule.detection.engines import Searcher
from spatule.detection.settings import DetectSettings
from spatule.stages.detection import DetectOutputs, JobFiles, SeasonChecks
from spatule.detection.batches import detect_full_photo, detect_photos
from spatule.detection.season import EMPTY, OTHER, PHOTO, VIDEO, list_season, plan_jobs
from spatule.tables import read_csv
from spatule.detection.tiling import tile_origins

W, H = 1500, 1100


def paint(path: Path, boxes, size: tuple[int, int] = (W, H), seed: int = 0) -> Path:
    """A dark noisy photo with white rectangles (the tags a patch detector finds), lossless."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(20, 90, size=(size[1], size[0], 3), dtype=np.uint8)
    for x0, y0, x1, y1 in boxes:
        pixels[y0:y1, x0:x1] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), pixels)
    return path


def white_patches(calls: list | None = None, fail_after: int | None = None):
    """A detector over RGB tiles: one box per white patch; ``calls`` records the batch sizes, and after
    ``fail_after`` tiles it raises (a job killed mid-way)."""
    seen = [0]

    def detect(tiles):
        seen[0] += len(tiles)
        if fail_after is not None and seen[0] > fail_after:
            raise KeyboardInterrupt("killed")
        if calls is not None:
            calls.append(len(tiles))
        boxes, scores = [], []
        for tile in tiles:
            count, _, stats, _ = cv2.connectedComponentsWithStats((tile > 200).all(axis=-1).astype(np.uint8), 4)
            found = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count]]
            boxes.append(np.array(found, dtype=float).reshape(-1, 4))
            scores.append(np.full(len(found), 0.9))
        return boxes, scores
    return detect


def season(folder: Path, count: int, start: int = 0) -> list[str]:
    """``count`` photos ``IMG_<n>.png`` with one tag each, at a place that depends on ``n``."""
    names = []
    for n in range(start, start + count):
        x, y = 100 + 37 * n % 1200, 100 + 53 * n % 800
        paint(folder / f"IMG_{n:04d}.png", [(x, y, x + 40, y + 90)], seed=n)
        names.append(f"IMG_{n:04d}.png")
    return names


# --- jobs ------------------------------------------------------------------------------------------

def test_jobs_keep_their_files_when_a_week_of_photos_is_added():
    week1 = [f"cam{c}/IMG_{n:05d}.JPG" for c in (1, 2) for n in range(1000)]
    week2 = week1 + [f"cam{c}/IMG_{n:05d}.JPG" for c in (1, 2) for n in range(1000, 1150)]
    before, after = plan_jobs(week1, 100), plan_jobs(week2, 100)
    assert len(before) == 20 and all(len(files) == 100 for files in before.values())
    assert sorted(f for files in after.values() for f in files) == sorted(week2)
    assert all(after[job] == files for job, files in before.items())  # the jobs already run are unchanged
    assert len(after) == 24 and {job.split("-")[0] for job in after} == {"cam1", "cam2"}


def test_folders_that_slug_alike_get_jobs_of_their_own():
    jobs = plan_jobs(["cam 1/a.jpg", "cam_1/b.jpg", "c.jpg"], 5)
    assert len(jobs) == 3 and sorted(f for files in jobs.values() for f in files) == ["c.jpg", "cam 1/a.jpg",
                                                                                       "cam_1/b.jpg"]


def test_every_file_is_listed_with_its_kind(tmp_path: Path):
    paint(tmp_path / "cam1" / "IMG_1.JPG", [])
    (tmp_path / "cam1" / "IMG_2.JPG").write_bytes(b"")
    (tmp_path / "cam1" / "CLIP_3.MP4").write_bytes(b"\0" * 64)
    (tmp_path / "cam1" / "notes.txt").write_text("battery changed")
    (tmp_path / "cam1" / "IMG_1.xml").write_text("<annotation/>")  # labelImg's file beside its photo
    (tmp_path / ".hidden").mkdir()
    paint(tmp_path / ".hidden" / "IMG_4.JPG", [])
    assert [(f.path, f.kind) for f in list_season(tmp_path)] == [
        ("cam1/CLIP_3.MP4", VIDEO), ("cam1/IMG_1.JPG", PHOTO), ("cam1/IMG_2.JPG", EMPTY), ("cam1/notes.txt", OTHER)]


# --- batched search ----------------------------------------------------------------------------------

def test_tiles_of_several_photos_share_model_calls_and_find_the_same_boxes(tmp_path: Path):
    photos = [cv2.imread(str(paint(tmp_path / f"{n}.png", [(100 + 200 * n, 150, 150 + 200 * n, 260)], seed=n)))
              for n in range(5)]
    settings = DetectSettings(overlap=128, batch_size=4)
    alone = [detect_full_photo(p, white_patches(), settings) for p in photos]
    calls: list[int] = []
    together = list(detect_photos(((n, p) for n, p in enumerate(photos)), white_patches(calls), settings))
    assert [n for n, _ in together] == list(range(5))
    assert [found for _, found in together] == alone
    tiles_per_photo = 3 * 2  # 1500 x 1100 in 640 tiles overlapping by 128
    assert calls == [4] * (5 * tiles_per_photo // 4) + [5 * tiles_per_photo % 4]
    assert len(calls) == math.ceil(5 * tiles_per_photo / 4)  # one photo at a time would make 10 calls


def test_an_unreadable_photo_keeps_its_place_in_the_stream(tmp_path: Path):
    photo = cv2.imread(str(paint(tmp_path / "a.png", [(300, 300, 340, 390)])))
    out = list(detect_photos([("a", photo), ("bad", None), ("b", photo)], white_patches(), DetectSettings()))
    assert [k for k, _ in out] == ["a", "bad", "b"] and out[1][1] is None and len(out[0][1]) == len(out[2][1]) == 1


def test_a_cache_made_before_the_settings_took_their_config_names_is_still_found():
    """The cache folder is named from the settings as they were named when caches were first made (tile,
    skip_bottom): renaming them in the code must not send a season to be searched again."""
    import hashlib
    import json

    from spatule.detection.cache import search_key

    settings = DetectSettings(tile_size=512, overlap=96, info_bar_px=60, score_threshold=0.4)
    as_before = {"tile": 512, "overlap": 96, "score_threshold": 0.4, "merge": settings.merge,
                 "merge_threshold": settings.merge_threshold, "whole_photo": settings.whole_photo, "skip_bottom": 60,
                 "model": "m", "apply_orientation": False}
    assert search_key("m", settings, False) == hashlib.sha256(json.dumps(as_before, sort_keys=True).encode()
                                                              ).hexdigest()[:20]
    assert search_key("m", settings, False) != search_key("m", DetectSettings(tile_size=512, overlap=96,
                                                                              score_threshold=0.4), False)


CARD = ModelCard.of(DetectSettings())
"""The default search settings at the provisional score threshold."""


# --- cache: incremental and resumable -----------------------------------------------------------------

def run_job(folder: Path, out: Path, detector, model_id: str = "model-1") -> dict:
    files = [f.path for f in list_season(folder)]
    return stages.detect_job(JobFiles(folder, files, out / "detections.csv", out / "photos.csv", out / "crops",
                                      out.parent / "cache"), Searcher(lambda: detector, model_id=model_id), CARD)


def test_a_rerun_searches_only_the_new_photos_and_a_new_model_searches_them_all(tmp_path: Path):
    folder = tmp_path / "season"
    season(folder, 10)
    first = run_job(folder, tmp_path / "run1", white_patches())
    assert (first["searched"], first["cached"], first["detections"]) == (10, 0, 10)
    season(folder, 1, start=10)  # 10% more photos
    calls: list[int] = []
    again = run_job(folder, tmp_path / "run2", white_patches(calls))
    assert (again["searched"], again["cached"], again["detections"]) == (1, 10, 11)
    settings = DetectSettings()
    assert sum(calls) == len(tile_origins(W, settings.tile_size, settings.overlap)) * len(
        tile_origins(H, settings.tile_size, settings.overlap))  # the tiles of the one new photo, no more
    rows = {r["photo"]: r for r in read_csv(tmp_path / "run2" / "detections.csv")}
    assert {k: v for k, v in rows.items() if k != "IMG_0010.png"} == {
        r["photo"]: r for r in read_csv(tmp_path / "run1" / "detections.csv")}
    renamed = folder / "IMG_0010.png"
    shutil.move(renamed, folder / "moved.png")  # the cache knows a photo by its bytes, not its name
    assert run_job(folder, tmp_path / "run3", white_patches())["searched"] == 0
    assert run_job(folder, tmp_path / "run4", white_patches(), model_id="model-2")["searched"] == 11


def test_a_job_killed_mid_way_resumes_without_searching_again(tmp_path: Path):
    folder = tmp_path / "season"
    season(folder, 8)
    with pytest.raises(KeyboardInterrupt):
        run_job(folder, tmp_path / "run1", white_patches(fail_after=12 * 5))  # 12 tiles a photo: dies in the sixth
    resumed = run_job(folder, tmp_path / "run2", white_patches())
    assert resumed["cached"] >= 4 and resumed["searched"] == 8 - resumed["cached"]
    assert resumed["detections"] == 8


# --- a messy season ------------------------------------------------------------------------------------

def test_a_messy_season_is_recorded_file_by_file_and_searched_around(tmp_path: Path):
    folder = tmp_path / "season"
    season(folder, 3)
    truncate_file(paint(folder / "cut.jpg", [(200, 200, 240, 290)]), 0.05)
    (folder / "zero.JPG").write_bytes(b"")
    (folder / "clip.AVI").write_bytes(b"RIFF" + b"\0" * 60)
    (folder / "readme.txt").write_text("camera 2, colony north")
    paint(folder / "small.png", [(50, 40, 90, 130)], size=(400, 300))
    write_exif_jpeg(folder / "rotated.jpg", 800, 600, orientation=6)
    summary = run_job(folder, tmp_path / "out", white_patches())
    listed = {r["photo"]: r for r in read_csv(tmp_path / "out" / "photos.csv")}
    assert set(listed) == {f.path for f in list_season(folder)}  # nothing dropped
    assert listed["cut.jpg"]["status"] == "unreadable" and listed["cut.jpg"]["reason"]
    assert (listed["zero.JPG"]["status"], listed["clip.AVI"]["status"], listed["readme.txt"]["status"]) == (
        "empty", "video", "not_an_image")
    assert listed["small.png"]["status"] == "ok" and listed["small.png"]["detections"] == "1"
    assert (listed["small.png"]["width"], listed["small.png"]["height"]) == ("400", "300")
    assert listed["rotated.jpg"]["status"] == "ok" and listed["rotated.jpg"]["orientation"] == "6"
    assert summary["detections"] == 4 and summary["not_searched"] == 4


# --- labelImg round trip --------------------------------------------------------------------------------

def test_detections_open_in_labelimg_and_read_back_as_labels(tmp_path: Path):
    photos = tmp_path / "new"
    tags = {"cam1/IMG_1.png": [(100, 120, 141, 211)], "cam1/IMG_2.png": [(700, 500, 733, 580), (40, 900, 90, 990)]}
    for name, boxes in tags.items():
        paint(photos / name, boxes)
    paint(photos / "cam1" / "IMG_3.png", [])
    out = tmp_path / "detect"
    stages.detect_folder(photos, Searcher(white_patches), CARD, out)
    assert sorted(p.relative_to(out / "voc").as_posix() for p in (out / "voc").rglob("*.xml")) == [
        "cam1/IMG_1.xml", "cam1/IMG_2.xml"]  # one per photo with a detection, where labelImg looks for it
    corrected = tmp_path / "labels"  # what the user does: photos and their saved XML side by side
    shutil.copytree(photos, corrected)
    shutil.copytree(out / "voc", corrected, dirs_exist_ok=True)
    rows, problems = read_label_folder(corrected, IndexSettings())
    assert [p for p in problems if p.severity.value != "info"] == []
    found: dict[str, list] = {}
    for row in rows:
        if row.kind == "tag":
            found.setdefault(row.image, []).append(row.box)
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in tags.items()}  # to the pixel


def test_a_labelimg_file_you_changed_is_never_written_over(tmp_path: Path):
    photos = tmp_path / "new"
    paint(photos / "IMG_1.png", [(100, 120, 141, 211)])
    paint(photos / "IMG_2.png", [(700, 500, 733, 580)])
    out = tmp_path / "detect"
    stages.detect_folder(photos, Searcher(white_patches), CARD, out)
    mine = out / "voc" / "IMG_1.xml"
    corrected = mine.read_text().replace("<xmin>100</xmin>", "<xmin>98</xmin>").replace(
        "<name>tag</name>", "<name>tag:AXFD</name>")  # a box moved and a code typed in labelImg
    mine.write_text(corrected)
    (out / "voc" / "IMG_9.xml").write_text("<annotation/>")  # a file spatule never wrote
    untouched = (out / "voc" / "IMG_2.xml").read_text()
    paint(photos / "IMG_2.png", [])  # the next search finds nothing there
    stages.detect_folder(photos, Searcher(white_patches), CARD, out)
    assert mine.read_text() == corrected and (out / "voc" / "IMG_9.xml").read_text() == "<annotation/>"
    assert not (out / "voc" / "IMG_2.xml").exists() and untouched  # spatule's own file of a photo with no box now
    assert [(r["xml"], r["state"]) for r in read_csv(out / "voc.csv")] == [("IMG_1.xml", "kept"),
                                                                           ("IMG_2.xml", "removed")]
    stages.detect_folder(photos, Searcher(white_patches), CARD, out)  # and again: still yours
    assert mine.read_text() == corrected


# --- crops cut while the photo is held; the runtime that searches -----------------------------------------

def test_crops_of_photos_searched_are_cut_without_reading_the_photo_again(tmp_path: Path, monkeypatch, caplog):
    photos = tmp_path / "new"
    tags = {"IMG_1.png": [(100, 120, 141, 211)], "IMG_2.png": [(700, 500, 733, 580)], "IMG_3.png": []}
    for n, (name, boxes) in enumerate(tags.items()):
        paint(photos / name, boxes, seed=n)
    reads = []
    real_read = crops.read_photo
    monkeypatch.setattr(crops, "read_photo", lambda path, *a: reads.append(path) or real_read(path, *a))
    cache = tmp_path / "cache"
    stages.detect_folder(photos, Searcher(white_patches), CARD, tmp_path / "first", cache_root=cache)
    assert reads == []  # the search held the pixels when it cut the crops
    assert "detect.images is not set" not in caplog.text  # a folder given to spatule detect is new photos
    job = tmp_path / "first" / "jobs" / "all"
    stages.detect(photos, [("all", job / "detections.csv", job / "photos.csv")],
                  DetectOutputs(tmp_path / "d.csv", tmp_path / "p.csv", tmp_path / "voc"),
                  checks=SeasonChecks(searches_labels=True))
    assert "detect.images is not set" in caplog.text  # the workflow searching the labelled photos says so
    stages.detect_folder(photos, Searcher(white_patches), CARD, tmp_path / "again", cache_root=cache)
    assert sorted(p.name for p in reads) == ["IMG_1.png", "IMG_2.png"]  # from the cache: read again, those with tags
    for out in ("first", "again"):
        rows = read_csv(tmp_path / out / "detections.csv")
        assert len(rows) == 2
        for r in rows:
            crop = cv2.imread(str(tmp_path / out / "crops" / r["crop"]), cv2.IMREAD_UNCHANGED)
            photo = cv2.imread(str(photos / r["photo"]))
            x0, y0, x1, y1 = (int(r[k]) for k in ("crop_x0", "crop_y0", "crop_x1", "crop_y1"))
            np.testing.assert_array_equal(crop, photo[y0:y1, x0:x1])  # BGR as in the photo, to the pixel


def test_the_search_runs_tflite_on_a_cpu_and_the_saved_model_where_a_gpu_is_seen(tmp_path: Path):
    from spatule.detection.engines import search_model
    from spatule.problems import SpatuleError

    saved, lite = tmp_path / "saved_model", tmp_path / "model.tflite"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"graph")
    lite.write_bytes(b"flatbuffer")
    assert search_model(saved, lite, "auto", gpu=lambda: False).engine == "tflite"
    assert search_model(saved, lite, "auto", gpu=lambda: True).engine == "saved_model"
    assert search_model(saved, None, "auto", gpu=lambda: False).path == saved  # no TFLite model: the SavedModel
    assert search_model(saved, lite, "saved_model", gpu=lambda: False).path == saved
    assert search_model(saved, lite, "tflite", gpu=lambda: True).path == lite
    with pytest.raises(SpatuleError, match="engine tflite: .*missing.tflite does not exist"):
        search_model(saved, tmp_path / "missing.tflite", "tflite")
    with pytest.raises(SpatuleError, match=f"engine tflite: {tmp_path / 'model.tflite'} does not exist"):
        search_model(saved, None, "tflite")  # nothing found beside the SavedModel: where it was looked for
    with pytest.raises(SpatuleError, match="'onnx' is not one of"):
        search_model(saved, lite, "onnx")
    # the cache tells the runtimes and the models apart; a SavedModel keeps the key it had before the choice
    from spatule.detection.cache import model_digest

    assert search_model(saved, lite, "saved_model").digest() == model_digest(saved)
    assert search_model(saved, lite, "tflite").decoders(4) == 1  # the CPU is the model's
    assert search_model(saved, lite, "saved_model").decoders(4) == 4  # a GPU waits for photos
    digests = {search_model(saved, lite, e, gpu=lambda: False).digest() for e in ("tflite", "saved_model")}
    lite.write_bytes(b"another flatbuffer")
    digests.add(search_model(saved, lite, "tflite").digest())
    assert len(digests) == 3


# --- reading the codes: who was seen when and where -------------------------------------------------------

class TallIsUnread:
    """A stand-in code reader: a tag box taller than 85 px is unread, any other is the bird AXFD; it
    checks that each box it is given lies inside its crop."""

    def read(self, crops, boxes):
        from spatule.reading.codes import CodeRead

        out = []
        for crop, (x0, y0, x1, y1) in zip(crops, boxes):
            assert 0 <= x0 < x1 <= crop.shape[1] and 0 <= y0 < y1 <= crop.shape[0]
            tall = y1 - y0 > 85
            out.append(CodeRead("AX" if tall else "AXFD", 0.2 if tall else 0.9, "AXFD", 0.01 if tall else 0.9, True))
        return out


def exif_photo(path: Path, boxes, when: str | None) -> None:
    """A photo as a camera trap writes it: JPEG, with EXIF DateTimeOriginal (none when ``when`` is None)."""
    from spatule.labels.photos import exif_segment, with_exif

    png = paint(path.with_suffix(".png"), boxes)
    ok, jpeg = cv2.imencode(".jpg", cv2.imread(str(png)), [cv2.IMWRITE_JPEG_QUALITY, 97])
    png.unlink()
    path.write_bytes(with_exif(jpeg.tobytes(), exif_segment(when, "cam")) if when else jpeg.tobytes())


def test_every_photo_gets_a_camera_its_folder_its_exif_model_and_serial_or_the_searched_folder(tmp_path: Path):
    from PIL import Image

    from spatule.labels.photos import BODY_SERIAL_NUMBER, MODEL

    season = tmp_path / "colony-2018"
    exif_photo(season / "IMG_1.jpg", [(100, 120, 141, 201)], "2018:05:21 06:20:00")  # EXIF model "cam", at the top
    exif_photo(season / "IMG_2.jpg", [], None)  # no EXIF, at the top
    exif_photo(season / "north" / "IMG_3.jpg", [], "2018:05:21 06:30:00")  # in a camera's folder
    with Image.open(season / "IMG_1.jpg") as image:  # a model and a serial number, as Reconyx or Browning write
        exif = image.getexif()
        exif[MODEL] = "HP2X"
        exif.get_ifd(0x8769)[BODY_SERIAL_NUMBER] = "H500123"
        image.save(season / "IMG_4.jpg", exif=exif.tobytes())
    (season / "clip.mp4").write_bytes(b"\x00" * 64)  # not searched, still has a camera
    out = tmp_path / "out"
    stages.detect_folder(season, Searcher(white_patches), CARD, out)
    cameras = {r["photo"]: r["camera"] for r in read_csv(out / "photos.csv")}
    assert cameras == {"IMG_1.jpg": "cam", "IMG_2.jpg": "colony-2018", "IMG_4.jpg": "HP2X H500123",
                       "north/IMG_3.jpg": "north", "clip.mp4": "colony-2018"}


def test_a_job_reads_each_tag_and_detect_writes_sightings_birds_and_their_figures(tmp_path: Path):
    from spatule.reading.codes import Acceptance
    from spatule.reading.sightings import Resightings

    photos = tmp_path / "season"
    exif_photo(photos / "cam1" / "IMG_1.jpg", [(100, 120, 141, 201), (600, 300, 640, 400)], "2018:05:21 06:20:00")
    exif_photo(photos / "cam2" / "IMG_2.jpg", [(700, 500, 733, 580)], "2018:05:21 06:00:00")
    exif_photo(photos / "cam2" / "IMG_3.jpg", [(300, 500, 333, 580)], None)
    files = [f.path for f in list_season(photos)]
    job = tmp_path / "detect" / "jobs" / "a"
    stages.detect_job(JobFiles(photos, files, job / "detections.csv", job / "photos.csv",
                               tmp_path / "detect" / "crops" / "a"), Searcher(white_patches), CARD, reader=TallIsUnread)
    rows = read_csv(job / "detections.csv")
    read = [(r["photo"], r["likeliest"], r["match_score"]) for r in rows]  # the threshold is not applied yet
    assert read == [("cam1/IMG_1.jpg", "AXFD", "0.9"), ("cam1/IMG_1.jpg", "AXFD", "0.01"),
                    ("cam2/IMG_2.jpg", "AXFD", "0.9"), ("cam2/IMG_3.jpg", "AXFD", "0.9")]
    assert {r["photo"]: r["time"] for r in read_csv(job / "photos.csv")} == {
        "cam1/IMG_1.jpg": "2018-05-21T06:20:00", "cam2/IMG_2.jpg": "2018-05-21T06:00:00", "cam2/IMG_3.jpg": ""}
    out = tmp_path / "detect"
    figures = Resightings(out / "sightings.csv", out / "birds.csv", out / "timeline.png", out / "read_tags.jpg",
                          Acceptance(0.5, 10.0))
    summary = stages.detect(photos, [("a", job / "detections.csv", job / "photos.csv")],
                            DetectOutputs(out / "detections.csv", out / "photos.csv", out / "voc",
                                          megadetector=out / "detections.json"), resightings=figures)
    assert summary["sightings"] == 3 and summary["unread"] == 1
    assert [r["registry_match"] for r in read_csv(out / "detections.csv")] == ["AXFD", "unread", "AXFD", "AXFD"]
    named = {p.relative_to(out / "voc").as_posix(): re.findall(r"<name>([^<]+)</name>", p.read_text())
             for p in (out / "voc").rglob("*.xml")}  # labelImg shows the code read; a corrected folder has identities
    assert named == {"cam1/IMG_1.xml": ["tag:AXFD", "tag"], "cam2/IMG_2.xml": ["tag:AXFD"],
                     "cam2/IMG_3.xml": ["tag:AXFD"]}
    results = json.loads((out / "detections.json").read_text())  # Timelapse sees the code as a classification
    assert megadetector_problems(results) == [] and results["classification_categories"] == {"0": "AXFD"}
    read = [d.get("classifications") for e in results["images"] for d in e["detections"]]
    assert read == [[["0", 0.9]], None, [["0", 0.9]], [["0", 0.9]]]  # the unread tag has none
    seen = read_csv(out / "sightings.csv")
    assert [(s["photo"], s["camera"], s["time"], s["code"]) for s in seen] == [
        ("cam2/IMG_2.jpg", "cam2", "2018-05-21T06:00:00", "AXFD"), ("cam1/IMG_1.jpg", "cam1", "2018-05-21T06:20:00",
                                                                     "AXFD"), ("cam2/IMG_3.jpg", "cam2", "", "AXFD")]
    assert read_csv(out / "birds.csv") == [{"code": "AXFD", "first_seen": "2018-05-21T06:00:00",
                                            "last_seen": "2018-05-21T06:20:00", "photos": "3", "cameras": "2",
                                            "visits": "3", "sightings": "3"}]
    for figure in (out / "timeline.png", out / "read_tags.jpg"):
        assert cv2.imread(str(figure)) is not None
    plain = tmp_path / "plain"  # a job run without the reader cannot give sightings: said, naming its table
    stages.detect_job(JobFiles(photos, files, plain / "detections.csv", plain / "photos.csv", plain / "crops"),
                      Searcher(white_patches), CARD)
    with pytest.raises(SpatuleError, match="plain/detections.csv: no \\['code'"):
        stages.detect(photos, [("a", plain / "detections.csv", plain / "photos.csv")],
                      DetectOutputs(plain / "all.csv", plain / "all-photos.csv", plain / "voc"), resightings=figures)
