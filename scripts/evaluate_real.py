"""evaluate_real rule: the tiled detector on the real held-out photos (all tags in the test split)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.evaluate import EvalOutputs, factory
from spatule.engines import exported_search_model, load_search_detector
from spatule.search import search_settings
from spatule.smk import logged_step
from spatule.stages import evaluate_real

with logged_step(snakemake) as log:
    evaluate = snakemake.params.evaluate
    model = exported_search_model(snakemake.input, snakemake.params.engine, log)
    evaluate_real(
        labels_dir=Path(snakemake.input.labels),
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},
        detector=factory(lambda: load_search_detector(model, snakemake.threads, log)),
        settings=search_settings(snakemake.params.detect, int(snakemake.params.tile_size),
                                 Path(snakemake.input.objects), int(snakemake.params.info_bar_px), log),
        threshold=float(evaluate["score_threshold"]),
        min_score=float(evaluate["min_score"]),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),
        engine=model.engine,
        log=log,
    )
