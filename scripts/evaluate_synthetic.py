"""evaluate_synthetic rule: the exported detector on the synthetic test tiles (held-out birds)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.evaluate import EvalOutputs, evaluate_synthetic_stage, factory  # noqa: E402
from spatule.inference import load_model_detector  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    evaluate = snakemake.params.evaluate  # noqa: F821
    evaluate_synthetic_stage(
        coco_json=Path(snakemake.input.json),  # noqa: F821
        detector=factory(lambda: load_model_detector(Path(snakemake.input.saved_model), snakemake.threads, log)),  # noqa: F821
        batch=int(snakemake.params.detect["batch_size"]),  # noqa: F821
        threshold=float(evaluate["score_threshold"]),
        min_score=float(evaluate["min_score"]),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),  # noqa: F821
        log=log,
    )
