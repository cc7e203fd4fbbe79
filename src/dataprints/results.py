"""A notebook's headline numbers and the paper claims they test, saved as one JSON file.

The scorecard page of the book is generated from these files, never typed by hand. A notebook:

    res = Results.for_notebook("recovered/contrast_bias", globals())  # or params={...}
    res.record("test_acc_base", 0.71)
    res.claim(Claim(id="mehmanchi.contrast.acc", paper="Mehmanchi et al.", where="§5.3.2",
                    statement="test accuracy of the contrast-biased model", paper_value=0.691,
                    tolerance=0.05), ours=[0.70, 0.68, 0.71], varies="training seed")
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

import numpy as np
import torch

import dataprints
from dataprints.atomic import atomic_write, write_json
from dataprints.evidence import t_interval
from dataprints.paths import PROFILE_ENV, RESULTS_ENV, repo_root
from dataprints.provenance import fingerprint

KINDS = ("value", "holds", "sanity")
# value: a number compared with the paper's within a tolerance; holds: a statement true or false
# of a run; sanity: true by construction or a check of our own code, never a reproduction
VERDICTS = ("reproduced", "inconclusive", "differs", "single run", "not applicable", "not run")
SANITY = ("sanity ok", "sanity failed")
HOLDS_REPRODUCED = 0.8  # a holds claim is reproduced when true in at least this share of seeds
HOLDS_DIFFERS = 0.2  # ... and differs when true in at most this share
RULE = (
    "A value claim over n ≥ 2 replicates is *reproduced* when the 95 % t-interval of our mean "
    "lies inside the paper's value ± the claim's tolerance, *differs* when it lies entirely "
    "outside, and is *inconclusive* otherwise. A holds claim over n ≥ 2 replicates is "
    f"*reproduced* when it holds in at least {HOLDS_REPRODUCED:.0%} of them (3 of 3, 4 of 5), "
    f"*differs* when it holds in at most {HOLDS_DIFFERS:.0%} (0 of 3, 1 of 5), and is "
    "*inconclusive* in between. One replicate is a *single run*: shown, never counted. "
    "*Sanity* checks (true by construction, or tests of our own code) are listed apart. "
    "*Not applicable*: the claim's premise is absent in our runs; *not run*: data or hardware "
    "missing. Tolerances are part of each claim, set before the run.")


@dataclass(frozen=True)
class Claim:
    """One statement from a paper that a notebook tests (see :data:`RULE`).

    ``kind="value"``: the paper reports ``paper_value``, compared within ``tolerance``
    (absolute). ``kind="holds"``: an ordering or qualitative statement, true or false per run.
    ``kind="sanity"``: a check that cannot test the paper (true by construction, or of our own
    implementation). ``central`` marks the claims a chapter's verdict box shows.
    """

    id: str  # unique, dotted: "<paper>.<experiment>.<what>"
    paper: str  # short citation, e.g. "Mehmanchi et al."
    where: str  # table / figure / section in the paper
    statement: str  # what the paper says, in one sentence
    kind: str = "value"
    paper_value: float | None = None
    tolerance: float | None = None
    central: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "value" and (self.paper_value is None or self.tolerance is None):
            raise ValueError(f"claim {self.id}: a value claim needs paper_value and tolerance")

    def verdict(self, ours: Any) -> str:
        """The verdict of :data:`RULE` for ``ours``: None (not run), one value (a single
        run) or a list with one value per replicate."""
        return judge(self, ours)["verdict"]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def judge(claim: Claim, ours: Any) -> dict[str, Any]:
    """Verdict and summary (n, interval or share of seeds) of ``ours`` under :data:`RULE`."""
    if _missing(ours) or (isinstance(ours, list | tuple) and not ours):
        return {"verdict": "not run", "n": 0}
    values = list(ours) if isinstance(ours, list | tuple) else [ours]
    if any(_missing(v) for v in values):
        raise ValueError(f"claim {claim.id}: a replicate has no value ({values}); pass None "
                         f"for the whole claim when it could not run")
    n = len(values)
    if claim.kind in ("holds", "sanity"):
        if not all(isinstance(v, bool | np.bool_) for v in values):
            raise ValueError(f"claim {claim.id}: a {claim.kind} claim takes True/False per "
                             f"replicate, got {values}")
        k = sum(bool(v) for v in values)
        summary: dict[str, Any] = {"n": n, "holds_in": k}
        if claim.kind == "sanity":
            return {**summary, "verdict": SANITY[0] if k == n else SANITY[1]}
        if n == 1:
            return {**summary, "verdict": "single run", "agrees": bool(values[0])}
        share = k / n
        verdict = ("reproduced" if share >= HOLDS_REPRODUCED else
                   "differs" if share <= HOLDS_DIFFERS else "inconclusive")
        return {**summary, "verdict": verdict}
    assert claim.paper_value is not None and claim.tolerance is not None
    low, high = claim.paper_value - claim.tolerance, claim.paper_value + claim.tolerance
    interval = t_interval([float(v) for v in values])
    summary = {"n": n, "interval": interval.as_dict()}
    if n == 1:
        return {**summary, "verdict": "single run", "agrees": low <= interval.mean <= high}
    if low <= interval.lo and interval.hi <= high:
        verdict = "reproduced"
    elif interval.hi < low or interval.lo > high:
        verdict = "differs"
    else:
        verdict = "inconclusive"
    return {**summary, "verdict": verdict}


@dataclass
class Results:
    """Collects one notebook run's numbers and claims; :meth:`save` writes them atomically."""

    notebook: str
    params: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

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
        self.values[name] = plain(value)
        return value

    def claim(self, claim: Claim, ours: Any, note: str = "", varies: str = "") -> str:
        """Judge ``claim`` on ``ours`` (None: not run; a value: a single run; a list: one value
        per replicate, ``varies`` naming what differs between them, e.g. "training seed").
        ``note`` explains a 'not run' or qualifies the numbers. Returns the verdict."""
        if any(c["id"] == claim.id for c in self.claims):
            raise ValueError(f"claim {claim.id!r} recorded twice in {self.notebook}")
        if isinstance(ours, list | tuple) and len(ours) > 1 and not varies:
            raise ValueError(f"claim {claim.id}: say what varies across the {len(ours)} "
                             f"replicates (varies=...)")
        judged = judge(claim, ours)
        self.claims.append({**asdict(claim), "ours": plain(ours), "varies": varies,
                            "note": note, **judged})
        return judged["verdict"]

    def not_applicable(self, claim: Claim, why: str) -> str:
        """Record that ``claim``'s premise is absent in our runs (``why`` says which)."""
        if any(c["id"] == claim.id for c in self.claims):
            raise ValueError(f"claim {claim.id!r} recorded twice in {self.notebook}")
        self.claims.append({**asdict(claim), "ours": None, "varies": "", "note": why, "n": 0,
                            "verdict": "not applicable"})
        return "not applicable"

    def claims_table(self) -> Any:
        """The recorded claims as a pandas table for a notebook to display (no NaN cells)."""
        import pandas as pd

        rows = [{"id": c["id"], "kind": c["kind"], "ours": show_ours(c), "n": c["n"],
                 "verdict": c["verdict"], "note": c["note"]} for c in self.claims]
        return pd.DataFrame(rows, columns=["id", "kind", "ours", "n", "verdict", "note"])

    def figure(self, fig: Any, name: str) -> Path:
        """Save ``fig`` as a PNG beside the results JSON (committed with reference/paper
        results, so the pages can show them without rerunning)."""
        path = self.path().with_name(f"{self.path().stem}.{name}.png")
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110,
                                                   bbox_inches="tight"))
        if path.name not in self.figures:
            self.figures.append(path.name)
        return path

    def path(self) -> Path:
        folder = os.environ.get(RESULTS_ENV)
        base = Path(folder) if folder else repo_root() / "results" / profile()
        return base / f"{self.notebook}.json"

    def save(self) -> Path:
        """Write the JSON with provenance (profile, device, date, git sha, versions, hashes of
        the notebook and of the package code it uses). Non-finite numbers are written as null,
        and the path of each with its value ("inf", "-inf", "nan") is listed under
        ``nonfinite``, so the file is standard JSON."""
        nonfinite: dict[str, str] = {}
        body = {"notebook": self.notebook, "profile": profile(), "params": self.params,
                "values": self.values, "claims": self.claims, "figures": self.figures}
        body = json_safe(body, nonfinite)
        notebook = repo_root() / "notebooks" / f"{self.notebook}.py"
        return write_json(self.path(), {**body, "nonfinite": nonfinite,
                                        "provenance": provenance(notebook)})


def show_ours(claim: Mapping[str, Any]) -> str:
    """Our side of a recorded claim in words: value ± interval, k of n, or a dash."""
    if claim["verdict"] in ("not run", "not applicable"):
        return "—"
    if claim["kind"] in ("holds", "sanity"):
        n, k = claim["n"], claim["holds_in"]
        return ("holds" if k else "does not hold") if n == 1 else f"holds in {k} of {n}"
    interval = claim["interval"]
    if claim["n"] == 1:
        return f"{interval['mean']:.4g}"
    return (f"{interval['mean']:.4g} ± {interval['sd']:.2g} "
            f"[{interval['lo']:.4g}, {interval['hi']:.4g}]")


def profile() -> str:
    return os.environ.get(PROFILE_ENV, "quick")


def provenance(notebook: Path | None = None) -> dict[str, Any]:
    """Where and when a result was obtained; with ``notebook``, also the hashes that tell
    whether a later tree still produces it (:mod:`dataprints.provenance`)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo_root(),
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    device = (torch.cuda.get_device_name(0) if torch.cuda.is_available()
              else f"cpu ({os.cpu_count()} cores, {platform.machine()})")
    hashes = fingerprint(notebook) if notebook is not None and notebook.is_file() else {}
    return {
        **hashes,
        "threads": torch.get_num_threads(),
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
    folder = Path(folder)
    for path in sorted(folder.glob("**/*.json")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # a run's private staging folder, moved into place only when complete
        try:
            out.append(json.loads(path.read_text()))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}); delete it and rerun its "
                             f"notebook") from exc
    return out


def _finite_json(value: Any, where: str, found: dict[str, str]) -> Any:
    """``value`` with every non-finite float replaced by None, noting where in ``found``."""
    if isinstance(value, float) and not math.isfinite(value):
        found[where.lstrip(".")] = str(value)
        return None
    if isinstance(value, dict):
        return {k: _finite_json(v, f"{where}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_json(v, f"{where}[{i}]", found) for i, v in enumerate(value)]
    return value


def json_safe(value: Any, nonfinite: dict[str, str]) -> Any:
    """``value`` as standard JSON values: tensors and numpy scalars become plain numbers, and
    every non-finite float becomes None with its path and value noted in ``nonfinite``."""
    return _finite_json(plain(value), "", nonfinite)


def plain(value: Any) -> Any:
    """Tensors and numpy scalars become plain Python numbers/lists for JSON."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
