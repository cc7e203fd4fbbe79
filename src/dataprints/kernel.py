"""An IPython extension the book's kernels load (``dataprints.notebooks.KERNEL_ARGS``).

Tables: a value that could not be computed (the spread of a single seed, a group with no
member) is NaN in pandas; the book shows it as "—", in HTML and plain text alike, so a reader
never meets a bare "NaN". The formatters are registered by type name, so pandas is imported only
by notebooks that use it.

Logs: shutting a kernel down first interrupts it (jupyter_client sends SIGINT before the shutdown
request); when that signal lands while the kernel is still answering the last message,
ipykernel logs "KeyboardInterrupt caught in kernel" to the book's log. Nothing is running at
that point, so that one message is dropped here, in the kernel that writes it.
"""

from __future__ import annotations

import logging
from typing import Any

SHUTDOWN_INTERRUPT = "KeyboardInterrupt caught in kernel"
MISSING = "—"  # how a table shows a value that could not be computed


class DropShutdownInterrupt(logging.Filter):
    """Refuses exactly the shutdown-interrupt record; every other kernel log line passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(SHUTDOWN_INTERRUPT)


def _limits() -> dict[str, Any]:
    import pandas as pd

    return {"max_rows": pd.get_option("display.max_rows"),
            "max_cols": pd.get_option("display.max_columns")}


def table_html(frame: Any) -> str:
    """A DataFrame as the notebook's HTML table, missing values as :data:`MISSING`."""
    return frame.to_html(na_rep=MISSING, **_limits())


def table_text(frame: Any, printer: Any, cycle: bool) -> None:
    """A DataFrame or Series as plain text, missing values as :data:`MISSING`."""
    limits = _limits()
    if hasattr(frame, "columns"):
        printer.text(frame.to_string(na_rep=MISSING, **limits))
    else:
        printer.text(frame.to_string(na_rep=MISSING, max_rows=limits["max_rows"]))


def load_ipython_extension(ipython: Any) -> None:
    """Install the log filter and the table formatters (IPython calls this)."""
    logger = logging.getLogger("IPKernelApp")
    if not any(isinstance(f, DropShutdownInterrupt) for f in logger.filters):
        logger.addFilter(DropShutdownInterrupt())
    formatters = ipython.display_formatter.formatters
    # pandas >= 3 reports its classes as ``pandas.DataFrame``, older releases by their module
    for module, name in (("pandas", "DataFrame"), ("pandas.core.frame", "DataFrame"),
                         ("pandas", "Series"), ("pandas.core.series", "Series")):
        if name == "DataFrame":
            formatters["text/html"].for_type_by_name(module, name, table_html)
        formatters["text/plain"].for_type_by_name(module, name, table_text)
