"""evaluate_real rule: the tiled detector on the real held-out photos (all tags in the test split)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.evaluate import EvalOutputs, evaluate_real_stage, factory  # noqa: E402
from spatule.inference import search_settings, load_model_detector  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    evaluate = snakemake.params.evaluate  # noqa: F821
    evaluate_real_stage(
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},  # noqa: F821
        detector=factory(lambda: load_model_detector(Path(snakemake.input.saved_model), snakemake.threads, log)),  # noqa: F821
        settings=search_settings(snakemake.params.detect, int(snakemake.params.tile_size),  # noqa: F821
                                 Path(snakemake.input.objects), int(snakemake.params.info_bar_px), log),  # noqa: F821
        threshold=float(evaluate["score_threshold"]),
        min_score=float(evaluate["min_score"]),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),  # noqa: F821
        log=log,
    )
