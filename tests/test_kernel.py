"""The book's kernel extension: missing table values read "—", and the shutdown log line goes."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from IPython.core.interactiveshell import InteractiveShell

from dataprints import kernel


def test_tables_show_missing_values_as_a_dash():
    shell = InteractiveShell.instance()
    kernel.load_ipython_extension(shell)
    frame = pd.DataFrame({"mean": [0.5, 0.25], "sd": [np.nan, 0.1]})
    data, _ = shell.display_formatter.format(frame)
    for mime in ("text/html", "text/plain"):
        assert "NaN" not in data[mime] and kernel.MISSING in data[mime] and "0.25" in data[mime]
    text, _ = shell.display_formatter.format(pd.Series([1.0, np.nan]))
    assert "NaN" not in text["text/plain"]


def test_only_the_shutdown_interrupt_is_dropped():
    keep = kernel.DropShutdownInterrupt()
    record = logging.LogRecord("IPKernelApp", logging.WARNING, "", 0, "%s", ("other",), None)
    assert keep.filter(record)
    record.args = (kernel.SHUTDOWN_INTERRUPT + " ...",)
    assert not keep.filter(record)
