"""search_settings rule: how every photo is searched (tiles, overlap, the info bar, merge), written once."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import search_settings

with logged_step(snakemake) as log:
    params = snakemake.params
    search_settings(detect=params.detect, tile_size=int(params.tile_size), info_bar_px=int(params.info_bar_px),
                    class_name=params.class_name, objects_csv=Path(snakemake.input.objects),
                    out_json=Path(snakemake.output[0]), log=log)
