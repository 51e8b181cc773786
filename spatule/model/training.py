"""Training: thread pools, precision policy and distribution strategy, resume from the last checkpoint,
metrics as JSON."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

import numpy as np

from spatule import devices
from spatule.events import read_scalars
from spatule.model.checkpoints import resolved_init_checkpoint
from spatule.problems import SpatuleError
from spatule.progress import Progress

if TYPE_CHECKING:  # pragma: no cover - typing only; TensorFlow is imported lazily
    from official.core.config_definitions import ExperimentConfig

LOG = logging.getLogger("spatule.model")


def configure_tensorflow(threads: Optional[int] = None, log: Optional[logging.Logger] = None) -> None:
    """GPU memory growth on every GPU, and TF thread pools sized to ``threads`` (Snakemake's ``threads``).

    Both only take effect before TensorFlow initialises its runtime; later calls
    (a second training in one process) log and go on with the existing settings.
    """
    import tensorflow as tf

    log = log or LOG
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as exc:  # runtime already initialised
            log.debug("memory growth on %s not changed: %s", gpu.name, exc)
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(max(1, min(int(threads), 2)))
        except RuntimeError as exc:
            log.debug("thread pools not changed: %s", exc)


def prepare_runtime(config: "ExperimentConfig", log: Optional[logging.Logger] = None):
    """What :func:`run_training` sets before building the task: the Keras mixed-precision policy of
    ``config.runtime`` (``mixed_float16`` for float16) and the distribution strategy."""
    from official.modeling import performance

    performance.set_mixed_precision_policy(config.runtime.mixed_precision_dtype or "float32")
    return build_strategy(config, log)


def build_strategy(config: "ExperimentConfig", log: Optional[logging.Logger] = None):
    """The distribution strategy of ``config.runtime`` (see :func:`runtime_section`).

    A config planned for more GPUs than TensorFlow sees here (made on another
    machine) stops with the count of both instead of failing inside TensorFlow.
    """
    from official.common import distribute_utils

    runtime = config.runtime
    seen = devices.visible_gpus()
    if runtime.num_gpus > seen:
        raise SpatuleError(f"train: the experiment was planned for {runtime.num_gpus} GPU(s) but TensorFlow sees "
                           f"{seen} here (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
    strategy = distribute_utils.get_distribution_strategy(
        distribution_strategy=runtime.distribution_strategy, num_gpus=runtime.num_gpus,
        all_reduce_alg=runtime.all_reduce_alg, tpu_address=runtime.tpu)
    (log or LOG).info("distribution strategy %s over %d replica(s) %s, %d GPU(s) visible", type(strategy).__name__,
                      strategy.num_replicas_in_sync, list(strategy.extended.worker_devices), seen)
    return strategy


def latest_step(model_dir: str | Path) -> int:
    """Global step of the newest checkpoint in ``model_dir`` (0 when there is none)."""
    import tensorflow as tf

    latest = tf.train.latest_checkpoint(str(model_dir))
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _plain(logs: Mapping[str, Any]) -> dict[str, float]:
    """Scalar entries of an Orbit output dict as floats (nested and non-scalar ones dropped)."""
    out = {}
    for key, value in (logs or {}).items():
        array = np.asarray(value)
        if array.size == 1 and np.issubdtype(array.dtype, np.number):
            out[key] = float(array.reshape(()))
    return out


def run_training(config: "ExperimentConfig", model_dir: str | Path, log: Optional[logging.Logger] = None,
          threads: Optional[int] = None, metrics_json: str | Path | None = None) -> dict[str, Any]:
    """Train (and evaluate) ``config`` into ``model_dir``; resume from its last checkpoint.

    Re-running after an interruption, or with a larger ``trainer.train_steps``,
    continues from the newest ``ckpt-N`` in ``model_dir`` (Orbit restores it
    before training; ``task.init_checkpoint`` is only read when ``model_dir``
    has no checkpoint). Writes ``params.yaml``, checkpoints, TensorBoard events
    (``train/``, ``validation/``) and ``metrics.json`` (or ``metrics_json``)
    into ``model_dir``; the timings go to ``timing.json`` beside it, so that
    ``metrics.json`` is the same from the same config.

    Returns ``{"start_step", "final_step", "loss" (last training loop's total
    loss), "val": {AP, AP50, ..., validation losses}, "AP", "AP50",
    "steps_per_second" (training loops after the first, whose time includes
    graph building; None if there was only one), "seconds", "checkpoint"}``.
    """
    from official.core import task_factory, train_lib

    log = log or LOG
    model_dir = Path(model_dir)
    config, start_step = _start(config, model_dir, threads, log)
    strategy = prepare_runtime(config, log)
    train_outputs: list[dict[str, float]] = []
    eval_outputs: list[dict[str, float]] = []
    # Nothing left to train (a re-run after completion): evaluate the last checkpoint.
    mode = "train_and_eval" if start_step < config.trainer.train_steps else "eval"
    log.info("%s: %s at %d px to step %d in %s (starting at step %d)", mode, config.task.model.backbone.type,
             config.task.model.input_size[0], config.trainer.train_steps, model_dir, start_step)
    began = time.time()
    with strategy.scope():
        task = task_factory.get_task(config.task, logging_dir=str(model_dir))
    progress = Progress(max(0, config.trainer.train_steps - start_step), "training steps", log, every_s=0)

    def after_loop(output: Any) -> None:
        train_outputs.append(_plain(output))
        progress.step(config.trainer.steps_per_loop)

    train_lib.run_experiment(
        distribution_strategy=strategy, task=task, mode=mode, params=config, model_dir=str(model_dir),
        train_actions=[after_loop], eval_actions=[lambda output: eval_outputs.append(_plain(output))])
    seconds = time.time() - began
    metrics = _metrics(model_dir, start_step, train_outputs, eval_outputs, began, seconds)
    _write_metrics(Path(metrics_json) if metrics_json else model_dir / "metrics.json", metrics, strategy, config)
    log.info("trained steps %s -> %d in %.0f s: loss %s, val AP %s AP50 %s, %s steps/s", metrics["start_step"],
             metrics["final_step"], seconds, metrics["loss"], metrics["AP"], metrics["AP50"],
             metrics["steps_per_second"])
    return metrics


def _start(config: "ExperimentConfig", model_dir: Path, threads: Optional[int],
           log: logging.Logger) -> tuple["ExperimentConfig", int]:
    """Before :func:`run_training` builds anything: TensorFlow's threads (and determinism), the step to resume
    from, the config with its initial checkpoint resolved and written as ``params.yaml``, the random seed."""
    import tf_keras
    from official.core import train_utils

    model_dir.mkdir(parents=True, exist_ok=True)
    configure_tensorflow(threads, log)
    if config.task.train_data.deterministic:
        _enable_determinism(log)
    start_step = latest_step(model_dir)
    config = resolved_init_checkpoint(config, start_step, log)
    train_utils.serialize_config(config, str(model_dir))
    if config.task.train_data.seed is not None:
        tf_keras.utils.set_random_seed(int(config.task.train_data.seed) + start_step)
    return config, start_step


TIMING_KEYS = ("steps_per_second", "seconds")
"""Keys of :func:`run_training`'s result written to ``timing.json`` beside ``metrics.json``, not into it."""


def _enable_determinism(log: logging.Logger) -> None:
    """Same weights from the same config on the same machine (TF picks deterministic kernels)."""
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    log.info("TensorFlow op determinism on")


def _write_metrics(path: Path, metrics: Mapping[str, Any], strategy: Any, config: "ExperimentConfig") -> None:
    """Write :func:`run_training`'s result to ``path`` (``metrics.json``), its timings and where it ran to
    ``timing.json`` beside it."""
    # what the run learnt (the same bytes from the same config) apart from how long it took
    timing = {k: metrics[k] for k in TIMING_KEYS}
    # where it ran: what the job got is what it used (on another machine this differs, not the weights' recipe)
    timing["runtime"] = {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync,
                         "devices": [d.rsplit("/", 1)[-1] for d in strategy.extended.worker_devices],
                         "mixed_precision": config.runtime.mixed_precision_dtype,
                         "enable_xla": bool(config.runtime.enable_xla)}
    path.write_text(json.dumps({k: v for k, v in metrics.items() if k not in TIMING_KEYS}, indent=2,
                               sort_keys=True) + "\n")
    (path.parent / "timing.json").write_text(json.dumps(timing, indent=2, sort_keys=True) + "\n")


def _metrics(model_dir: Path, start_step: int, train_outputs: list[dict[str, float]],
             eval_outputs: list[dict[str, float]], began: float, seconds: float) -> dict[str, Any]:
    """The summary returned by :func:`run_training`."""
    import tensorflow as tf

    rates = [(step, wall, value) for step, wall, value in read_scalars(model_dir / "train").get("steps_per_second", [])
             if wall >= began - 1 and step > start_step]
    # The first loop of a run includes tracing the graph; report the rest.
    steady = [value for _, _, value in sorted(rates)[1:]]
    last_train = train_outputs[-1] if train_outputs else {}
    last_eval = eval_outputs[-1] if eval_outputs else {}
    loss = last_train.get("total_loss")
    if loss is None:  # evaluation only: the last training loss logged in an earlier run
        logged = sorted(read_scalars(model_dir / "train").get("total_loss", []))
        loss = logged[-1][2] if logged else None
    return {
        "start_step": start_step,
        "final_step": latest_step(model_dir),
        "first_logged_step": min((step for step, _, _ in rates), default=None),
        "loss": loss,
        "train": last_train,
        "val": last_eval,
        "AP": last_eval.get("AP"),
        "AP50": last_eval.get("AP50"),
        "steps_per_second": float(np.median(steady)) if steady else None,
        "seconds": round(seconds, 1),
        "checkpoint": tf.train.latest_checkpoint(str(model_dir)),
    }
