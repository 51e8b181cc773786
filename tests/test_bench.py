"""The benchmarks are run by hand, not by the tests: at least every one must still start."""

import subprocess
import sys

import pytest

from conftest import REPO


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "bench").glob("*.py")))
def test_every_benchmark_starts_and_explains_itself(script: str):
    done = subprocess.run([sys.executable, str(REPO / "bench" / script), "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout

