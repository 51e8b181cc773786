"""pretrained rule: download (optional), verify and unpack a published checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.model import Pretrained, pretrained_checkpoint
from spatule.smk import logged_step

with logged_step(snakemake) as log:
    entry = snakemake.params.pretrained
    prefix = pretrained_checkpoint(Pretrained(entry["url"], entry.get("sha256") or None, entry["name"]),
                                   Path(snakemake.output[0]).parent.parent, fetch=bool(entry.get("download", True)))
    log.info("checkpoint ready: %s", prefix)
