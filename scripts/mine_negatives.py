"""mine_negatives rule: the first model's false boxes on the train split's photos, cut into tag-free tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.engines import TrainedModel
from spatule.evaluate import PhotoTables
from spatule.smk import logged_step
from spatule.stages import mine_negatives
from spatule.stages.training import RoundTwoFiles

with logged_step(snakemake) as log:
    mine_negatives(
        photos=PhotoTables.of_inputs(snakemake.input, snakemake.config["labels"]["dir"]),
        model=TrainedModel(Path(snakemake.input.metrics).parent, snakemake.threads),  # results/model
        card=Path(snakemake.input.settings),
        hard=snakemake.params.hard,
        jpeg_quality=int(snakemake.params.jpeg_quality),
        files=RoundTwoFiles(
            train_records=[Path(p) for p in snakemake.input.train],
            tiles_dir=Path(snakemake.output.tiles),
            round_two=[Path(p) for p in snakemake.output.round_two],
            summary_json=Path(snakemake.output.summary),
        ),
        log=log,
    )
