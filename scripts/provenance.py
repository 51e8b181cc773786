"""provenance rule: config, seeds, versions and input checksums -> results/provenance.json."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821  (the spatule package)

from spatule.provenance import provenance, write_provenance  # noqa: E402
from spatule.smk import logged_step  # noqa: E402

with logged_step(snakemake) as log:  # noqa: F821
    record = provenance(
        config=snakemake.params.config,  # noqa: F821
        labels_dir=Path(snakemake.input.labels),  # noqa: F821
        identities=Path(snakemake.input.identities[0]) if snakemake.input.identities else None,  # noqa: F821
        workflow_dir=Path(snakemake.scriptdir).parent,  # noqa: F821
        snakemake_version=snakemake.params.snakemake_version,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
    write_provenance(Path(snakemake.output[0]), record)  # noqa: F821
    log.info("%d input file(s) hashed, %d not read; seeds %s; workflow source %s", len(record["inputs"]["files"]),
             len(record["inputs"]["not_read"]), record["seeds"], record["workflow"]["source_sha256"][:16])
