"""provenance rule: config, seeds, versions and input checksums -> results/provenance.json."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.provenance import provenance, write_provenance
from spatule.smk import logged_step

with logged_step(snakemake) as log:
    record = provenance(
        config=snakemake.params.config,
        labels_dir=Path(snakemake.input.labels),
        identities=Path(snakemake.input.identities[0]) if snakemake.input.identities else None,
        workflow_dir=Path(snakemake.scriptdir).parent,
        snakemake_version=snakemake.params.snakemake_version,
        threads=snakemake.threads,
    )
    write_provenance(Path(snakemake.output[0]), record)
    log.info("%d input file(s) hashed, %d not read; seeds %s; workflow source %s", len(record["inputs"]["files"]),
             len(record["inputs"]["not_read"]), record["seeds"], record["workflow"]["source_sha256"][:16])
