"""evaluate_synthetic rule: the exported detector on the synthetic test tiles (held-out birds)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.evaluate import EvalOutputs, factory
from spatule.detection.engines import exported_search_model, load_search_detector
from spatule.detection.card import card_threshold
from spatule.smk import logged_step
from spatule.stages import evaluate_synthetic

with logged_step(snakemake) as log:
    evaluate = snakemake.params.evaluate
    model = exported_search_model(snakemake.input, snakemake.params.engine, log)
    evaluate_synthetic(
        coco_json=Path(snakemake.input.json),
        detector=factory(lambda: load_search_detector(model, snakemake.threads, log)),
        batch=int(snakemake.params.detect["batch_size"]),
        threshold=card_threshold(Path(snakemake.input.card)),
        min_score=float(evaluate["min_score"]),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),
        engine=model.engine,
        bootstrap=int(evaluate["bootstrap"]),
        log=log,
    )
