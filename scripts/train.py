"""train rule: Model Garden RetinaNet on the TFRecords, resuming from the last checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import train

with logged_step(snakemake) as log:
    train(
        train=snakemake.params.train,
        train_records=[Path(p) for p in snakemake.input.train],
        val_records=[Path(p) for p in snakemake.input.val],
        val_json=Path(snakemake.input.val_json),
        model_dir=Path(snakemake.output.metrics).parent,  # results/model
        metrics_json=Path(snakemake.output.metrics),
        threads=snakemake.threads,
        pretrained=Path(snakemake.params.pretrained) if snakemake.params.pretrained else None,
        log=log,
    )
