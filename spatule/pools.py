"""Drawing in several processes, where that is safe.

The demo's photos and the reader's rendered crops are drawn in forked processes, each item from its
own seed, so the result is the same whatever the number of processes. A fork copies only the thread
that forks: once TensorFlow has started its thread pools, a lock one of them held is never released in
the child, which then waits for ever. So after TensorFlow is loaded the items are drawn here, in this
process, one after the other (the same items, a little slower).
"""

from __future__ import annotations

import sys
from typing import Callable, Sequence, TypeVar

J = TypeVar("J")
R = TypeVar("R")


def forking_is_safe() -> bool:
    """Whether a fork cannot inherit a lock held by another thread: TensorFlow is not loaded."""
    return "tensorflow" not in sys.modules


def map_in_processes(function: Callable[[J], R], jobs: Sequence[J], workers: int, chunksize: int = 1) -> list[R]:
    """``[function(job) for job in jobs]``, in ``workers`` forked processes when there is more than one job
    and :func:`forking_is_safe`, else here; ``function`` must be a module-level function."""
    if workers > 1 and len(jobs) > 1 and forking_is_safe():
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(function, jobs, chunksize=chunksize)
    return [function(job) for job in jobs]
