"""dataprints: what a trained image classifier gives away about its training data."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``dataprints.diagnose`` loads the diagnostics (and torch) only when first used."""
    if name == "diagnose":
        from dataprints.diagnostics.run import diagnose

        return diagnose
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
