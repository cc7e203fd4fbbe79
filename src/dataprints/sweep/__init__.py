"""Paper-scale sweeps: a chapter's training runs dispatched here, to Slurm (submitit) or to Ray.

A run is described by the frozen spec that already keys the cache (e.g.
:class:`~dataprints.anomaly.runs.RunSpec`); :func:`execute` trains it through the function its
notebook calls, so the notebook later finds the artifact in the shared cache and never needs the
cluster. :func:`sweep_specs` lists the specs a notebook trains at a profile; :func:`run_sweep`
(``dataprints sweep``) runs those whose artifact is missing. Heavy modules (torch, submitit,
Ray) load on first use, so the command line's help stays fast.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {"execute": "run", "missing": "run", "run_specs": "run", "run_sweep": "run",
            "Resources": "run", "SweepReport": "run", "SweepError": "specs",
            "sweep_specs": "specs", "SWEEPS": "specs"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
