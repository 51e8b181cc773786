"""train_hard rule: the second training round, from the first model's weights, with the hard negatives."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.inference import search_settings  # noqa: E402
from spatule.pipeline import train_hard_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    params = snakemake.params  # noqa: F821
    train_hard_stage(
        train=params.train,
        hard=params.hard,
        train_records=[Path(p) for p in snakemake.input.train],  # noqa: F821  (tiles + hard negatives)
        val_records=[Path(p) for p in snakemake.input.val],  # noqa: F821
        val_json=Path(snakemake.input.val_json),  # noqa: F821
        base_dir=Path(snakemake.input.base).parent,  # noqa: F821  (results/model)
        model_dir=Path(snakemake.output.metrics).parent,  # noqa: F821  (results/model-hard)
        metrics_json=Path(snakemake.output.metrics),  # noqa: F821
        before_json=Path(snakemake.input.before),  # noqa: F821
        report_json=Path(snakemake.output.report),  # noqa: F821
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},  # noqa: F821
        search=search_settings(params.detect, int(params.tile_size), Path(snakemake.input.objects),  # noqa: F821
                               int(params.info_bar_px), log),
        threads=snakemake.threads,  # noqa: F821
        log=log,
    )
