"""What reading each crop through several views of its box buys (``spatule.reading.codes.VIEWS``), and each
view turned too (``TURNS``), against reading the box alone, on rendered crops the reader never saw, in the
same run.

    .venv/bin/python bench/read_views.py --reader W/results/reader --registry R [--sheet SHEET]

Half of the crops' codes are birds of the registry of ``--registry``, half are birds off it, read
against that registry as rule read_threshold checks (``spatule.reading.check.rendered_check``). For
thresholds from 0.1 down to 0.001 (with ``--margin``), the codes accepted and the wrong ones among
them, for each way of reading; then the threshold rule read_threshold would choose on them for
``--target`` accuracy, and how many crops it accepts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from spatule.reading.check import RENDERED_CHECK, rendered_check
    from spatule.stages.reading import code_reader, glyph_set

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader", type=Path, required=True)
    parser.add_argument("--sheet", type=Path, default=None, help="the glyph sheet the reader was trained with")
    parser.add_argument("--registry", type=Path, required=True)
    parser.add_argument("--margin", type=float, default=10.0)
    parser.add_argument("--crops", type=int, default=RENDERED_CHECK)
    parser.add_argument("--target", type=float, default=0.98)
    args = parser.parse_args()

    from spatule.reading.codes import TURNS, VIEWS
    from spatule.reading.evaluation import choose_threshold

    reader = code_reader(args.reader, args.registry, 2)
    glyphs = glyph_set(reader.alphabet, args.sheet)
    ways = {"the box": (VIEWS[:1], TURNS[:1]), f"{len(VIEWS)} views": (VIEWS, TURNS[:1]),
            f"{len(VIEWS)} views x {len(TURNS)} turns": (VIEWS, TURNS)}
    results = {name: rendered_check(replace(reader, views=views, turns=turns), glyphs, args.margin,
                                    args.crops).scored
               for name, (views, turns) in ways.items()}
    print("| threshold | read through | accepted | wrong | accuracy |\n|---|---|---|---|---|")
    for threshold in (0.1, 0.03, 0.01, 0.003, 0.001):
        for name, scored in results.items():
            taken = [ok for score, ok in scored if score >= threshold]
            print(f"| {threshold:g} | {name} | {len(taken)} of {args.crops} | {len(taken) - sum(taken)} | "
                  f"{sum(taken) / max(1, len(taken)):.3f} |")
    print(f"\n| read through | threshold for {args.target:g} | accepted | wrong |\n|---|---|---|---|")
    for name, scored in results.items():
        threshold, _ = choose_threshold(scored, args.target)
        taken = [ok for score, ok in scored if score >= threshold]
        print(f"| {name} | {threshold:.3g} | {len(taken)} of {args.crops} | {len(taken) - sum(taken)} |")

if __name__ == "__main__":
    main()
