"""report rule: PR and training curves, split table and summary under results/report/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.report import report_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    report_stage(
        evaluations={"synthetic": Path(snakemake.input.synthetic), "real": Path(snakemake.input.real)},  # noqa: F821
        split_summary=Path(snakemake.input.split_summary),  # noqa: F821
        tiles_json={Path(p).stem: Path(p) for p in snakemake.input.tiles},  # noqa: F821
        model_dir=Path(snakemake.input.training).parent,  # noqa: F821  (results/model)
        detect_photos=Path(snakemake.input.detect),  # noqa: F821
        out={k: Path(snakemake.output[k]) for k in  # noqa: F821
             ("summary_md", "summary_html", "splits_html", "splits_csv", "pr_curves", "training_curves")},
        log=log,
        hard_negatives=Path(snakemake.input.hard) if snakemake.input.get("hard") else None,  # noqa: F821
    )
