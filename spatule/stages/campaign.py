"""Rule ``demo_data``: the embedded demo campaign, generated."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

_log = logging.getLogger("spatule")


def demo_data(demo: Mapping[str, Any], info_bar_px: int, photos_dir: Path, identities_csv: Path,
              log: logging.Logger = _log) -> Any:
    """The embedded demo campaign: labelled photos and the identities CSV (the demo camera burns in the
    bar that ``camera.info_bar_px`` says it does)."""
    from spatule.demo import DemoParams, generate_campaign

    params = DemoParams(**demo, info_bar_px=int(info_bar_px))
    summary = generate_campaign(photos_dir, identities_csv, params)
    log.info("demo campaign (%s): %s", params, summary)
    return summary
