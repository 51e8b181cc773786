"""search_settings rule: how every photo is searched (tiles, overlap, the info bar, merge), written once."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import search_settings

with logged_step(snakemake) as log:
    params = snakemake.params
    search_settings(params.detect, int(params.tile_size), int(params.info_bar_px), params.class_name,
                    Path(snakemake.input.objects), Path(snakemake.output[0]), log=log)
