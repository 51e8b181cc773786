"""report rule: PR and training curves, split table and summary under results/report/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import report
from spatule.stages.reporting import ReportInputs

with logged_step(snakemake) as log:
    inputs = snakemake.input
    report(ReportInputs(evaluations={name: Path(inputs[name]) for name in ("val", "real", "synthetic")},
                        split_summary=Path(inputs.split_summary),
                        tiles_json={Path(p).stem: Path(p) for p in inputs.tiles},
                        model_dir=Path(inputs.training).parent,  # results/model
                        detect_photos=Path(inputs.detect),
                        hard_negatives=Path(inputs.hard) if inputs.get("hard") else None,
                        reading=Path(inputs.reading), birds=Path(inputs.birds)),
           {k: Path(snakemake.output[k]) for k in
            ("summary_md", "summary_html", "splits_html", "splits_csv", "pr_curves", "training_curves")},
           log)
