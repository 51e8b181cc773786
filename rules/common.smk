# Shared helpers: config validation and input paths, used by the stage files.

import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

validate(config, os.path.join(workflow.basedir, "schemas", "config.schema.yaml"))

sys.path.insert(0, workflow.basedir)  # the spatule package, for the checks the schema cannot express
from spatule.config import config_problems  # noqa: E402
from spatule.presets import PRETRAINED_ROOT, preset_of, train_overrides, uses_pretrained  # noqa: E402
from spatule.tfrecords import record_files  # noqa: E402

_config_problems = config_problems(config)
if _config_problems:
    raise WorkflowError("Invalid config:\n" + "\n".join(f"  - {p}" for p in _config_problems))

DATA_ENV = "../envs/spatule.yaml"
TF_ENV = "../envs/tensorflow.yaml"


def labels_dir():
    """The labelled photos folder (relative paths resolve in the working directory)."""
    return config["labels"]["dir"]


def identities_input():
    """The optional identities CSV, as an input list (empty when not configured)."""
    path = config["labels"].get("identities")
    return [path] if path else []


SPLITS = ["train", "val", "test"]


def tile_shards():
    """The synthesis shard folders of a split: shard-0 .. shard-(synth.shards - 1)."""
    return [f"shard-{k}" for k in range(int(config["synth"]["shards"]))]


def split_shards(wildcards):
    """The shard folders of one split, for the gather."""
    return expand("results/tiles/{split}/{shard}", split=wildcards.split, shard=tile_shards())


def tfrecord_names(split, prefix=""):
    """The TFRecord shard files of a split (tfrecords.shards per split); ``prefix="hard-"`` names
    the second round's train shards (hard negatives dealt in)."""
    shards = int(config["tfrecords"]["shards"][split])
    return [f"results/tfrecords/{name}" for name in record_files(split, shards, prefix)]


def pretrained_folder():
    """Where the pretrained checkpoint is unpacked, named by pretrained.name (the one place that names it)."""
    return f"{PRETRAINED_ROOT}/{config['pretrained']['name']}"


def pretrained_input():
    """The unpacked pretrained checkpoint when the preset starts from it (init_checkpoint: pretrained,
    the gpu preset's default) or train.init_checkpoint points into it; else nothing."""
    folder = pretrained_folder()
    init = str(config["train"].get("init_checkpoint") or "")
    if uses_pretrained(config["train"]) or init.rstrip("/").startswith(folder):
        return [folder]
    return []


def devices_input():
    """For a preset that needs a GPU: the devices check, which fails in seconds where there is none
    (ancient: a newer or missing check never makes a trained model out of date)."""
    return [ancient("results/model/devices.json")] if preset_of(config["train"]).needs_gpu else []


def train_params():
    """The train section as the experiment sees it: the preset and its overrides, without the job's
    own keys (gpus, threads, runtime_min, mem_mb), so that changing those retrains nothing."""
    return {"preset": config["train"]["preset"], **train_overrides(config["train"])}


def pretrained_param():
    """The pretrained folder for a preset that starts from it (init_checkpoint: pretrained), else ''."""
    return pretrained_folder() if uses_pretrained(config["train"]) else ""


def detect_images():
    """The folder of new photos to search (detect.images), or the labels folder when unset."""
    return config.get("detect", {}).get("images") or labels_dir()


def final_model():
    """The metrics.json of the model that is exported: the second round's when hard_negatives.enabled."""
    if config["hard_negatives"]["enabled"]:
        return "results/model-hard/metrics.json"
    return "results/model/metrics.json"
