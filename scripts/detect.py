"""detect rule: the detection jobs gathered; the sheet, and labelImg files of the boxes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.reading.codes import read_acceptance
from spatule.reading.sightings import Resightings
from spatule.smk import logged_step
from spatule.stages import detect
from spatule.stages.reading import code_reader

with logged_step(snakemake) as log:
    tables = [Path(p) for p in snakemake.input.jobs]
    jobs = [(d.parent.name, d, p) for d, p in zip(tables[0::2], tables[1::2])]
    detect(
        images_dir=Path(snakemake.input.images),
        jobs=jobs,
        detections_csv=Path(snakemake.output.detections),
        photos_csv=Path(snakemake.output.photos),
        voc_dir=Path(snakemake.output.voc),
        sheet=Path(snakemake.output.sheet),
        class_name=snakemake.params.class_name,
        searches_labels=bool(snakemake.params.searches_labels),
        reread=code_reader(Path(snakemake.input.weights).parent,
                           Path(snakemake.input.registry) if "registry" in snakemake.input.keys() else None,
                           snakemake.threads, log) if snakemake.params.reread else None,
        resightings=Resightings(Path(snakemake.output.sightings), Path(snakemake.output.birds),
                                Path(snakemake.output.timeline), Path(snakemake.output.read_sheet),
                                read_acceptance(Path(snakemake.input.acceptance))),
        log=log,
    )
