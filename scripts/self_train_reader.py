"""self_train_reader rule: the reader goes on learning from the tags detect read with confidence."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # the spatule package

from spatule.smk import logged_step
from spatule.stages.reading import LabelledTags, ReaderFiles, ReaderSettings, self_train_reader

with logged_step(snakemake) as log:
    inputs = snakemake.input
    tables = [Path(p) for p in inputs.jobs]
    jobs = [(d, d.parent.parent.parent / "crops" / d.parent.name) for d in tables[0::2]]
    self_train_reader(ReaderSettings.of(snakemake.params.read),
                      ReaderFiles(Path(inputs.weights).parent,
                                  Path(inputs.registry) if "registry" in inputs.keys() else None,
                                  Path(inputs.sheet[0]) if inputs.sheet else None),
                      jobs, Path(snakemake.output.weights).parent,
                      LabelledTags(Path(inputs.tags), Path(inputs.crops), Path(inputs.identities)),
                      snakemake.threads, log)
