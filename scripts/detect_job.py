"""detect_job rule: one job's share of the photos searched at full size with the model card's settings (the
cache spares the photos already searched with this model); its tables and one crop per tag, its code read."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.engines import ModelFiles
from spatule.detection.rows import CropMargins
from spatule.smk import logged_step
from spatule.stages import detect_job
from spatule.stages.detection import JobFiles
from spatule.stages.reading import ReaderFiles

with logged_step(snakemake) as log:
    inputs, outputs, params = snakemake.input, snakemake.output, snakemake.params
    detect_job(
        job=JobFiles(Path(params.images), params.files, Path(outputs.detections), Path(outputs.photos),
                     Path(outputs.crops), Path(params.cache)),
        model=ModelFiles.of_inputs(inputs, params.engine, snakemake.threads),
        card=Path(inputs.card),
        margins=CropMargins(int(params.margin_px), float(params.margin_fraction)),
        exif_orientation=params.exif_orientation,
        reader=ReaderFiles(Path(inputs.weights).parent, Path(inputs.registry) if "registry" in inputs.keys() else None,
                           threads=snakemake.threads),
        log=log,
    )
