"""export rule: newest checkpoint of the final model -> SavedModel (uint8 image input)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.pipeline import export_stage  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    export_stage(
        model_dir=Path(snakemake.input.metrics).parent,  # noqa: F821  (results/model or results/model-hard)
        saved_model=Path(snakemake.output.saved_model),  # noqa: F821
        log=log,
    )
