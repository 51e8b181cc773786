"""Shared fixtures: where the repository and the real sample are, and a Snakemake runner."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "data" / "spatule-sample"


def shared_input(path: Path) -> Path:
    """A file or folder of ``../shared``: a skip when there is no ``../shared`` beside the repository at
    all, a failure when there is one without it (a test must not pass by skipping where its input is due)."""
    if not SHARED.is_dir():
        pytest.skip(f"no {SHARED} beside the repository (the real sample and font sheet live there)")
    if not path.exists():
        pytest.fail(f"{SHARED} is here but not {path}")
    return path


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
    """The real field sample beside the repository (a skip without ``../shared``, a failure without the sample)."""
    shared_input(SAMPLE / "identities.csv")
    return SAMPLE


# --- the suite on two workers, and its fast tier ------------------------------------------------------------------

HEAVY_FIRST = ("test_real_reading", "test_profiles", "test_evaluate", "test_model", "test_resume", "test_workflow",
               "test_devices", "test_reading", "test_guide", "test_corpus")
"""Modules by how long they take (docs/development.md), the longest first: with ``-n 2`` (and
``--no-loadscope-reorder``, which keeps this order) the two workers start on the long ones, the real-tag
reader and the SLURM run on one, the smoke workflow on the other, and the short tests fill in around them."""

SLOW_MODULES = frozenset({"test_model", "test_real_reading", "test_resume", "test_devices"})
"""Modules that train or search with TensorFlow in most of their tests: ``slow`` as a whole."""


def _module(item: pytest.Item) -> str:
    return item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""


def _ours(fixture: object) -> bool:
    """Whether a fixture is one of these tests' own (not pytest's, e.g. the session's ``tmp_path_factory`` behind
    every ``tmp_path``): only those are worth keeping a module's tests on one worker for."""
    module = getattr(getattr(fixture, "func", None), "__module__", "") or ""
    return module == "conftest" or module.rsplit(".", 1)[-1].startswith("test_")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``slow`` what runs Snakemake, needs the real sample or trains (``pytest -m "not slow"`` is the fast
    tier); keep the tests that share a module-scoped fixture on one xdist worker (``--dist loadgroup``: the
    fixture is built once), and put the longest modules first."""
    for item in items:
        module = _module(item)
        if module in SLOW_MODULES or item.get_closest_marker("workflow") or item.get_closest_marker("sample"):
            item.add_marker(pytest.mark.slow)
        info = getattr(item, "_fixtureinfo", None)
        shared = [name for name, defs in (info.name2fixturedefs.items() if info else ())
                  if defs and defs[-1].scope in ("module", "session") and name != "sample_dir"
                  and _ours(defs[-1])]
        if shared:
            item.add_marker(pytest.mark.xdist_group(module))
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(_module(item), len(rank)))
