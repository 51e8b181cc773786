"""Interruption: the workflow killed mid-synthesis (SIGKILL) and mid-training (SIGTERM), then rerun with
``--rerun-incomplete``, ends with the same tiles, XML, COCO JSON and TFRecords as an uninterrupted run, and
training resumes from its last checkpoint instead of starting over.

The smoke training preset with 20 steps and a checkpoint every 2 leaves a moment to kill in. The whole
process group of Snakemake is signalled, as a terminal's Ctrl-C, a scheduler or a lost node would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
import yaml

from conftest import REPO, snakemake

pytestmark = pytest.mark.workflow
SPLITS = ("train", "val", "test")
TILE_TARGETS = [f"results/tiles/{split}.json" for split in SPLITS]
STEPS = 20  # checkpoints every 2 steps: a wide window to be killed in on any machine
CONFIG = {
    "synth": {"tiles": {"train": 48, "val": 4, "test": 4}, "shards": 2},
    "train": {"preset": "smoke", "steps": STEPS, "checkpoint_interval": 2, "eval_interval": STEPS},
}


def kinds_hashes(workdir: Path) -> dict[str, str]:
    """sha256 of every tile, tile XML, COCO JSON and TFRecord (what training reads)."""
    results = workdir / "results"
    files = [*results.glob("tiles/*/shard-*/*.jpg"), *results.glob("tiles/*/shard-*/*.xml"),
             *results.glob("tiles/*.json"), *results.glob("tfrecords/*.tfrecord")]
    return {p.relative_to(results).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def checkpoint_step(model_dir: Path) -> int:
    """Step of the checkpoint TensorFlow's ``checkpoint`` state file points at (0: none yet)."""
    state = model_dir / "checkpoint"
    if not state.is_file():
        return 0
    found = re.search(r'^model_checkpoint_path: "ckpt-(\d+)"', state.read_text(), flags=re.M)
    return int(found.group(1)) if found else 0


def run_until(workdir: Path, config: Path, target: str, moment: Callable[[], bool], sig: signal.Signals,
              *extra: str, timeout: float = 300) -> subprocess.Popen:
    """Start the workflow in its own process group; when ``moment()`` holds, send ``sig`` to the whole group."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--configfile", str(config), "--cores", "2", *extra, target]
    process = subprocess.Popen(command, cwd=workdir.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while not moment():
            if process.poll() is not None:
                raise AssertionError("the workflow ended before the moment to kill it:\n"
                                     f"{process.stdout.read()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the moment to kill never came")
            time.sleep(0.02)
        os.killpg(process.pid, sig)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo campaign, made once, and a config pointing at it."""
    from spatule.demo import DemoParams, generate_campaign

    root = tmp_path_factory.mktemp("resume")
    embedded = yaml.safe_load((REPO / "config.yaml").read_text())
    demo = {**embedded["demo"], "photos": 60, "identities": 26}  # the embedded demo, smaller: enough to tile
    generate_campaign(root / "demo/photos", root / "demo/identities.csv", DemoParams(**demo), workers=2)
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump({**CONFIG, "labels": {"dir": str(root / "demo/photos"),
                                                           "identities": str(root / "demo/identities.csv")}}))
    return root, config


def test_killed_mid_synthesis_and_mid_training_a_rerun_gives_the_same_data_and_resumes(campaign):
    root, config = campaign
    reference = root / "reference"
    snakemake(reference, "--cores", "2", *TILE_TARGETS, "results/tfrecords/label_map.pbtxt", configfile=config)
    expected = kinds_hashes(reference)
    assert len([n for n in expected if n.endswith(".jpg")]) == 56 and any(n.endswith(".tfrecord") for n in expected)

    workdir = root / "interrupted"
    target = "results/model/metrics.json"
    tiles = workdir / "results/tiles"

    # 1. SIGKILL while a train shard folder is being filled (24 tiles each: caught after at most 6, the kill
    #    lands long before the last): Snakemake can neither clean up nor unlock.
    caught: list[Path] = []

    def filling() -> bool:
        caught[:] = [s for s in tiles.glob("train/shard-*") if 1 <= len(list(s.glob("*.jpg"))) <= 6]
        return bool(caught)

    run_until(workdir, config, target, filling, signal.SIGKILL)
    assert not (caught[0] / "tiles.csv").exists(), "killed after the shard was done, not during"
    assert not (workdir / "results/tfrecords").exists()
    snakemake(workdir, "--unlock", configfile=config)

    # 2. SIGTERM once training has written a checkpoint past step 0.
    model = workdir / "results/model"
    run_until(workdir, config, target, lambda: checkpoint_step(model) > 0, signal.SIGTERM, "--rerun-incomplete")
    killed_at = checkpoint_step(model)
    assert 0 < killed_at < STEPS and not (model / "metrics.json").exists()

    # 3. Rerun to the end.
    result = snakemake(workdir, "--cores", "2", "--rerun-incomplete", target, configfile=config)
    assert "rule synthesize" not in result.stdout + result.stderr  # the data was finished in the second run
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["start_step"] == killed_at and metrics["final_step"] == STEPS
    assert metrics["first_logged_step"] is not None and metrics["first_logged_step"] > killed_at
    assert kinds_hashes(workdir) == expected
    for log in (workdir / "logs").rglob("*.log"):
        assert "Traceback" not in log.read_text(errors="replace"), log
