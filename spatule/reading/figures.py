"""What the reading draws: the timeline of resightings (bird x time), the sheet of read tags (their
codes under them, unread ones apart) and the accuracy-coverage curve of the reading evaluation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from spatule.code_space import random_codes
from spatule.figures import _pyplot, write_image
from spatule.reading.registry import UNREAD

CELL = 96
"""Height of a crop on the sheet of read tags (pixels)."""


def timeline_figure(seen: Sequence[Any], path: Path) -> None:
    """One row per bird: a bar per visit from its first to its last frame, a dot per sighting at its EXIF time
    (sightings without a time are counted in the title, not drawn)."""
    plt = _pyplot()
    timed = [s for s in seen if s.time]
    codes = sorted({s.code for s in seen})
    visits = len({getattr(s, "visit", "") or f"{s.photo}/{s.box}" for s in seen})
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.28 * len(codes) + 1.5)), dpi=100)
    if timed:
        row = {code: k for k, code in enumerate(codes)}
        spans: dict[tuple[str, str], list[datetime]] = {}
        for s in timed:
            if getattr(s, "visit", ""):
                spans.setdefault((s.code, s.visit), []).append(datetime.fromisoformat(s.time))
        for (code, _), when in sorted(spans.items()):
            if len(set(when)) > 1:
                ax.hlines(row[code], min(when), max(when), linewidth=9, alpha=0.6, color="tab:orange")
        ax.scatter([datetime.fromisoformat(s.time) for s in timed], [row[s.code] for s in timed], s=8, zorder=3,
                   color="black")
        from matplotlib.dates import DateFormatter

        ax.set_yticks(range(len(codes)), codes, fontsize=8)
        ax.set_ylim(len(codes) - 0.3, -0.7)  # codes in order from the top
        ax.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d %H:%M"))
        fig.autofmt_xdate()
    else:
        ax.text(0.5, 0.5, "no sighting with an EXIF time", ha="center", va="center", transform=ax.transAxes)
    untimed = len(seen) - len(timed)
    ax.set_title(f"{len(seen)} sighting(s) in {visits} visit(s) (bars) of {len(codes)} bird(s)"
                 + (f" ({untimed} without an EXIF time, not drawn)" if untimed else ""))
    ax.set_xlabel("time taken (EXIF DateTimeOriginal)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _cell(crop: np.ndarray, caption: str, colour: tuple[int, int, int]) -> np.ndarray:
    import cv2

    h, w = crop.shape[:2]
    width = max(CELL, int(round(w * CELL / max(1, h))))
    cell = np.full((CELL + 18, min(width, 2 * CELL), 3), 255, np.uint8)
    shrunk = cv2.resize(crop, (width, CELL), interpolation=cv2.INTER_AREA)[:, : cell.shape[1]]
    cell[:CELL, : shrunk.shape[1]] = shrunk
    cv2.putText(cell, caption, (2, CELL + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, colour, 1, cv2.LINE_AA)
    return cell


def _rows_of(cells: Sequence[np.ndarray], width: int) -> list[np.ndarray]:
    rows, line, used = [], [], 0
    for cell in cells:
        if line and used + cell.shape[1] + 2 > width:
            rows.append(line)
            line, used = [], 0
        line.append(cell)
        used += cell.shape[1] + 2
    if line:
        rows.append(line)
    out = []
    for line in rows:
        strip = np.full((line[0].shape[0], width, 3), 255, np.uint8)
        x = 0
        for cell in line:
            strip[:, x: x + cell.shape[1]] = cell
            x += cell.shape[1] + 2
        out.append(strip)
    return out


def _banner(text: str, width: int) -> np.ndarray:
    import cv2

    strip = np.full((28, width, 3), 235, np.uint8)
    cv2.putText(strip, text, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def reading_sheet(rows: Sequence[Mapping[str, str]], crops_root: Path, path: Path, width: int = 1200,
                  most: int = 240) -> None:
    """The detection crops (``detections.csv`` rows with the reading columns) with what was read under
    each: registry codes first (by code, green, with the probability of that code), then the tags unread alone
    apart (red: what the reader saw, with its probability; blue: the code their visit was read as), at most
    ``most`` of each."""
    import cv2

    read = sorted((r for r in rows if r["registry_match"] != UNREAD),
                  key=lambda r: (r["registry_match"], -float(r["match_score"])))
    unread = sorted((r for r in rows if r["registry_match"] == UNREAD), key=lambda r: -float(r["score"]))

    def cells(these: Sequence[Mapping[str, str]], accepted: bool) -> list[np.ndarray]:
        out = []
        for r in these[:most]:
            crop = cv2.imread(str(crops_root / r["crop"]), cv2.IMREAD_COLOR)
            if crop is None:
                continue
            by_visit = r.get("visit_match", UNREAD) != UNREAD
            caption = (f"{r['registry_match']} {float(r['match_score']):.2f}" if accepted
                       else f"{r['visit_match']} by visit" if by_visit
                       else f"{r['code'] or '-'}? {float(r['code_score']):.2f}")
            out.append(_cell(crop, caption, (0, 120, 0) if accepted else (150, 90, 0) if by_visit else (0, 0, 200)))
        return out

    parts = [_banner(f"read as a registry code: {len(read)} tag(s), by code (probability)"
                     + (f", the first {most}" if len(read) > most else ""), width)]
    parts += _rows_of(cells(read, True), width)
    through = sum(1 for r in unread if r.get("visit_match", UNREAD) != UNREAD)
    parts.append(_banner(f"unread alone: {len(unread)} tag(s), with the reader's best guess (its probability)"
                         + (f"; {through} read through their visit (blue: the visit's code)" if through else "")
                         + (f", the {most} most confident detections" if len(unread) > most else ""), width))
    parts += _rows_of(cells(unread, False), width)
    write_image(path, np.concatenate(parts, axis=0))


def coverage_figure(curve: Sequence[dict[str, float]], threshold: float, path: Path, title: str) -> None:
    """Exact-code accuracy of the accepted tags against coverage (the share accepted), over thresholds;
    the default threshold marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    if curve:
        ax.plot([p["coverage"] for p in curve], [p["accuracy"] for p in curve], marker=".")
        at = min(curve, key=lambda p: abs(p["threshold"] - threshold))
        ax.plot([at["coverage"]], [at["accuracy"]], "o", ms=10, mfc="none", label=f"threshold {threshold:g}")
        ax.legend(loc="lower left")
    else:
        ax.text(0.5, 0.5, "no held-out tag with a code", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (share of tags accepted)")
    ax.set_ylabel("exact-code accuracy of the accepted")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _seen_cell(pixels: np.ndarray, box: tuple[int, int, int, int] | None, upward: bool, caption: str,
               colour: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """A crop as ``detect`` cuts it, and under it the reader's input from it (the code left to right)."""
    import cv2

    from spatule.reading.render import rectify

    flat = (rectify(pixels, upward, box) * 255).astype(np.uint8)
    flat = cv2.resize(flat, (flat.shape[1] * 2, flat.shape[0] * 2), interpolation=cv2.INTER_NEAREST)
    cell = _cell(pixels, caption, colour)
    width = max(cell.shape[1], flat.shape[1])
    out = np.full((cell.shape[0] + flat.shape[0] + 4, width, 3), 255, np.uint8)
    out[: cell.shape[0], : cell.shape[1]] = cell
    out[cell.shape[0] + 2: cell.shape[0] + 2 + flat.shape[0], : flat.shape[1]] = cv2.cvtColor(flat, cv2.COLOR_GRAY2BGR)
    return out


def rendered_sheet(glyphs: Any, code_length: int, seed: int, path: Path, source: str, count: int = 40,
                   width: int = 1400) -> None:
    """Rendered training crops of codes of ``code_length`` glyphs as the reader is trained on them: each crop,
    and under it its rectified input (the code running left to right), captioned with the code."""
    from spatule.reading.render import render_reading_crop

    rng = np.random.default_rng([seed, 99])
    cells = []
    for code in random_codes(rng, glyphs.alphabet, count, code_length):
        crop = render_reading_crop(code, glyphs, rng)
        cells.append(_seen_cell(crop.pixels, crop.box, crop.upward, code))
    parts = [_banner(f"rendered training crops ({source}): the crop, the reader's input, the code", width)]
    write_image(path, np.concatenate(parts + _rows_of(cells, width), axis=0))


def real_vs_rendered_sheet(real: Sequence[Any], upward: Sequence[bool], splits: Sequence[str], glyphs: Any,
                           code_length: int, seed: int, path: Path, per_tag: int = 2, width: int = 1400,
                           most: int = 60) -> None:
    """Every labelled real tag with a code (its split in the caption; ``most`` of them evenly spread when
    there are more, said in the banner), then ``per_tag`` rendered crops of the same code: each as ``detect``
    cuts it and as the reader sees it (``upward``: the way the real code reads, as training found it).
    Without real tags, a line saying so above rendered crops of random codes of ``code_length`` glyphs."""
    from spatule.reading.render import render_reading_crop

    parts = [_banner("real labelled tags (red: split) beside rendered crops of the same code, as the reader sees "
                     "each (below the crop)", width)]
    if not real:
        parts.append(_banner("no labelled tag has a code (identities CSV or tag:CODE): rendered crops only", width))
        codes = random_codes(np.random.default_rng([seed, 78]), glyphs.alphabet, 4, code_length)
        items: list[tuple[Any, bool, str]] = [(None, True, code) for code in codes]
    else:
        items = [(tag, up, split) for tag, up, split in zip(real, upward, splits)]
        if len(items) > most:
            parts.append(_banner(f"{most} of the {len(items)} tags, evenly spread over them", width))
            items = [items[int(k)] for k in np.linspace(0, len(items) - 1, most).round()]
    groups = []
    for k, (tag, up, split) in enumerate(items):
        rng = np.random.default_rng([seed, 77, k])
        code = tag.code if tag is not None else split
        cells = []
        if tag is not None:
            cells.append(_seen_cell(tag.pixels, tag.box, up, f"{code} {split}", (0, 0, 200)))
        for _ in range(per_tag):
            crop = render_reading_crop(code, glyphs, rng)
            cells.append(_seen_cell(crop.pixels, crop.box, crop.upward, f"{code} rendered"))
        height = max(c.shape[0] for c in cells)
        group = np.full((height, sum(c.shape[1] + 2 for c in cells) + 10, 3), 255, np.uint8)
        x = 0
        for cell in cells:
            group[: cell.shape[0], x: x + cell.shape[1]] = cell
            x += cell.shape[1] + 2
        groups.append(group)
    parts += _rows_of(groups, width)
    write_image(path, np.concatenate(parts, axis=0))
