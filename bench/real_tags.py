"""Real tags beside rendered ones, measured the same way: what the reader's band model was fitted to.

    .venv/bin/python bench/real_tags.py --workdir W [--sheet ../shared/data/spoo-font/SPOO-FONT.jpg] [--rendered 300]

``W`` is a workflow folder that ran rule ``split`` (``results/tags/``, ``results/split/identities.csv``),
e.g. ``snakemake --cores 2 results/split/identities.csv --configfile examples/spatule-sample.yaml`` run
in ``W``. For every labelled tag whose identity is a code, and for ``--rendered`` crops of the reader's
band model (``spatule.reading.render``, drawn with the sheet's glyphs or the demo's font), inside the
tag's box: its height in pixels, the box's width over height, the band's tilt from the vertical (the
main axis of its bright pixels), the band's white (95th grey percentile), the ink (5th) and the ground
around the box (median), the contrast (white - ink) / white, and how sharp it is (the 90th percentile
of the gradient over the contrast: 1 / edge width in pixels). Real tags one by one, rendered ones as
their 10th, 50th and 90th percentiles.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2
import numpy as np

from spatule.code_space import ALPHABET, is_code, random_codes
from spatule.tables import read_csv

MEASURES = ("height", "aspect", "tilt", "white", "ink", "ground", "contrast", "sharpness")


def measure(pixels: np.ndarray, box: tuple[int, int, int, int]) -> dict[str, float]:
    """The figures of one crop inside ``box`` (see the module docstring)."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY).astype(np.float32)
    x0, y0, x1, y1 = box
    inside = grey[y0:y1, x0:x1]
    around = np.ones(grey.shape, bool)
    around[y0:y1, x0:x1] = False
    white, ink = np.percentile(inside, 95), np.percentile(inside, 5)
    bright = inside > (white + np.median(inside)) / 2
    ys, xs = np.nonzero(bright)
    points = np.stack([xs, ys], 1).astype(np.float64)
    _, vectors = np.linalg.eigh(np.cov((points - points.mean(0)).T))
    tilt = float(np.degrees(np.arctan2(vectors[0, 1], vectors[1, 1])))
    tilt = (tilt + 90) % 180 - 90
    gx, gy = cv2.Sobel(inside, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(inside, cv2.CV_32F, 0, 1) / 8
    sharp = np.percentile(np.hypot(gx, gy), 90) / max(1.0, white - ink)
    return {"height": y1 - y0, "aspect": (x1 - x0) / (y1 - y0), "tilt": tilt, "white": white, "ink": ink,
            "ground": float(np.median(grey[around])) if around.any() else float("nan"),
            "contrast": (white - ink) / max(1.0, white), "sharpness": float(sharp)}


def row(name: str, figures: dict[str, float]) -> str:
    return f"| {name} | " + " | ".join(f"{figures[m]:.2f}" if m in ("aspect", "contrast", "sharpness")
                                       else f"{figures[m]:.0f}" for m in MEASURES) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--sheet", type=Path, default=None, help="the tag-font sheet (default: the demo's font)")
    parser.add_argument("--rendered", type=int, default=300)
    parser.add_argument("--alphabet", default=ALPHABET)
    args = parser.parse_args()

    from spatule.reading.render import render_reading_crop
    from spatule.stages.reading import glyph_set

    split = {r["identity"]: r["split"] for r in read_csv(args.workdir / "results/split/identities.csv")}
    print("| tag | " + " | ".join(MEASURES) + " |\n|---|" + "---|" * len(MEASURES))
    for tag in read_csv(args.workdir / "results/tags/tags.csv"):
        if not is_code(tag["identity"], args.alphabet) or tag["difficult"] == "1":
            continue
        pixels = cv2.imread(str(args.workdir / "results/tags/crops" / tag["file"]))
        box = tuple(int(tag[k]) for k in ("box_x0", "box_y0", "box_x1", "box_y1"))
        print(row(f"{tag['identity']} ({split.get(tag['identity'], '?')}, real)", measure(pixels, box)))
    glyphs = glyph_set(args.alphabet, args.sheet)
    rng = np.random.default_rng(0)
    drawn = [measure(c.pixels, c.box) for c in (render_reading_crop(code, glyphs, rng) for code in
                                                random_codes(rng, args.alphabet, args.rendered))]
    for q in (10, 50, 90):
        print(row(f"rendered, {q}th percentile of {args.rendered}",
                  {m: float(np.nanpercentile([d[m] for d in drawn], q)) for m in MEASURES}))


if __name__ == "__main__":
    main()
