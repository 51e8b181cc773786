"""mine_negatives rule: the first model's false boxes on the train split's photos, cut into tag-free tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.runtimes import checkpoint_tile_detector
from spatule.detection.settings import search_settings
from spatule.negatives import mining_settings
from spatule.smk import logged_step
from spatule.stages import mine_negatives

with logged_step(snakemake) as log:
    params = snakemake.params
    model_dir = Path(snakemake.input.metrics).parent  # results/model
    out = Path(snakemake.output.tiles)
    mine_negatives(
        labels_dir=Path(snakemake.input.labels),
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},
        detector=lambda: checkpoint_tile_detector(model_dir, snakemake.threads, log),
        search=search_settings(params.detect, int(params.tile_size), Path(snakemake.input.objects),
                               int(params.info_bar_px), log),
        settings=mining_settings(params.hard),
        tile=int(params.tile_size),
        jpeg_quality=int(params.jpeg_quality),
        class_name=params.class_name,
        out_dir=out,
        train_records=[Path(p) for p in snakemake.input.train],
        round_two=[Path(p) for p in snakemake.output.round_two],
        summary_json=Path(snakemake.output.summary),
        log=log,
    )
