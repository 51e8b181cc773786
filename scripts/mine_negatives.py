"""mine_negatives rule: the first model's false boxes on the train split's photos, cut into tag-free tiles."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.inference import search_settings, tile_detector  # noqa: E402
from spatule.negatives import mine_negatives_stage, mining_settings  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    params = snakemake.params  # noqa: F821
    model_dir = Path(snakemake.input.metrics).parent  # noqa: F821  (results/model)

    def first_model():
        from spatule.model import checkpoint_detector, configure_tensorflow

        configure_tensorflow(snakemake.threads, log)  # noqa: F821
        return tile_detector(checkpoint_detector(model_dir))

    out = Path(snakemake.output.tiles)  # noqa: F821
    mine_negatives_stage(
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},  # noqa: F821
        detector=first_model,
        search=search_settings(params.detect, int(params.tile_size), Path(snakemake.input.objects),  # noqa: F821
                               int(params.info_bar_px), log),
        settings=mining_settings(params.hard),
        tile=int(params.tile_size),
        jpeg_quality=int(params.jpeg_quality),
        class_name=params.class_name,
        out_dir=out,
        train_records=[Path(p) for p in snakemake.input.train],  # noqa: F821
        round_two=[Path(p) for p in snakemake.output.round_two],  # noqa: F821
        summary_json=Path(snakemake.output.summary),  # noqa: F821
        log=log,
    )
