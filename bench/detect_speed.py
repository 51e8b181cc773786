"""Detection speed on this machine: spatule's season search against a plain loop, in one run.

    .venv/bin/python bench/detect_speed.py --workdir /tmp/demo-a        # a finished demo run
    .venv/bin/python bench/detect_speed.py --model DIR --photos DIR --info-bar-px 40
    .venv/bin/python bench/detect_speed.py --model DIR --photos /tmp/big --draw 26 --size 3264x2448   # real size

``--draw N --size WxH`` first draws N photos of the demo's new day (``config.yaml``'s ``demo`` seed and
camera, visits and logo included) at that size into the empty or missing ``--photos`` folder: the real
camera's 3264x2448 has about four times the tiles of the demo's 1600x1200.

All three search the same photos with the same exported model (its SavedModel or its TFLite
conversion) and the same tiles (640 px, the workflow's overlap); all decode every photo and merge
the boxes the same way.

* plain loop: decode a photo, then feed its tiles to the exported SavedModel one per call,
  every tile of the photo, the info bar included;
* spatule (``spatule.detection.job``): the runtime ``detect.engine`` picks here (``auto``:
  the TFLite model where no GPU is visible), photos decoded ahead in threads while the
  model works, the tiles of several photos to one model call (``detect.batch_size``; the
  TFLite model takes them one by one), and the info bar rows, where no tag can be, not
  searched;
* plain loop, spatule's runtime: the plain loop with spatule's runtime, which tells how
  much of the gain is the runtime and how much the rest.

It prints photos/s of each, the ratio of spatule to the plain loop, what a season of 17,000
photos would take here at spatule's rate, the milliseconds a photo's decoding and a tile take
(each plain loop's time less the decoding, over its tiles), and how the two plain loops' boxes
agree (same tiles, only the runtime differs). The first photo of each is left out of
the timing (graph tracing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SEASON = 17_000
"""Photos per camera per season (one every 10 minutes)."""


def plain_loop(paths, detector, settings) -> tuple[float, int, list]:
    """Seconds, tiles and each photo's detections for the plain loop over ``paths`` (the first photo untimed)."""
    import numpy as np

    from spatule.detection.batches import read_rgb
    from spatule.detection.tiling import cut_photo, merge_tiles

    tiles, found, start = 0, [], None
    for k, path in enumerate(paths):
        if k == 1:
            start = time.perf_counter()
        rgb = read_rgb(path)
        cut = cut_photo(rgb, settings.tile_size, settings.overlap)
        tiles += len(cut.tiles) if k else 0
        boxes, scores = [], []
        for tile in cut.tiles:
            b, s = detector(tile[None])
            boxes.append(np.asarray(b[0], dtype=float))
            scores.append(np.asarray(s[0], dtype=float))
        found.append(merge_tiles(cut, boxes, scores, settings.score_threshold, settings.merge,
                                 settings.merge_threshold))
    return time.perf_counter() - start, tiles, found[1:]


def decode_seconds(paths) -> float:
    """Seconds to decode ``paths[1:]`` alone (what every loop pays per photo)."""
    from spatule.detection.batches import read_rgb

    start = time.perf_counter()
    for path in paths[1:]:
        read_rgb(path)
    return time.perf_counter() - start


def agreement(first: list, second: list) -> dict:
    """How two runtimes' detections of the same photos agree: boxes of each, boxes of the first that the
    second has too (IoU >= 0.9), and the largest score difference between such pairs."""
    import numpy as np

    from spatule.geometry import iou_matrix

    matched, worst = 0, 0.0
    for a, b in zip(first, second):
        if not a or not b:
            continue
        iou = iou_matrix(np.array([d.box for d in a]), np.array([d.box for d in b]))
        for i, j in enumerate(iou.argmax(axis=1)):
            if iou[i, j] >= 0.9:
                matched += 1
                worst = max(worst, abs(a[i].score - b[j].score))
    return {"boxes": [sum(map(len, first)), sum(map(len, second))], "same_boxes": matched,
            "largest_score_difference": float(f"{worst:.2g}")}


def season_search(paths, detector, settings, decoders: int) -> tuple[float, int]:
    """Seconds and boxes for spatule's search over ``paths`` (the first photo untimed)."""
    from spatule.detection.batches import detect_photos, read_ahead, read_rgb

    list(detect_photos([(0, read_rgb(paths[0]))], detector, settings))  # warm up as the plain loop does
    start = time.perf_counter()
    stream = ((p, None if isinstance(rgb, Exception) else rgb) for p, rgb in read_ahead(paths[1:], read_rgb, decoders))
    found = sum(len(f or ()) for _, f in detect_photos(stream, detector, settings))
    return time.perf_counter() - start, found


def draw_photos(folder: Path, count: int, size: str, seed_offset: int = 0, truth: Path | None = None):
    """``count`` photos of the demo's new day drawn at ``size`` (``WxH``) into ``folder`` (empty or missing), the
    truth to ``truth`` (default ``FOLDER-truth.csv`` beside it); ``seed_offset`` added to ``demo.seed`` draws
    another colony."""
    import yaml

    from spatule.demo import DemoParams
    from spatule.demo.new_day import generate_new_day

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    width, height = (int(v) for v in size.lower().split("x"))
    demo = {**config["demo"], "seed": config["demo"]["seed"] + seed_offset, "width": width, "height": height,
            "new_photos": count}
    params = DemoParams(**demo, info_bar_px=int(config["camera"]["info_bar_px"]))
    return generate_new_day(folder, truth or folder.parent / f"{folder.name}-truth.csv", params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, help="a finished demo run: its model, photos and settings")
    parser.add_argument("--model", type=Path, help="exported model folder (results/exported)")
    parser.add_argument("--photos", type=Path, help="folder of photos")
    parser.add_argument("--info-bar-px", type=int, default=None, help="the camera's info bar (default: the card's)")
    parser.add_argument("--overlap", type=int, default=None, help="pixels shared by tiles (default: the card's)")
    parser.add_argument("--count", type=int, default=25, help="photos searched by each (default 25)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--engine", default="auto", help="spatule's runtime: auto, tflite, saved_model (default auto)")
    parser.add_argument("--decoders", type=int, default=None,
                        help="threads decoding photos ahead (default: what the workflow uses with --threads)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--draw", type=int, default=0, help="first draw this many demo photos into --photos")
    parser.add_argument("--size", default="3264x2448", help="the drawn photos' size, WxH (default 3264x2448)")
    args = parser.parse_args()
    if args.draw:
        draw_photos(args.photos, args.draw, args.size)

    from spatule.detection.engines import load_search_detector, search_model
    from spatule.detection.card import read_card, saved_model_of, tflite_of
    from spatule.detection.runtimes import load_model_detector
    from spatule.detection.season import PHOTO, list_season

    model = args.model or args.workdir / "results/exported"
    photos = args.photos or args.workdir / "resources/demo/photos"
    card = read_card(model)
    flags = {"info_bar_px": args.info_bar_px, "overlap": args.overlap}
    settings = card.settings({k: v for k, v in flags.items() if v is not None})
    paths = [photos / f.path for f in list_season(photos) if f.kind == PHOTO][:args.count + 1]
    plain_s, tiles, plain_found = plain_loop(paths, load_model_detector(saved_model_of(model), args.threads),
                                             settings)
    chosen = search_model(saved_model_of(model), tflite_of(model), args.engine)
    detector = load_search_detector(chosen, args.threads)
    plain_engine_s, _, engine_found = plain_loop(paths, detector, settings)
    decoders = args.decoders or chosen.decoders(args.threads)
    ours_s, ours_boxes = season_search(paths, detector, settings, decoders)
    decode_s = decode_seconds(paths)
    n = len(paths) - 1
    from spatule.detection.batches import read_rgb

    height, width = read_rgb(paths[0]).shape[:2]
    figures = {"photos": n, "size": f"{width}x{height}", "threads": args.threads, "decoders": decoders,
               "engine": chosen.engine, "batch": settings.batch_size,
               "overlap": settings.overlap, "info_bar_px": settings.info_bar_px,
               "plain_photos_per_s": round(n / plain_s, 3),
               "plain_with_spatule_engine_photos_per_s": round(n / plain_engine_s, 3),
               "spatule_photos_per_s": round(n / ours_s, 3),
               "ratio": round(plain_s / ours_s, 2), "season_hours": round(SEASON / (n / ours_s) / 3600, 2),
               "plain_boxes": sum(map(len, plain_found)), "spatule_boxes": ours_boxes,
               "decode_ms_per_photo": round(1000 * decode_s / n, 1), "tiles_per_photo": round(tiles / n, 2),
               "saved_model_ms_per_tile": round(1000 * (plain_s - decode_s) / tiles, 1),
               "spatule_engine_ms_per_tile": round(1000 * (plain_engine_s - decode_s) / tiles, 1),
               "runtimes_agree": agreement(plain_found, engine_found)}
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
