"""Rules ``demo_data`` and ``demo_new_photos``: the embedded demo campaign, and a later day's photos, generated."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

_log = logging.getLogger("spatule")


def demo_data(demo: Mapping[str, Any], info_bar_px: int, photos_dir: Path, identities_csv: Path,
              workers: int = 1, log: logging.Logger = _log) -> Any:
    """The embedded demo campaign: labelled photos and the identities CSV (the demo camera burns in the
    bar that ``camera.info_bar_px`` says it does), drawn by ``workers`` processes (the same bytes)."""
    from spatule.demo import DemoParams, generate_campaign

    params = DemoParams(**demo, info_bar_px=int(info_bar_px))
    summary = generate_campaign(photos_dir, identities_csv, params, workers)
    log.info("demo campaign (%s): %s", params, summary)
    return summary


def demo_new_photos(demo: Mapping[str, Any], info_bar_px: int, photos_dir: Path, truth_csv: Path,
                    log: logging.Logger = _log) -> Any:
    """The demo's unlabelled new photos (a later day of the same colony, ``demo.new_photos`` of them), what
    ``detect`` searches by default in the demo, and where their tags really are (``truth_csv``)."""
    from spatule.demo import DemoParams
    from spatule.demo.new_day import generate_new_day

    params = DemoParams(**demo, info_bar_px=int(info_bar_px))
    summary = generate_new_day(photos_dir, truth_csv, params)
    log.info("demo new photos (%s): %s", params, summary)
    return summary


def demo_registry(identities_csv: Path, banded: int, seed: int, registry_csv: Path,
                  log: logging.Logger = _log) -> int:
    """The demo's registry (``read.registry`` in the demo): its photographed codes and others."""
    from spatule.demo.registry import REGISTRY_COLUMNS, registry_rows
    from spatule.tables import read_csv, write_csv

    seen = sorted({r["identity"] for r in read_csv(identities_csv)})
    rows = registry_rows(seen, banded, seed)
    write_csv(registry_csv, REGISTRY_COLUMNS, rows)
    log.info("demo registry: %d banded bird(s) -> %s", len(rows), registry_csv)
    return len(rows)
