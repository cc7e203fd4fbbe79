"""A notebook's headline numbers and the paper claims they test, saved as one JSON file.

The scorecard page of the book is generated from these files, never typed by hand. A notebook:

    res = Results.for_notebook("recovered/contrast_bias", globals())  # or params={...}
    res.record("test_acc_base", 0.71)
    res.claim(Claim(id="mehmanchi.contrast.acc", paper="Mehmanchi et al.", where="§5.3.2",
                    statement="test accuracy of the contrast-biased model", paper_value=0.691,
                    tolerance=0.05), ours=0.70)
    res.save()

The CLI sets ``DATAPRINTS_RESULTS_DIR`` and ``DATAPRINTS_PROFILE``; run by hand, files go to
``results/<profile>/`` in the checkout.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

import dataprints
from dataprints.atomic import write_json
from dataprints.paths import PROFILE_ENV, RESULTS_ENV, repo_root

KINDS = ("value", "holds")  # a number compared within a tolerance; a statement true or false
VERDICTS = ("reproduced", "differs", "not run")


@dataclass(frozen=True)
class Claim:
    """One statement from a paper that a notebook tests.

    ``kind="value"``: the paper reports ``paper_value``; ours reproduces it when within
    ``tolerance`` (absolute). ``kind="holds"``: an ordering or qualitative statement; ours is
    True or False.
    """

    id: str  # unique, dotted: "<paper>.<experiment>.<what>"
    paper: str  # short citation, e.g. "Mehmanchi et al."
    where: str  # table / figure / section in the paper
    statement: str  # what the paper says, in one sentence
    kind: str = "value"
    paper_value: float | None = None
    tolerance: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "value" and (self.paper_value is None or self.tolerance is None):
            raise ValueError(f"claim {self.id}: a value claim needs paper_value and tolerance")

    def verdict(self, ours: float | bool | None) -> str:
        """'reproduced', 'differs' or 'not run' (``ours`` is None when it could not be run)."""
        if ours is None or (isinstance(ours, float) and math.isnan(ours)):
            return "not run"
        if self.kind == "holds":
            return "reproduced" if bool(ours) else "differs"
        assert self.paper_value is not None and self.tolerance is not None
        return "reproduced" if abs(float(ours) - self.paper_value) <= self.tolerance else "differs"


@dataclass
class Results:
    """Collects one notebook run's numbers and claims; :meth:`save` writes them atomically."""

    notebook: str
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def for_notebook(cls, notebook: str, namespace: Mapping[str, Any]) -> Results:
        """Results of ``notebooks/<notebook>.py`` whose ``params`` are the current values of
        every name in its parameters cell, read from ``namespace`` (pass ``globals()``), so
        the recorded parameters can be neither forgotten nor misspelled."""
        from dataprints.notebooks import parameters

        names = parameters(repo_root() / "notebooks" / f"{notebook}.py")
        missing = [name for name in names if name not in namespace]
        if missing:
            raise ValueError(f"{notebook}: parameters {', '.join(missing)} are not defined in "
                             f"the namespace given; pass the notebook's globals()")
        return cls(notebook, params={name: namespace[name] for name in names})

    def record(self, name: str, value: Any) -> Any:
        """Keep a headline number (or small table as a dict/list); returns ``value``."""
        self.values[name] = _plain(value)
        return value

    def claim(self, claim: Claim, ours: float | bool | None, note: str = "") -> str:
        """Test ``claim`` with our value; returns the verdict. ``note`` explains a 'not run'."""
        if any(c["id"] == claim.id for c in self.claims):
            raise ValueError(f"claim {claim.id!r} recorded twice in {self.notebook}")
        verdict = claim.verdict(ours)
        self.claims.append({**asdict(claim), "ours": _plain(ours), "verdict": verdict,
                            "note": note})
        return verdict

    def path(self) -> Path:
        folder = os.environ.get(RESULTS_ENV)
        base = Path(folder) if folder else repo_root() / "results" / profile()
        return base / f"{self.notebook}.json"

    def save(self) -> Path:
        """Write the JSON with provenance (profile, device, date, git sha, versions)."""
        return write_json(self.path(), {
            "notebook": self.notebook,
            "profile": profile(),
            "params": _plain(self.params),
            "values": self.values,
            "claims": self.claims,
            "provenance": provenance(),
        })


def profile() -> str:
    return os.environ.get(PROFILE_ENV, "quick")


def provenance() -> dict[str, str]:
    """Where and when a result was obtained."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo_root(),
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else f"cpu ({os.cpu_count()} cores, {platform.machine()})")
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git_sha": sha or "unknown",
        "device": device,
        "torch": torch.__version__,
        "dataprints": dataprints.__version__,
        "python": platform.python_version(),
    }


def load_results(folder: Path) -> list[dict[str, Any]]:
    """Every results JSON under ``folder`` (sorted by notebook), skipping none silently."""
    out = []
    for path in sorted(Path(folder).glob("**/*.json")):
        try:
            out.append(json.loads(path.read_text()))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); delete it and rerun its "
                             f"notebook") from exc
    return out


def _plain(value: Any) -> Any:
    """Tensors and numpy scalars become plain Python numbers/lists for JSON."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
