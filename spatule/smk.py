"""Glue between the ``snakemake`` object of a script and the package.

Scripts stay thin: ``with logged_step(snakemake) as log:`` sets up logging to the
rule's log file and to stderr, and turns a :class:`SpatuleError` into one clear
message and a failed job instead of a traceback.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from spatule.problems import SpatuleError


@contextmanager
def logged_step(smk: Any) -> Iterator[logging.Logger]:
    """Log to ``smk.log[0]`` (and stderr) for the duration of a rule's script; the last line says whether
    the step loaded TensorFlow (``rule NAME done: TensorFlow not loaded``), which the tests check for
    the rules of the data environment, that has none."""
    logger = logging.getLogger(f"spatule.{smk.rule}")
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if smk.log:
        handlers.append(logging.FileHandler(smk.log[0], mode="w", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    try:
        yield logger
    except SpatuleError as exc:
        logger.error("%s", exc)
        logging.shutdown()
        raise SystemExit(1) from None
    logger.info("rule %s done: TensorFlow %s", smk.rule, "loaded" if "tensorflow" in sys.modules else "not loaded")
    logging.shutdown()
