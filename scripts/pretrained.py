"""pretrained rule: download (optional), verify and unpack a published checkpoint."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.model import Pretrained, pretrained_checkpoint  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    entry = snakemake.params.pretrained  # noqa: F821
    prefix = pretrained_checkpoint(Pretrained(entry["url"], entry.get("sha256") or None, entry["name"]),
                                   Path(snakemake.output[0]).parent.parent, fetch=bool(entry.get("download", True)))  # noqa: F821
    log.info("checkpoint ready: %s", prefix)
