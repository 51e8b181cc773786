"""The benchmarks are run by hand, not by the tests: at least every one must still start."""

import subprocess
import sys

import pytest

from conftest import REPO


SCRIPTS = sorted(p.relative_to(REPO / "bench").as_posix() for p in (REPO / "bench").rglob("*.py")
                 if ".venv" not in p.parts)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_starts_and_explains_itself(script: str):
    """The peer bench's scripts too (bench/peer/): their --help needs nothing but the standard library."""
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout

