"""An IPython extension the book's kernels load (``dataprints.notebooks.kernel_args``).

Shutting a kernel down first interrupts it (jupyter_client sends SIGINT before the shutdown
request); when that signal lands while the kernel is still answering the last message,
ipykernel logs "KeyboardInterrupt caught in kernel" to the book's log. Nothing is running at
that point, so that one message is dropped here, in the kernel that writes it.
"""

from __future__ import annotations

import logging
from typing import Any

SHUTDOWN_INTERRUPT = "KeyboardInterrupt caught in kernel"


class DropShutdownInterrupt(logging.Filter):
    """Refuses exactly the shutdown-interrupt record; every other kernel log line passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(SHUTDOWN_INTERRUPT)


def load_ipython_extension(ipython: Any) -> None:
    """Install the filter on the kernel application's logger (IPython calls this)."""
    logger = logging.getLogger("IPKernelApp")
    if not any(isinstance(f, DropShutdownInterrupt) for f in logger.filters):
        logger.addFilter(DropShutdownInterrupt())
