"""evaluate_synthetic rule: the exported detector on the synthetic test tiles (held-out birds)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.engines import ModelFiles
from spatule.evaluate import EvalOutputs, EvalSettings
from spatule.smk import logged_step
from spatule.stages import evaluate_synthetic

with logged_step(snakemake) as log:
    evaluate_synthetic(
        coco_json=Path(snakemake.input.json),
        model=ModelFiles.of_inputs(snakemake.input, snakemake.params.engine, snakemake.threads),
        card=Path(snakemake.input.card),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),
        evaluate=EvalSettings.of(snakemake.params.evaluate),
        log=log,
    )
