"""report rule: PR and training curves, split table and summary under results/report/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import report

with logged_step(snakemake) as log:
    report(
        evaluations={name: Path(snakemake.input[name]) for name in ("val", "real", "synthetic")},
        split_summary=Path(snakemake.input.split_summary),
        tiles_json={Path(p).stem: Path(p) for p in snakemake.input.tiles},
        model_dir=Path(snakemake.input.training).parent,  # results/model
        detect_photos=Path(snakemake.input.detect),
        out={k: Path(snakemake.output[k]) for k in
             ("summary_md", "summary_html", "splits_html", "splits_csv", "pr_curves", "training_curves")},
        log=log,
        hard_negatives=Path(snakemake.input.hard) if snakemake.input.get("hard") else None,
        reading=Path(snakemake.input.reading),
        birds=Path(snakemake.input.birds),
    )
