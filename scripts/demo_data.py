"""demo_data rule: generate the embedded demo field campaign."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.demo import DemoParams, generate_campaign  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    # the demo camera burns in the bar that camera.info_bar_px says it does
    params = DemoParams(**snakemake.params.demo, info_bar_px=int(snakemake.params.info_bar_px))  # noqa: F821
    summary = generate_campaign(Path(snakemake.output.photos), Path(snakemake.output.identities), params)  # noqa: F821
    log.info("demo campaign (%s): %s", params, summary)
