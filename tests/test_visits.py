"""Visits (one bird's frames of one camera read together) and static boxes (a logo in every frame)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import megadetector_problems
from test_season import CARD, exif_photo, white_patches

from spatule import stages
from spatule.detection.engines import Searcher
from spatule.detection.static import MIN_FRAMES, static_places
from spatule.reading.visits import Frame, link_visits, pool_reading, visits_of
from spatule.reading.codes import Acceptance, CodeRead
from spatule.reading.registry import UNREAD
from spatule.tables import read_csv

START = datetime(2018, 5, 21, 6, 0, 0)
ACCEPT = Acceptance(0.5, 10.0)


def frame(key: int, minutes: float, box, reading=("AXFD", 0.9, "ABLF", 0.01), camera: str = "north",
          photo: str | None = None, timed: bool = True) -> Frame:
    likeliest, score, runner_up, runner_score = reading
    leans = ACCEPT.of(likeliest, score, 0.0)
    return Frame(key, photo or f"{camera}/IMG_{int(minutes):04d}.jpg", camera,
                 START + timedelta(minutes=minutes) if timed else None, tuple(float(v) for v in box), likeliest, score,
                 runner_up, runner_score, ACCEPT.of(likeliest, score, runner_score),
                 "" if leans == UNREAD else leans)


CLEAR = ("AXFD", 0.9, "ABLF", 0.01)
BLURRED = ("AXFD", 0.05, "ABLF", 0.04)
OTHER = ("ABLF", 0.9, "AXFD", 0.01)


def test_frames_of_one_camera_link_into_visits_by_place_and_time():
    bird, neighbour = (100, 100, 140, 190), (150, 100, 190, 190)  # side by side, a box's width apart
    frames = [frame(0, 0, bird), frame(1, 0, neighbour, OTHER),
              frame(2, 10, (104, 98, 144, 188)), frame(3, 10, (147, 103, 187, 193), OTHER),  # both stay
              frame(4, 20, (600, 600, 640, 690)),  # another place: a new visit
              frame(5, 50, (104, 98, 144, 188)),  # back after 30 minutes, more than the gap: a new visit
              frame(6, 10, bird, camera="south"),  # another camera
              frame(7, 10, bird, camera="north", timed=False, photo="north/IMG_x.jpg")]  # no time: alone
    visits = sorted(sorted(f.key for f in v) for v in link_visits(frames, 20))
    assert visits == [[0, 2], [1, 3], [4], [5], [6], [7]]
    assert sorted(len(v) for v in link_visits(frames, 0)) == [1] * 8  # visits off: every frame alone
    burst = [frame(0, 0, bird, photo="north/a.jpg"), frame(1, 0, bird, photo="north/b.jpg"),  # the same second
             frame(2, 5, bird, photo="north/c.jpg")]
    assert [sorted(f.key for f in v) for v in link_visits(burst, 20)] == [[0, 1, 2]]
    crossed = [frame(0, 0, bird), frame(1, 0, neighbour, OTHER), frame(2, 10, neighbour, OTHER), frame(3, 10, bird)]
    assert sorted(sorted(f.key for f in v) for v in link_visits(crossed, 20)) == [[0, 3], [1, 2]]  # each its own
    relief = [frame(0, 0, bird), frame(1, 10, bird, BLURRED), frame(2, 20, bird, OTHER), frame(3, 30, bird, BLURRED)]
    # a partner takes over the nest: a frame read alone as another bird starts a visit of its own
    assert sorted(sorted(f.key for f in v) for v in link_visits(relief, 20)) == [[0, 1], [2, 3]]


def test_one_clear_frame_reads_the_visit_and_a_clear_other_bird_vetoes_it():
    box = (100, 100, 140, 190)
    visit = pool_reading([frame(0, 0, box, BLURRED), frame(1, 10, box, CLEAR), frame(2, 20, box, BLURRED)], ACCEPT.of)
    assert (visit.code, visit.score) == ("AXFD", 0.9) and visit.agreement == 1.0 and not visit.disagreeing()
    assert [f.read_alone for f in visit.frames] == ["unread", "AXFD", "unread"]  # 2 frames read only by the visit
    mixed = pool_reading([frame(0, 0, box, CLEAR), frame(1, 10, box, OTHER)], ACCEPT.of)
    assert mixed.code == UNREAD and mixed.disagreeing() == {"AXFD": 1, "ABLF": 1}
    unsure = ("AXFD", 0.6, "ABLF", 0.6 / 3.5)  # 3.5 times likelier than the runner-up: below the margin of 10 ...
    assert ACCEPT.of(unsure[0], unsure[1], unsure[3]) == UNREAD
    together = pool_reading([frame(0, 0, box, unsure), frame(1, 10, box, unsure)], ACCEPT.of)
    assert together.code == "AXFD" and together.evidence_ratio == pytest.approx(3.5 ** 2)  # ... twice: 12.25
    nothing = pool_reading([frame(0, 0, box, ("", 0.0, "", 0.0))], ACCEPT.of)
    assert nothing.code == UNREAD
    # a frame read alone is never lost to its visit: here the pooled ratio alone (9.4) is under the margin
    weak_other = ("ABLF", 0.45, "CD12", 0.40)
    kept = pool_reading([frame(0, 0, box, ("AXFD", 0.95, "ABLF", 0.09)), frame(1, 10, box, weak_other)], ACCEPT.of)
    assert kept.code == "AXFD" and kept.score == 0.95
    # without a registry (no runner-up): the reading itself, a weak other reading beside it
    plain = pool_reading([frame(0, 0, box, ("ABCD", 0.95, "", 0.0)), frame(1, 10, box, ("ABCF", 0.15, "", 0.0))],
                         ACCEPT.of)
    assert plain.code == "ABCD"


def test_a_single_frame_visit_reads_exactly_as_the_frame_alone():
    rng = np.random.default_rng(0)
    codes = ["AXFD", "ABLF", "CD12", ""]
    for k in range(500):
        first, second = rng.choice(len(codes), size=2, replace=False)
        score = float(rng.choice([rng.uniform(0, 1), 0.5, 0.0]))
        runner = float(score / rng.choice([1.0, 5.0, 10.0, 20.0, rng.uniform(1, 30)]))
        reading = (codes[first], score, codes[second], runner if codes[second] else 0.0)
        one = frame(k, 0, (0, 0, 10, 10), reading)
        assert pool_reading([one], ACCEPT.of).code == one.read_alone, reading


def test_visits_are_named_in_time_order():
    box = (100, 100, 140, 190)
    visits = visits_of([frame(0, 30, (500, 500, 540, 590)), frame(1, 0, box), frame(2, 10, box)], 20, ACCEPT.of)
    assert [[f.key for f in v.frames] for v in visits] == [[1, 2], [0]]


def test_a_place_in_most_frames_of_a_camera_is_static_a_bird_is_not():
    logo, nest, perch = (20, 1000, 170, 1050), (400, 300, 440, 390), (800, 300, 840, 390)
    boxes, photos, read = [], [], []
    for n in range(12):
        boxes.append((logo[0] + 10 * (n % 2), logo[1], logo[2] + 10 * (n % 2), logo[3]))  # shifted by 10 px
        photos.append(f"IMG_{n}.jpg")
        read.append(False)
        if n < 5:  # a bird on its nest for 5 frames of 12, unread: a place in 42% of the frames
            boxes.append(nest)
            photos.append(f"IMG_{n}.jpg")
            read.append(False)
        boxes.append(perch)  # a bird on its perch in every frame, read as a bird of the registry in 10
        photos.append(f"IMG_{n}.jpg")
        read.append(n < 10)
    args = (boxes, photos, ["north"] * len(boxes), [0.8] * len(boxes))
    found = static_places(*args, {"north": 12}, 0.5, 0.5, read)
    assert [(p.frames, p.camera_frames) for p in found] == [(12, 12)]  # the logo: the nest is under half
    assert set(found[0].members) == {k for k, b in enumerate(boxes) if b[1] == logo[1]}
    assert [p.frames for p in static_places(*args, {"north": 12}, 0.5, 0.3, read)] == [12, 5]  # at 30%: the nest
    assert [p.frames for p in static_places(*args, {"north": 12}, 0.5, 0.3)] == [12, 5, 12]  # not read: the perch
    assert static_places(*args, {"north": 50}, 0.5, 0.3, read) == []  # 12 frames of 50: under the share
    few = [b for b, p in zip(boxes, photos) if b[1] == logo[1]][:MIN_FRAMES - 1]
    assert static_places(few, photos[:len(few)], ["north"] * len(few), [0.8] * len(few), {"north": 3}, 0.5,
                         0.3) == []  # a camera with a handful of frames has no static place


class ByWidth:
    """A stand-in reader: a 40 px wide box is the bird AXFD clearly, 41 px blurred (AXFD barely likelier than
    ABLF), anything else (the logo) no code at all."""

    def read(self, crops, boxes):
        out = []
        for _crop, (x0, _y0, x1, _y1) in zip(crops, boxes):
            width = x1 - x0
            if width == 40:
                out.append(CodeRead("AXFD", 0.9, "AXFD", 0.9, True, "ABLF", 0.01))
            elif width == 41:
                out.append(CodeRead("AXF", 0.05, "AXFD", 0.05, True, "ABLF", 0.04))
            else:
                out.append(CodeRead("BUSH", 0.3, "", 0.0, True))
        return out


def test_detect_reads_a_visit_from_its_clear_frame_and_keeps_a_logo_out_of_sightings(tmp_path: Path):
    photos = tmp_path / "season"
    logo = (20, 1000, 170, 1050)
    for n in range(8):  # a logo in every frame; the bird on its nest in frames 2-4, clear only in frame 3
        tags = [(600, 300, 600 + (40 if n == 3 else 41), 390)] if 2 <= n <= 4 else []
        when = START + timedelta(minutes=10 * n)
        exif_photo(photos / "north" / f"IMG_{n}.jpg", [logo] + tags, when.strftime("%Y:%m:%d %H:%M:%S"))
    out = tmp_path / "detect"
    stages.detect_folder(photos, Searcher(white_patches), CARD, out, reader=ByWidth(), acceptance=ACCEPT)
    detections = read_csv(out / "detections.csv")
    assert [r["static"] for r in detections if r["x0"] == "20.0"] == ["1"] * 8  # the logo, in every frame
    assert {r["visit_match"] for r in detections if r["static"] == "1"} == {UNREAD}
    static = read_csv(out / "static.csv")
    assert [(s["camera"], s["frames"], s["camera_frames"]) for s in static] == [("north", "8", "8")]
    visits = read_csv(out / "visits.csv")
    assert [(v["camera"], v["first"], v["last"], v["frames"], v["code"], v["agreement"], v["frames_read"])
            for v in visits] == [("north", "2018-05-21T06:20:00", "2018-05-21T06:40:00", "3", "AXFD", "1.0", "1")]
    seen = read_csv(out / "sightings.csv")
    assert [(s["photo"], s["code"], s["frame_code"], s["visit"]) for s in seen] == [
        ("north/IMG_2.jpg", "AXFD", UNREAD, "V0001"), ("north/IMG_3.jpg", "AXFD", "AXFD", "V0001"),
        ("north/IMG_4.jpg", "AXFD", UNREAD, "V0001")]
    assert [(b["code"], b["visits"], b["sightings"]) for b in read_csv(out / "birds.csv")] == [("AXFD", "1", "3")]
    results = json.loads((out / "detections.json").read_text())
    assert megadetector_problems(results) == []
    assert sum(len(e["detections"]) for e in results["images"]) == 3  # the logo left out
    named = {x.name: re.findall(r"<name>([^<]+)</name>", x.read_text()) for x in (out / "voc").rglob("*.xml")}
    assert named == {"IMG_2.xml": ["tag"], "IMG_3.xml": ["tag:AXFD"], "IMG_4.xml": ["tag"]}  # a code where it shows
    assert sorted(p.name for p in (out / "voc").rglob("*.xml")) == ["IMG_2.xml", "IMG_3.xml", "IMG_4.xml"]


def test_the_new_days_visit_figures_read_each_found_tag_as_its_visit(tmp_path: Path):
    from spatule.stages.reading_evaluation import NewDay, new_day_visit_reads

    truth = tmp_path / "truth.csv"
    truth.write_text("image,xmin,ymin,xmax,ymax,identity,difficult\n"
                     "a.JPG,10,10,50,90,AXFD,0\nb.JPG,12,10,52,90,AXFD,0\nc.JPG,10,10,50,90,AXFD,0\n"
                     "c.JPG,300,10,340,90,far-1,1\n"  # difficult: not counted
                     "d.JPG,10,10,50,90,HN6J,0\n", encoding="utf-8")
    found = tmp_path / "detections.csv"
    found.write_text("photo,x0,y0,x1,y1,registry_match,visit,visit_match\n"
                     "a.JPG,11,11,50,90,unread,V1,AXFD\nb.JPG,12,10,52,90,AXFD,V1,AXFD\n"
                     "c.JPG,10,10,50,90,unread,V1,AXFD\nc.JPG,300,10,340,90,unread,V2,unread\n"
                     "d.JPG,10,10,50,90,HN9J,V3,HN9J\n"
                     "d.JPG,500,10,540,90,unread,,unread\n", encoding="utf-8")  # a static box: no visit, no tag
    frames, visits = new_day_visit_reads(NewDay(truth, found))
    assert sorted(frames) == [("AXFD", "AXFD")] * 3 + [("HN6J", "HN9J")]
    assert visits == [("AXFD", "AXFD"), ("HN6J", "HN9J")]
    plain = tmp_path / "plain.csv"  # detections without visits: no visit figures
    plain.write_text("photo,x0,y0,x1,y1,registry_match\na.JPG,11,11,50,90,AXFD\n", encoding="utf-8")
    assert new_day_visit_reads(NewDay(truth, plain)) == ([], [])
