# Shared helpers: config validation and input paths, used by the stage files.

from snakemake.utils import validate


validate(config, os.path.join(workflow.basedir, "schemas", "config.schema.yaml"))

DATA_ENV = "../envs/spatule.yaml"


def labels_dir():
    """The labelled photos folder (relative paths resolve in the working directory)."""
    return config["labels"]["dir"]


def identities_input():
    """The optional identities CSV, as an input list (empty when not configured)."""
    path = config["labels"].get("identities")
    return [path] if path else []
