"""split rule: identities and background photos -> train/val/test, disjoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import split_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    split_stage(
        objects_csv=Path(snakemake.input.objects),  # noqa: F821
        tags_csv=Path(snakemake.input.tags),  # noqa: F821
        split_config=snakemake.params.split,  # noqa: F821
        identities_out=Path(snakemake.output.identities),  # noqa: F821
        backgrounds_out=Path(snakemake.output.backgrounds),  # noqa: F821
        photos_out=Path(snakemake.output.photos),  # noqa: F821
        summary_out=Path(snakemake.output.summary),  # noqa: F821
        log=log,
    )
