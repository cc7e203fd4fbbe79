"""Diagnose your own model: the four chapters' readings of one trained classifier, one report.

``dataprints.diagnose(model, data, out)`` (this package is callable) or
``dataprints.diagnostics.diagnose``; on the command line ``dataprints diagnose``. Heavy modules
load on first use, so the command line's help stays fast.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {"diagnose": "run", "Report": "report", "InputError": "inputs", "load_data": "inputs",
            "load_model": "inputs", "check_compatible": "inputs"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
