# Shared helpers: config validation and input paths, used by the stage files.

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

validate(config, os.path.join(workflow.basedir, "schemas", "config.schema.yaml"))

sys.path.insert(0, workflow.basedir)  # the spatule package, for the checks the schema cannot express
from spatule.config import config_problems  # noqa: E402
from spatule.presets import PRETRAINED_ROOT, preset_of, train_overrides, uses_pretrained  # noqa: E402
from spatule.detection.season import list_season, plan_jobs  # noqa: E402
from spatule.detection.mask import CAMERA_MASK_KEY, as_mask  # noqa: E402
from spatule.problems import SpatuleError  # noqa: E402
from spatule.tfrecords import record_files  # noqa: E402
from spatule.labels.dirs import LabelDirs, dir_problems  # noqa: E402

_config_problems = config_problems(config) + dir_problems(config["labels"]["dir"])
if _config_problems:
    raise WorkflowError("Invalid config:\n" + "\n".join(f"  - {p}" for p in _config_problems))

DATA_ENV = "../envs/spatule.yaml"
TF_ENV = "../envs/tensorflow.yaml"


def labels_dir():
    """The labels folder, or every folder of labels.dir when it lists several (or an {xml, photos} pair), as the
    rules that read them take them (relative paths resolve in the working directory). The scripts read
    labels.dir itself (spatule.labels.dirs.LabelDirs): which folder holds what, and how its files are named."""
    value = config["labels"]["dir"]
    return value if isinstance(value, str) else LabelDirs.of(value).folders()


def labelled_folders():
    """The entries of labels.dir that are folders of photos with their XML (not {xml, photos} pairs), normalised:
    the demo when the demo's photos are one, detect.images' fallback, the labelled photos detect warns about."""
    return LabelDirs.of(config["labels"]["dir"]).photo_folders(paired=False)


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


DEMO_PHOTOS, DEMO_NEW_PHOTOS = "resources/demo/photos", "resources/demo/new"
"""The demo's labelled photos (rule demo_data) and its new, unlabelled ones (rule demo_new_photos)."""


def detect_images():
    """The folder of new photos to search (detect.images); unset: the demo's new photos in the demo
    (demo.new_photos > 0), else the labels folder, the first folder of labels.dir (photos the model was trained
    on: rule detect warns)."""
    images = config.get("detect", {}).get("images")
    if images:
        return images
    demo = DEMO_PHOTOS in labelled_folders() and config.get("demo", {}).get("new_photos", 0) > 0
    if demo:
        return DEMO_NEW_PHOTOS
    if isinstance(labels_dir(), str):
        return labels_dir()
    return (labelled_folders() or LabelDirs.of(config["labels"]["dir"]).photo_folders())[0]


DETECT_JOB_KEYS = ("images", "photos_per_job", "gpus", "threads", "engine")
"""detect.* keys that say where and how the search runs, not what it finds (detect_job and the
evaluations get detect.engine as a parameter of its own; the cache tells the runtimes apart)."""


def search_params():
    """The detect section as the search sees it, for the search_settings rule, whose file every search reads
    (changing how the jobs are cut or where they run searches nothing again), with camera.mask."""
    return with_camera_mask({k: v for k, v in config["detect"].items() if k not in DETECT_JOB_KEYS})


def with_camera_mask(section):
    """A config section as a rule's param, with camera.mask under CAMERA_MASK_KEY when it lists a rectangle
    (checked here, so that a dry run names a rectangle empty at any photo size). An empty mask adds nothing: the
    params of synthesize and search_settings stay as they were before camera.mask existed, and Snakemake redoes
    nothing (a new param would remake every tile and retrain)."""
    try:
        mask = as_mask(config.get("camera", {}).get("mask"))
    except SpatuleError as exc:
        raise WorkflowError(f"Invalid config:\n  - {exc}") from None
    return {**section, CAMERA_MASK_KEY: [list(rect) for rect in mask]} if mask else section


_DETECT_JOBS = {}


def detect_jobs():
    """The detection jobs, name -> files under detect.images (spatule.detection.season.plan_jobs), planned once
    from the folder as it is when the workflow starts (or once the demo has made it); empty while it does
    not exist yet."""
    folder = detect_images()
    if folder not in _DETECT_JOBS:
        if not os.path.isdir(folder):
            return {}
        files = [f.path for f in list_season(Path(folder))]
        _DETECT_JOBS[folder] = plan_jobs(files, int(config["detect"]["photos_per_job"]))
    return _DETECT_JOBS[folder]


def detect_job_tables(wildcards):
    """The tables of every detection job, for the gather; when the folder is one the workflow makes itself
    (the demo's new photos, or its labelled ones), its checkpoint is waited for before the jobs are planned."""
    folder = os.path.normpath(detect_images())
    if not os.path.isdir(folder):
        made_by = {DEMO_NEW_PHOTOS: checkpoints.demo_new_photos, DEMO_PHOTOS: checkpoints.demo_data}
        if folder not in made_by:
            raise WorkflowError(f"detect.images: {folder} is not a folder (give a folder of photos to search)")
        made_by[folder].get()
    return [f"results/detect/jobs/{job}/{table}.csv" for job in detect_jobs() for table in ("detections", "photos")]


def detect_job_input(wildcards):
    """The files one detection job searches."""
    jobs = detect_jobs()
    if wildcards.job not in jobs:
        raise WorkflowError(
            f"detect job {wildcards.job!r} is not in the plan of {detect_images()} "
            f"(jobs: {', '.join(list(jobs)[:5])}...)"
        )
    return {"files": [os.path.join(detect_images(), path) for path in jobs[wildcards.job]]}


def search_models(wildcards=None):
    """The exported models a search may run (detect.engine): the SavedModel, and the TFLite model
    unless detect.engine is saved_model (auto picks between them on the machine the job runs on)."""
    models = {"saved_model": "results/exported/saved_model"}
    if config["detect"]["engine"] != "saved_model":
        models["tflite"] = "results/exported/model.tflite"
    return models


def final_model():
    """The metrics.json of the model that is exported: the second round's when hard_negatives.enabled."""
    if config["hard_negatives"]["enabled"]:
        return "results/model-hard/metrics.json"
    return "results/model/metrics.json"


READER_WEIGHTS, READER_INFO = "results/reader/reader.npz", "results/reader/reader.json"
"""The trained code reader (rule train_reader), which reads the tags in the detect jobs."""
READER_KEYS = ("alphabet", "code_length", "crops", "frame_epochs", "epochs", "real_views", "real_epochs", "seed")
"""read.* keys that change the trained reader (the others change when a reading is accepted, or nothing)."""
FINAL_READER = "results/reader-self" if config["read"]["self_train"] else "results/reader"
"""The reader whose readings detect writes and evaluate_reading measures: the self-trained one
(rule self_train_reader) with read.self_train, else the first."""
DEMO_REGISTRY = "resources/demo/registry.csv"
"""The demo colony's banded birds (rule demo_registry)."""


def glyph_sheet_input():
    """read.glyph_sheet as an input list (empty: the demo's font)."""
    sheet = config["read"].get("glyph_sheet")
    return [sheet] if sheet else []


def registry_path():
    """read.registry; unset, the demo's registry in the demo, else None (readings accepted as read)."""
    registry = config["read"].get("registry")
    if registry:
        return registry
    return DEMO_REGISTRY if DEMO_PHOTOS in labelled_folders() else None


def new_photos_truth():
    """detect.truth (where the tags of detect.images really are), as an input list; unset, the demo's new
    day's truth when detect searches the demo's new photos, else none."""
    truth = config["detect"].get("truth")
    if truth:
        return [truth]
    return ["resources/demo/new_truth.csv"] if os.path.normpath(detect_images()) == DEMO_NEW_PHOTOS else []


def reader_input(wildcards=None):
    """The first reader and the registry, for unpack() in the rules that read with it."""
    inputs = {"weights": READER_WEIGHTS, "info": READER_INFO}
    if registry_path():
        inputs["registry"] = registry_path()
    return inputs


def final_reader_input(wildcards=None):
    """The final reader (:data:`FINAL_READER`), when it accepts a reading (its threshold.json), and the
    registry, for unpack()."""
    inputs = {
        "weights": f"{FINAL_READER}/reader.npz",
        "info": f"{FINAL_READER}/reader.json",
        "acceptance": f"{FINAL_READER}/threshold.json",
    }
    if registry_path():
        inputs["registry"] = registry_path()
    return inputs
