"""Shared fixtures: where the repository and the real sample are, and a Snakemake runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "spatule-sample"


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, check: bool = True,
              timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the workflow as a user would: ``-s Snakefile --directory WORKDIR``, from elsewhere."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir)]
    if configfile is not None:
        command += ["--configfile", str(configfile)]
    command += list(args)
    result = subprocess.run(command, cwd=workdir.parent, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-6000:]}")
    return result


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The real field sample beside the repository, or a skip saying why."""
    if not (SAMPLE / "identities.csv").is_file():
        pytest.skip(f"real sample not present at {SAMPLE}")
    return SAMPLE
