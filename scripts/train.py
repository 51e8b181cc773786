"""train rule: Model Garden RetinaNet on the TFRecords, resuming from the last checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import train
from spatule.stages.training import TrainingRecords

with logged_step(snakemake) as log:
    inputs = snakemake.input
    train(
        train=snakemake.params.train,
        records=TrainingRecords([Path(p) for p in inputs.train], [Path(p) for p in inputs.val], Path(inputs.val_json)),
        model_dir=Path(snakemake.output.metrics).parent,  # results/model
        metrics_json=Path(snakemake.output.metrics),
        threads=snakemake.threads,
        pretrained=Path(snakemake.params.pretrained) if snakemake.params.pretrained else None,
        log=log,
    )
