"""detect_job rule: one job's share of the photos searched at full size (the cache spares the photos
already searched with this model); its tables and one crop per tag."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.engines import exported_search_model, load_search_detector
from spatule.detection.card import card_threshold
from spatule.detection.settings import search_settings
from spatule.smk import logged_step
from spatule.stages import detect_job
from spatule.stages.reading import code_reader

with logged_step(snakemake) as log:
    params = snakemake.params
    model = exported_search_model(snakemake.input, params.engine, log)
    detect_job(
        images_dir=Path(params.images),
        files=params.files,
        detector=lambda: load_search_detector(model, snakemake.threads, log),
        settings=search_settings(params.detect, int(params.tile_size), Path(snakemake.input.objects),
                                 int(params.info_bar_px), log).with_threshold(
            card_threshold(Path(snakemake.input.card)).score_threshold),
        detections_csv=Path(snakemake.output.detections),
        photos_csv=Path(snakemake.output.photos),
        crops_dir=Path(snakemake.output.crops),
        cache_root=Path(params.cache),
        model_id=model.digest(),
        margin_px=int(params.margin_px),
        margin_fraction=float(params.margin_fraction),
        apply_orientation=params.exif_orientation == "apply",
        decoders=model.decoders(snakemake.threads),
        reader=lambda: code_reader(Path(snakemake.input.weights).parent,
                                   Path(snakemake.input.registry) if "registry" in snakemake.input.keys() else None,
                                   snakemake.threads, log),
        log=log,
    )
