"""detect rule: the detection jobs gathered; the sheet, labelImg files of the boxes, and who was seen when."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.reading.sightings import Resightings
from spatule.smk import logged_step
from spatule.stages import detect
from spatule.detection.gathering import StaticSettings
from spatule.stages.detection import DetectOutputs, SeasonChecks
from spatule.stages.labelling import index_settings
from spatule.stages.reading import ReaderFiles

with logged_step(snakemake) as log:
    inputs, outputs, params = snakemake.input, snakemake.output, snakemake.params
    tables = [Path(p) for p in inputs.jobs]
    detect(
        images_dir=Path(inputs.images),
        jobs=[(d.parent.name, d, p) for d, p in zip(tables[0::2], tables[1::2])],
        out=DetectOutputs(Path(outputs.detections), Path(outputs.photos), Path(params.voc),
                          Path(outputs.sheet), Path(outputs.megadetector), Path(outputs.voc_table),
                          Path(outputs.static)),
        labels=index_settings(snakemake.params.labels),
        checks=SeasonChecks(bool(params.searches_labels),
                            StaticSettings(float(params.static_iou), float(params.static_share))),
        resightings=Resightings(Path(outputs.sightings), Path(outputs.birds), Path(outputs.timeline),
                                Path(outputs.read_sheet), Path(inputs.acceptance), Path(outputs.visits),
                                float(params.visit_gap_minutes)),
        reread=ReaderFiles(Path(inputs.weights).parent, Path(inputs.registry) if "registry" in inputs.keys() else None,
                           threads=snakemake.threads) if params.reread else None,
        log=log,
    )
