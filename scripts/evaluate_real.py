"""evaluate_val and evaluate_real rules: the tiled detector on the real photos of one split (params.split), all
their tags held out. On val the score threshold is chosen (unless detect.score_threshold is set); on test the
figures are measured at the model card's threshold, the one chosen on val."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.evaluate import EvalOutputs, ThresholdChoice, factory
from spatule.detection.engines import exported_search_model, load_search_detector
from spatule.detection.card import card_threshold
from spatule.detection.settings import search_settings
from spatule.smk import logged_step
from spatule.stages import evaluate_real

with logged_step(snakemake) as log:
    evaluate, fixed = snakemake.params.evaluate, snakemake.params.detect.get("score_threshold")
    if "card" in snakemake.input.keys():
        threshold = card_threshold(Path(snakemake.input.card))
    else:
        threshold = None if fixed is None else ThresholdChoice(float(fixed), "config")
    model = exported_search_model(snakemake.input, snakemake.params.engine, log)
    evaluate_real(
        labels_dir=Path(snakemake.input.labels),
        tables={k: Path(snakemake.input[k]) for k in ("objects", "photos", "backgrounds", "problems")},
        detector=factory(lambda: load_search_detector(model, snakemake.threads, log)),
        settings=search_settings(snakemake.params.detect, int(snakemake.params.tile_size),
                                 Path(snakemake.input.objects), int(snakemake.params.info_bar_px), log),
        threshold=threshold,
        min_score=float(evaluate["min_score"]),
        outputs=EvalOutputs(*(Path(snakemake.output[k]) for k in ("metrics", "detections", "pr_curve", "sheet"))),
        split=snakemake.params.split,
        engine=model.engine,
        target_precision=float(evaluate["target_precision"]),
        bootstrap=int(evaluate["bootstrap"]),
        log=log,
    )
