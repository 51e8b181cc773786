"""demo_data rule: generate the embedded demo field campaign."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.demo import DemoParams, generate_campaign
from spatule.smk import logged_step

with logged_step(snakemake) as log:
    # the demo camera burns in the bar that camera.info_bar_px says it does
    params = DemoParams(**snakemake.params.demo, info_bar_px=int(snakemake.params.info_bar_px))
    summary = generate_campaign(Path(snakemake.output.photos), Path(snakemake.output.identities), params)
    log.info("demo campaign (%s): %s", params, summary)
