"""Drawing in forked processes only where a fork cannot hang (spatule.pools)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spatule.pools import forking_is_safe, map_in_processes

REPO = Path(__file__).resolve().parents[1]


def _pid_of(_: int) -> int:
    return os.getpid()


def test_items_are_drawn_in_other_processes_before_tensorflow_is_loaded():
    # in a fresh interpreter: this test process may hold TensorFlow's threads, and a fork here could hang
    code = ("import os; from spatule.pools import forking_is_safe, map_in_processes; "
            "from tests.test_pools import _pid_of; assert forking_is_safe(); "
            "pids = map_in_processes(_pid_of, list(range(8)), workers=2); "
            "assert os.getpid() not in pids and len(pids) == 8, pids")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_once_tensorflow_is_loaded_they_are_drawn_here_and_come_out_the_same(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "tensorflow", sys)  # any module: what counts is that one is loaded
    assert not forking_is_safe()
    assert map_in_processes(_pid_of, list(range(8)), workers=2) == [os.getpid()] * 8
    assert map_in_processes(abs, [-3, 2, -1], workers=2) == [3, 2, 1]
