"""to_label rule: the searched photos whose labels would teach the models most, and why."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages.to_label import SeasonTables, labelled_photo_paths, to_label, train_photo_paths

with logged_step(snakemake) as log:
    inputs, labels_dir = snakemake.input, snakemake.config["labels"]["dir"]
    to_label(SeasonTables(Path(inputs.detections), Path(inputs.photos), Path(inputs.visits)), Path(inputs.card),
             Path(inputs.images), train_photo_paths(Path(inputs.split_photos), Path(inputs.backgrounds), labels_dir),
             Path(snakemake.output[0]), labelled_photo_paths(Path(inputs.objects), labels_dir), log)
