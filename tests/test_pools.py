"""Drawing in forked processes only where a fork cannot hang (spatule.pools)."""

import os
import sys

import pytest

from spatule.pools import forking_is_safe, map_in_processes


def _pid_of(_: int) -> int:
    return os.getpid()


def test_items_are_drawn_in_other_processes_before_tensorflow_is_loaded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    assert forking_is_safe()
    assert os.getpid() not in map_in_processes(_pid_of, list(range(8)), workers=2)


def test_once_tensorflow_is_loaded_they_are_drawn_here_and_come_out_the_same(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "tensorflow", sys)  # any module: what counts is that one is loaded
    assert not forking_is_safe()
    assert map_in_processes(_pid_of, list(range(8)), workers=2) == [os.getpid()] * 8
    assert map_in_processes(abs, [-3, 2, -1], workers=2) == [3, 2, 1]
