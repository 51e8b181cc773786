"""extract_tags rule: objects.csv + photos -> tag crops with context and tags.csv."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import extract_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    extract_stage(
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        objects_csv=Path(snakemake.input.objects),  # noqa: F821
        crops_dir=Path(snakemake.output.crops),  # noqa: F821
        tags_csv=Path(snakemake.output.tags),  # noqa: F821
        margin_px=int(snakemake.params.margin_px),  # noqa: F821
        margin_fraction=float(snakemake.params.margin_fraction),  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        log=log,
    )
