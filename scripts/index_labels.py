"""index_labels rule: photos + VOC XML -> objects.csv and problems.csv."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import index_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    labels = snakemake.params.labels  # noqa: F821
    index_stage(
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        identities=Path(snakemake.input.identities[0]) if snakemake.input.identities else None,  # noqa: F821
        labels_config=labels,
        objects_csv=Path(snakemake.output.objects),  # noqa: F821
        problems_csv=Path(snakemake.output.problems),  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        log=log,
        synth_config=snakemake.params.synth,  # noqa: F821
    )
