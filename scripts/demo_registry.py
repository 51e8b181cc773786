"""demo_registry rule: the demo colony's banded birds, photographed or not."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages import demo_registry

with logged_step(snakemake) as log:
    demo_registry(Path(snakemake.input.identities), int(snakemake.params.banded), int(snakemake.params.seed),
                  Path(snakemake.output.registry), log)
