# provenance: the resolved config, seeds, package versions, workflow source digest and the sha256
# of every input file -> results/provenance.json (deterministic: no time, no --cores).

import snakemake as _snakemake


rule provenance:
    input:
        labels=labels_dir(),
        identities=identities_input(),
    output:
        "results/provenance.json",
    log:
        "logs/provenance.log",
    conda:
        TF_ENV
    threads: 2
    params:
        config=config,
        snakemake_version=_snakemake.__version__,
    script:
        "../scripts/provenance.py"
