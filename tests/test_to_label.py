"""What to label next: the photos the models are unsure about, with the reasons."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from spatule.detection.to_label import NEAR, photo_reasons, reason_rows, thumbnail, unlike_photos
from spatule.tables import read_csv


def row(photo: str, score: float, visit_match: str = "AXFD", visit: str = "V1", static: str = "0") -> dict[str, str]:
    return {"photo": photo, "score": str(score), "visit_match": visit_match, "visit": visit, "static": static}


def test_photos_get_their_reasons_and_a_static_box_is_none():
    detections = [row("a.jpg", 0.31), row("a.jpg", 0.95, "unread", "V2"),  # near the threshold, and unread
                  row("b.jpg", 0.9, "unread", "V3"),  # unread
                  row("c.jpg", 0.9, visit="V4"), row("c.jpg", 0.9, visit="V4"),  # a visit whose frames disagree
                  row("d.jpg", 0.31, "unread", "", static="1"),  # a logo: no reason at all
                  row("e.jpg", 0.9)]  # read, sure: no reason
    visits = [{"visit": "V4", "flag": "frames read different birds: AXFD (1), ABLF (1)"}, {"visit": "V1", "flag": ""}]
    reasons = photo_reasons(detections, visits, 0.3, {"f.jpg": 9.5})
    assert sorted(reasons) == ["a.jpg", "b.jpg", "c.jpg", "f.jpg"]
    assert reasons["a.jpg"].near == [0.31] and reasons["a.jpg"].unread == 1
    assert reasons["c.jpg"].disagreeing == ["V4"]  # one visit, named once
    photos = [{"photo": f"{p}.jpg", "camera": camera, "time": when} for p, camera, when in (
        ("a", "north", "2018-05-21T06:20:00"), ("b", "north", "2018-05-21T06:10:00"), ("c", "north", ""),
        ("f", "east", "2018-05-21T09:00:00"))]
    listed = reason_rows(reasons, photos)  # camera by camera in time order, untimed last
    assert [(r[0], r[3]) for r in listed] == [("f.jpg", 2.0), ("b.jpg", 1.0), ("a.jpg", 2.0), ("c.jpg", 2.0)]
    assert listed[2][-1] == "1 box(es) near the threshold (score 0.31); 1 tag(s) found but not read"
    assert photo_reasons([row("x.jpg", 0.3 + NEAR - 0.01)], [], 0.3, {})["x.jpg"].near == [0.3 + NEAR - 0.01]
    assert not photo_reasons([row("x.jpg", 0.3 + NEAR)], [], 0.3, {})  # from NEAR above the threshold: sure


def test_a_photo_unlike_every_labelled_one_is_found(tmp_path: Path):
    rng = np.random.default_rng(0)
    labelled, new = [], {}
    for k in range(12):  # labelled: mid-grey ground, a little texture
        pixels = rng.integers(90, 130, size=(480, 640, 3), dtype=np.uint8)
        cv2.imwrite(str(tmp_path / f"l{k}.png"), pixels)
        labelled.append(thumbnail(tmp_path / f"l{k}.png"))
    for name, low, high in (("alike", 90, 130), ("snow", 220, 255)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), rng.integers(low, high, size=(480, 640, 3), dtype=np.uint8))
        new[name] = thumbnail(tmp_path / f"{name}.png")
    assert thumbnail(tmp_path / "missing.png") is None
    found = unlike_photos(new, labelled)
    assert list(found) == ["snow"] and found["snow"] > 100
    assert unlike_photos(new, labelled[:2]) == {}  # too few labelled photos to say


def test_rule_to_label_writes_the_photos_and_their_reasons(tmp_path: Path):
    from spatule.detection.card import write_card
    from spatule.detection.settings import DetectSettings
    from spatule.stages.to_label import SeasonTables, to_label

    rng = np.random.default_rng(1)
    for k in range(6):
        cv2.imwrite(str(tmp_path / f"t{k}.png"), rng.integers(90, 130, size=(240, 320, 3), dtype=np.uint8))
    (tmp_path / "new").mkdir()
    cv2.imwrite(str(tmp_path / "new" / "a.png"), rng.integers(90, 130, size=(240, 320, 3), dtype=np.uint8))
    cv2.imwrite(str(tmp_path / "new" / "b.png"), np.full((240, 320, 3), 250, np.uint8))
    (tmp_path / "photos.csv").write_text("photo,status,camera,time\na.png,ok,cam,\nb.png,ok,cam,\n", encoding="utf-8")
    (tmp_path / "detections.csv").write_text("photo,score,static,visit,visit_match\na.png,0.35,0,V1,AXFD\n",
                                             encoding="utf-8")
    (tmp_path / "visits.csv").write_text("visit,flag\nV1,\n", encoding="utf-8")
    write_card(tmp_path / "card.json", DetectSettings(score_threshold=0.3), "tag", {"source": "config"})
    summary = to_label(SeasonTables(tmp_path / "detections.csv", tmp_path / "photos.csv", tmp_path / "visits.csv"),
                       tmp_path / "card.json", tmp_path / "new", [tmp_path / f"t{k}.png" for k in range(6)],
                       tmp_path / "to_label.csv")
    table = read_csv(tmp_path / "to_label.csv")
    assert [(r["photo"], r["near_threshold"], r["unlike"]) for r in table] == [("a.png", "1", "0"),
                                                                                ("b.png", "0", "1")]
    assert summary == {"photos": 2, "unlike": 1}
    again = to_label(SeasonTables(tmp_path / "detections.csv", tmp_path / "photos.csv", tmp_path / "visits.csv"),
                     tmp_path / "card.json", tmp_path / "new", [tmp_path / f"t{k}.png" for k in range(6)],
                     tmp_path / "again.csv", labelled={(tmp_path / "new" / "b.png").resolve()})
    assert [r["photo"] for r in read_csv(tmp_path / "again.csv")] == ["a.png"] and again["photos"] == 1  # b labelled


def test_nearest_distances_in_chunks_are_the_brute_force_ones():
    from spatule.detection.to_label import nearest_distances

    rng = np.random.default_rng(3)
    points, base = rng.normal(size=(50, 192)) * 40, rng.normal(size=(7, 192)) * 40
    brute = np.linalg.norm(points[:, None, :] - base[None, :, :], axis=-1).min(axis=1)
    assert np.allclose(nearest_distances(points, base, chunk=8), brute)
