"""train rule: Model Garden RetinaNet on the TFRecords, resuming from the last checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import train_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    train_stage(
        train=snakemake.params.train,  # noqa: F821
        train_records=[Path(p) for p in snakemake.input.train],  # noqa: F821
        val_records=[Path(p) for p in snakemake.input.val],  # noqa: F821
        val_json=Path(snakemake.input.val_json),  # noqa: F821
        model_dir=Path(snakemake.output.metrics).parent,  # noqa: F821  (results/model)
        metrics_json=Path(snakemake.output.metrics),  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        pretrained=Path(snakemake.params.pretrained),  # noqa: F821  (for init_checkpoint: pretrained)
        log=log,
    )
