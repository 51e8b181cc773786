"""train_hard rule: the second training round, from the first model's weights, with the hard negatives."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.evaluate import PhotoTables
from spatule.smk import logged_step
from spatule.stages import train_hard
from spatule.stages.training import HardRound, TrainingRecords

with logged_step(snakemake) as log:
    inputs, outputs = snakemake.input, snakemake.output
    train_hard(
        train=snakemake.params.train,
        hard=snakemake.params.hard,
        records=TrainingRecords([Path(p) for p in inputs.train], [Path(p) for p in inputs.val], Path(inputs.val_json)),
        round_two=HardRound(
            base_dir=Path(inputs.base).parent,  # results/model
            before_json=Path(inputs.before),
            model_dir=Path(outputs.metrics).parent,  # results/model-hard
            metrics_json=Path(outputs.metrics),
            report_json=Path(outputs.report),
        ),
        photos=PhotoTables.of_inputs(inputs, snakemake.config["labels"]["dir"]),
        card=Path(inputs.settings),
        threads=snakemake.threads,
        log=log,
    )
