"""train_hard rule: the second training round, from the first model's weights, with the hard negatives."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.settings import search_settings
from spatule.smk import logged_step
from spatule.stages import train_hard

with logged_step(snakemake) as log:
    params = snakemake.params
    train_hard(
        train=params.train,
        hard=params.hard,
        train_records=[Path(p) for p in snakemake.input.train],  # tiles + hard negatives
        val_records=[Path(p) for p in snakemake.input.val],
        val_json=Path(snakemake.input.val_json),
        base_dir=Path(snakemake.input.base).parent,  # results/model
        model_dir=Path(snakemake.output.metrics).parent,  # results/model-hard
        metrics_json=Path(snakemake.output.metrics),
        before_json=Path(snakemake.input.before),
        report_json=Path(snakemake.output.report),
        labels_dir=Path(snakemake.input.labels),
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},
        search=search_settings(params.detect, int(params.tile_size), Path(snakemake.input.objects),
                               int(params.info_bar_px), log),
        threads=snakemake.threads,
        log=log,
    )
