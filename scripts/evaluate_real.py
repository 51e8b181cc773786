"""evaluate_val and evaluate_real rules: the tiled detector on the real photos of one split (params.split), all
their tags held out. On val the score threshold is chosen (unless detect.score_threshold is set: the search
settings carry it); on test the figures are measured at the model card's threshold, the one chosen on val."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.detection.engines import ModelFiles
from spatule.evaluate import EvalOutputs, EvalSettings, PhotoTables
from spatule.smk import logged_step
from spatule.stages import evaluate_real

with logged_step(snakemake) as log:
    evaluate_real(
        photos=PhotoTables.of_inputs(snakemake.input, snakemake.config["labels"]["dir"]),
        model=ModelFiles.of_inputs(snakemake.input, snakemake.params.engine, snakemake.threads),
        card=Path(snakemake.input.card),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),
        split=snakemake.params.split,
        evaluate=EvalSettings.of(snakemake.params.evaluate),
        log=log,
    )
