"""What reading each crop through several views of its box buys (``spatule.reading.codes.VIEWS``),
against reading the box alone, on rendered crops the reader never saw, in the same run.

    .venv/bin/python bench/read_views.py --reader W/results/reader [--sheet ../shared/data/spoo-font/SPOO-FONT.jpg]

Half of the crops' codes are in the registry (with the registry of ``--registry``, if given), half are
birds not banded, as rule read_threshold checks (``spatule.stages.reading.rendered_check``). For
thresholds from 0.1 down to 0.001 (with ``--margin``), the codes accepted and the wrong ones among
them, for one view and for all of them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader", type=Path, required=True)
    parser.add_argument("--sheet", type=Path, default=None, help="the glyph sheet the reader was trained with")
    parser.add_argument("--registry", type=Path, default=None)
    parser.add_argument("--margin", type=float, default=10.0)
    parser.add_argument("--crops", type=int, default=600)
    args = parser.parse_args()

    from spatule.reading.codes import VIEWS
    from spatule.stages.reading import code_reader, rendered_check

    reader = code_reader(args.reader, args.registry, 2)
    print("| threshold | views | accepted | wrong | accuracy |\n|---|---|---|---|---|")
    results = {}
    for views in (VIEWS[:1], VIEWS):
        results[len(views)] = rendered_check(replace(reader, views=views), args.sheet, args.margin, args.crops)
    for threshold in (0.1, 0.03, 0.01, 0.003, 0.001):
        for count, scored in results.items():
            taken = [ok for score, ok in scored if score >= threshold]
            print(f"| {threshold:g} | {count} | {len(taken)} of {args.crops} | {len(taken) - sum(taken)} | "
                  f"{sum(taken) / max(1, len(taken)):.3f} |")


if __name__ == "__main__":
    main()
