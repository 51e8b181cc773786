"""Where training runs: every GPU TensorFlow sees inside the job, or the CPU, never a silent mix-up.

``train.gpus`` is only what the job asks the scheduler for (``resources: gpu``);
SLURM then sets ``CUDA_VISIBLE_DEVICES`` and TensorFlow sees those GPUs. So
what training uses is decided inside the job, from what TensorFlow sees:

* no GPU: the CPU in float32, or, for a preset that needs a GPU (``gpu``), a
  stop with what is missing and how to install it (:func:`no_gpu_message`);
* one GPU: the default (one-device) strategy on ``GPU:0``;
* several: ``MirroredStrategy`` over all of them; the global batch must split
  evenly over them.

Mixed precision and XLA apply on GPUs only, as the Model Garden does them
(float16 with dynamic loss scaling; ``runtime.enable_xla`` compiles the train
step when ``num_gpus > 0``).

Standard library only, apart from :func:`visible_gpus` and :func:`describe`,
which import TensorFlow when called.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any, Optional

from spatule.presets import Preset
from spatule.problems import SpatuleError

GPU_REQUIREMENTS = "requirements-gpu.txt"
"""The requirements file that adds TensorFlow's CUDA wheels (``tensorflow[and-cuda]``)."""

INSTALL_COMMAND = f".venv/bin/pip install -r {GPU_REQUIREMENTS} -c constraints.txt"
"""How to install them into the project's environment (the README's setup makes ``.venv``)."""

CHECK_COMMAND = ".venv/bin/python -m spatule gpu-check"
"""What to run afterwards: what TensorFlow sees, and 20 training steps."""


@dataclasses.dataclass(frozen=True)
class DevicePlan:
    """How a training job uses the machine it landed on.

    ``gpus``: GPUs TensorFlow sees; ``strategy``: the Model Garden's
    ``runtime.distribution_strategy`` (``one_device`` on ``GPU:0`` or the CPU,
    ``mirrored`` over several GPUs); ``replicas``: model copies the global batch
    is split over; ``mixed_precision``: ``float32`` on a CPU, else the preset's;
    ``notes``: what the log should say about choices the user may not expect.
    """

    gpus: int
    strategy: str
    replicas: int
    mixed_precision: str
    enable_xla: bool
    notes: tuple[str, ...] = ()

    @property
    def device(self) -> str:
        """Where the model runs, in words: ``CPU``, ``GPU:0`` or ``2 GPUs``."""
        return "CPU" if self.gpus == 0 else "GPU:0" if self.gpus == 1 else f"{self.gpus} GPUs"

    def as_dict(self) -> dict[str, Any]:
        """The plan as written into ``devices.json`` and the ``gpu-check`` report."""
        return {"device": self.device, "strategy": self.strategy, "replicas": self.replicas,
                "mixed_precision": self.mixed_precision, "enable_xla": self.enable_xla}

    def summary(self) -> str:
        """One log line: device, strategy, replicas, precision, XLA."""
        strategy = {"one_device": "one-device strategy", "mirrored": "MirroredStrategy"}[self.strategy]
        return (f"training on {self.device}: {strategy}, {self.replicas} replica(s), {self.mixed_precision}, "
                f"XLA {'on' if self.enable_xla else 'off'}")


def device_plan(preset: Preset, gpus_seen: int, diagnosis: str = "", preset_name: str = "") -> DevicePlan:
    """The plan for ``preset`` on a machine where TensorFlow sees ``gpus_seen`` GPUs.

    Raises :class:`SpatuleError` when the preset needs a GPU and there is none
    (the message says what is missing, from ``diagnosis``, and how to install
    it), or when ``train.batch_size``/``train.val_batch_size`` do not split
    evenly over the GPUs.
    """
    if gpus_seen < 0:
        raise ValueError(f"gpus_seen must be >= 0 (got {gpus_seen})")
    if gpus_seen == 0:
        if preset.needs_gpu:
            raise SpatuleError(no_gpu_message(preset_name or "this preset", diagnosis))
        notes = ()
        if preset.mixed_precision != "float32":
            notes = (f"train.mixed_precision {preset.mixed_precision} applies on GPUs only: float32 on the CPU",)
        if diagnosis:
            notes += (f"no GPU visible, training on the CPU ({diagnosis})",)
        return DevicePlan(0, "one_device", 1, "float32", False, notes)
    for key in ("batch_size", "val_batch_size"):
        value = getattr(preset, key)
        if value % gpus_seen:
            fit = -(-value // gpus_seen) * gpus_seen
            raise SpatuleError(f"train.{key} {value} does not split evenly over the {gpus_seen} GPUs TensorFlow sees "
                               f"(each replica takes an equal share of the global batch): set train.{key} to a "
                               f"multiple of {gpus_seen}, e.g. {fit}, or ask for fewer GPUs (train.gpus, or "
                               "CUDA_VISIBLE_DEVICES on a server)")
    return DevicePlan(gpus_seen, "mirrored" if gpus_seen > 1 else "one_device", gpus_seen,
                      preset.mixed_precision, preset.enable_xla)


def no_gpu_message(preset_name: str, diagnosis: str) -> str:
    """Why a GPU preset stops on a machine without a visible GPU, and what to do."""
    return (f"train.preset {preset_name} trains on a GPU, and TensorFlow sees no GPU here"
            f"{f' ({diagnosis})' if diagnosis else ''}. On a GPU machine: the NVIDIA driver must be installed "
            f"(nvidia-smi lists the card), then TensorFlow's CUDA libraries: {INSTALL_COMMAND}; check with "
            f"{CHECK_COMMAND}. On a cluster, the train job must get a GPU (train.gpus: 1, or the profile's "
            "set-resources). To train on this machine's CPU instead: train.preset: demo.")


def diagnose(tf_build: Optional[dict[str, Any]] = None, environ: Optional[dict[str, str]] = None,
             driver: Optional[bool] = None, cuda_wheels: Optional[bool] = None) -> str:
    """What stands between TensorFlow and a GPU here, in a few words (empty when nothing is found).

    Each argument defaults to this machine: TensorFlow's build info, the
    environment, an NVIDIA driver (``/proc/driver/nvidia`` or ``nvidia-smi``),
    the pip CUDA wheels (``nvidia.cudnn``, installed by ``tensorflow[and-cuda]``).
    """
    environ = dict(os.environ) if environ is None else environ
    driver = has_nvidia_driver() if driver is None else driver
    cuda_wheels = _has_module("nvidia.cudnn") if cuda_wheels is None else cuda_wheels
    found = []
    if not driver:
        found.append("no NVIDIA driver: neither /proc/driver/nvidia nor nvidia-smi")
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1", "NoDevFiles"):
        found.append(f"CUDA_VISIBLE_DEVICES={visible!r} hides every GPU")
    if tf_build is not None and not tf_build.get("is_cuda_build"):
        found.append("this TensorFlow was built without CUDA")
    elif not cuda_wheels:
        cuda = f" {tf_build.get('cuda_version')}/cuDNN {tf_build.get('cudnn_version')}" if tf_build else ""
        found.append(f"TensorFlow's CUDA{cuda} libraries are not installed (the tensorflow[and-cuda] wheels)")
    return "; ".join(found)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def has_nvidia_driver() -> bool:
    """Whether this machine has an NVIDIA kernel driver (what any CUDA program needs first)."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def visible_gpus() -> int:
    """How many GPUs TensorFlow sees (honours ``CUDA_VISIBLE_DEVICES``)."""
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def tf_build_info() -> dict[str, Any]:
    """TensorFlow's build: CUDA and cuDNN versions it was built for, ``is_cuda_build``."""
    import tensorflow as tf

    return dict(tf.sysconfig.get_build_info())


def describe() -> dict[str, Any]:
    """What TensorFlow sees: its version and CUDA/cuDNN build, each GPU (name, compute
    capability), the driver, ``CUDA_VISIBLE_DEVICES`` and, without GPUs, why (:func:`diagnose`)."""
    import tensorflow as tf

    build = tf_build_info()
    gpus = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        capability = details.get("compute_capability")
        gpus.append({"device": device.name, "name": details.get("device_name", ""),
                     "compute_capability": ".".join(str(v) for v in capability) if capability else ""})
    return {"tensorflow": tf.__version__, "cuda_build": bool(build.get("is_cuda_build")),
            "cuda_version": build.get("cuda_version", ""), "cudnn_version": build.get("cudnn_version", ""),
            "gpus": gpus, "nvidia_driver": has_nvidia_driver(),
            "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "problem": "" if gpus else diagnose(build)}


def gpu_memory_mib(gpus: int) -> list[dict[str, float]]:
    """Current and peak memory TensorFlow holds on each of the first ``gpus`` GPUs (MiB)."""
    import tensorflow as tf

    out = []
    for k in range(gpus):
        info = tf.config.experimental.get_memory_info(f"GPU:{k}")
        out.append({"current_mib": info["current"] / 2 ** 20, "peak_mib": info["peak"] / 2 ** 20})
    return out
