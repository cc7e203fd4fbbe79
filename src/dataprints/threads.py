"""How many CPU threads the heavy batched kernels use: ``DATAPRINTS_THREADS``, default 1.

The batched kernels (the GMM scan) are thousands of small tensor ops. On a shared 2-core machine
whose other core was busy, two torch threads made the anomaly scan 40x slower than one (threads
wait for each other at every op), while on a quiet machine two were at best 1.7x faster. One
thread is the default that never collapses; set ``DATAPRINTS_THREADS`` to use more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

THREADS_ENV = "DATAPRINTS_THREADS"


def kernel_threads() -> int:
    """Threads for the batched kernels: ``DATAPRINTS_THREADS`` (an integer >= 1), else 1."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return 1
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{THREADS_ENV} must be an integer >= 1, got {raw!r}")
    return value


@contextmanager
def limited_threads(n: int | None = None) -> Iterator[int]:
    """Run the block with ``n`` torch threads (default :func:`kernel_threads`), then restore."""
    n = kernel_threads() if n is None else n
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(before)
