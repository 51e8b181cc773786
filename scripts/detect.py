"""detect rule: tags in every photo of a folder, tiled at full size; boxes table + one crop per tag."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.inference import search_settings, detect_stage, load_model_detector  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    detect_stage(
        images_dir=Path(snakemake.input.images),  # noqa: F821
        detector=load_model_detector(Path(snakemake.input.saved_model), snakemake.threads, log),  # noqa: F821
        settings=search_settings(snakemake.params.detect, int(snakemake.params.tile_size),  # noqa: F821
                                 Path(snakemake.input.objects), int(snakemake.params.info_bar_px), log),  # noqa: F821
        detections_csv=Path(snakemake.output.detections),  # noqa: F821
        photos_csv=Path(snakemake.output.photos),  # noqa: F821
        crops_dir=Path(snakemake.output.crops),  # noqa: F821
        sheet=Path(snakemake.output.sheet),  # noqa: F821
        margin_px=int(snakemake.params.margin_px),  # noqa: F821
        margin_fraction=float(snakemake.params.margin_fraction),  # noqa: F821
        apply_orientation=snakemake.params.exif_orientation == "apply",  # noqa: F821
        log=log,
    )
