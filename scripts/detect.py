"""detect rule: tags in every photo of a folder, tiled at full size; boxes table + one crop per tag."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.search import load_model_detector, search_settings
from spatule.smk import logged_step
from spatule.stages import detect

with logged_step(snakemake) as log:
    detect(
        images_dir=Path(snakemake.input.images),
        detector=load_model_detector(Path(snakemake.input.saved_model), snakemake.threads, log),
        settings=search_settings(snakemake.params.detect, int(snakemake.params.tile_size),
                                 Path(snakemake.input.objects), int(snakemake.params.info_bar_px), log),
        detections_csv=Path(snakemake.output.detections),
        photos_csv=Path(snakemake.output.photos),
        crops_dir=Path(snakemake.output.crops),
        sheet=Path(snakemake.output.sheet),
        margin_px=int(snakemake.params.margin_px),
        margin_fraction=float(snakemake.params.margin_fraction),
        apply_orientation=snakemake.params.exif_orientation == "apply",
        log=log,
    )
