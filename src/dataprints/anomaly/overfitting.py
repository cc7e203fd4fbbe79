"""Exp. 1 over seeds: do anomaly-filter counts track overfitting, or only training time?

For each training seed, an overfitting run and its control (weight decay + augmentation) are
scanned at the same epochs. What the scans keep per filter (cluster sizes, CH, activation,
liveness) is cached, so the criteria can be re-evaluated for any λ without scanning again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from dataprints.anomaly.criteria import Criteria, evaluate_criteria
from dataprints.anomaly.runs import (
    RunSpec,
    control_spec,
    load_data,
    model_at,
    pick_epochs,
    scan_subset,
    train_run,
)
from dataprints.anomaly.scan import scan_model
from dataprints.artifacts import cached_tensors
from dataprints.evidence import partial_correlation, sign_test, t_interval
from dataprints.progress import progress as progress_bar


@dataclass(frozen=True)
class ScanSpec:
    """One scan: a run's weights after ``epoch``, ``n_scan`` seeded training samples."""

    run: RunSpec
    epoch: int
    n_scan: int = 1000  # training samples clustered (the paper does not say)
    k_max: int = 10  # GMM cluster counts 2..k_max
    gmm_seed: int = 0


@dataclass
class FilterStats:
    """What the three criteria read from one layer's scan (see ``criteria.evaluate_criteria``)."""

    layer: str
    sizes: torch.Tensor  # (C, Kmax) samples per cluster at the chosen K
    ch: torch.Tensor  # (C,) CH at the chosen K
    activation: torch.Tensor  # (C,) mean |activation|
    live: torch.Tensor  # (C,) bool

    def cluster_sizes(self) -> torch.Tensor:
        return self.sizes


def scan_stats(spec: ScanSpec, data: tuple | None = None) -> list[FilterStats]:
    """Per-layer filter statistics of the scan ``spec`` (cached; trains the run if needed)."""
    def compute() -> dict[str, torch.Tensor]:
        train, val = data if data is not None else load_data(spec.run)
        run = train_run(spec.run, progress=False)
        x_scan, _ = scan_subset(train, spec.n_scan)
        scans = scan_model(model_at(spec.run, run, spec.epoch), x_scan,
                           ks=tuple(range(2, spec.k_max + 1)), seed=spec.gmm_seed)
        out: dict[str, torch.Tensor] = {}
        for i, s in enumerate(scans):
            prefix = f"{i}|{s.layer}|"
            out.update({prefix + "sizes": s.cluster_sizes(), prefix + "ch": s.ch,
                        prefix + "activation": s.activation, prefix + "live": s.live})
        return out

    tensors = cached_tensors(spec, compute)
    layers = sorted({k.rsplit("|", 1)[0] for k in tensors}, key=lambda k: int(k.split("|")[0]))
    return [FilterStats(name.split("|", 1)[1], tensors[f"{name}|sizes"], tensors[f"{name}|ch"],
                        tensors[f"{name}|activation"], tensors[f"{name}|live"])
            for name in layers]


def count(stats: list[FilterStats], crit: Criteria) -> int:
    """Anomaly filters over all layers under ``crit``."""
    return sum(int(evaluate_criteria(s, crit)["anomaly"].sum()) for s in stats)


def criteria_pass_rates(stats: list[FilterStats], crit: Criteria) -> dict[str, float]:
    """Share of live filters passing each criterion: shows when one is vacuous."""
    totals: dict[str, int] = {}
    live = 0
    for s in stats:
        flags = evaluate_criteria(s, crit)
        live += int(s.live.sum())
        for name, flag in flags.items():
            totals[name] = totals.get(name, 0) + int((flag & s.live).sum())
    return {name: n / live if live else math.nan for name, n in totals.items()}


@dataclass
class SeedRun:
    """One training seed: its overfitting run and its control, scanned at the same epochs."""

    seed: int
    epochs: list[int]
    val_loss: list[float]  # at ``epochs``, overfitting run
    val_acc: list[float]
    control_val_loss: list[float]
    control_val_acc: list[float]
    well: int  # best validation accuracy (overfitting run)
    over: int | None  # last later epoch >= 2 points below it
    control_over: int | None  # the same rule applied to the control run
    stats: dict[int, list[FilterStats]] = field(repr=False)
    control_stats: dict[int, list[FilterStats]] = field(repr=False)


def scan_epochs(epochs: int, every: int) -> list[int]:
    """Every ``every``-th epoch up to ``epochs`` (the last always included)."""
    if not 1 <= every <= epochs:
        raise ValueError(f"scan_every must lie in 1..epochs={epochs}, got {every}")
    return sorted({*range(every, epochs + 1, every), epochs})


def run_seed(base: RunSpec, seed: int, every: int, n_scan: int, k_max: int,
             progress: bool = True) -> SeedRun:
    """Train (or load) the seed's two runs and scan both at the same epochs; the well-trained
    and overfitting epochs are scanned too, so they are never interpolated."""
    spec = replace(base, seed=seed)
    ctrl = control_spec(spec)
    data, ctrl_data = load_data(spec), load_data(ctrl)
    run = train_run(spec, progress=False)
    ctrl_run = train_run(ctrl, progress=False)
    well, over = pick_epochs(run.history.val_acc)
    _, ctrl_over = pick_epochs(ctrl_run.history.val_acc)
    epochs = sorted({*scan_epochs(base.epochs, every), well, *([over] if over else [])})
    stats, ctrl_stats = {}, {}
    for e in progress_bar(epochs, enabled=progress, desc=f"scan seed {seed}", unit="epoch"):
        stats[e] = scan_stats(ScanSpec(spec, e, n_scan, k_max), data)
        ctrl_stats[e] = scan_stats(ScanSpec(ctrl, e, n_scan, k_max), ctrl_data)
    h, hc = run.history, ctrl_run.history
    return SeedRun(seed, epochs, [h.val_loss[e - 1] for e in epochs],
                   [h.val_acc[e - 1] for e in epochs], [hc.val_loss[e - 1] for e in epochs],
                   [hc.val_acc[e - 1] for e in epochs], well, over, ctrl_over, stats, ctrl_stats)


def analyse(runs: Sequence[SeedRun], crit: Criteria) -> dict[str, Any]:
    """The chapter's tests of Table 2 / Fig. 4 over seeds, under one set of criteria.

    - ``delta``: per seed, count(overfitting epoch) - count(well-trained epoch), sign test;
    - ``control_delta``: the control run's count difference between the same two epochs;
    - ``excess``: delta - control_delta per seed (what overfitting adds beyond training time);
    - ``partial``: correlation of the count with validation loss over all scanned epochs of the
      overfitting runs, controlling for the epoch with one intercept per seed (Fig. 4's claim).
    """
    seeds = [r for r in runs if r.over is not None]
    delta = [count(r.stats[r.over], crit) - count(r.stats[r.well], crit) for r in seeds]
    ctrl = [count(r.control_stats[r.over], crit) - count(r.control_stats[r.well], crit)
            for r in seeds]
    excess = [d - c for d, c in zip(delta, ctrl, strict=True)]
    counts, losses, epochs, groups = [], [], [], []
    for r in runs:
        for e, loss in zip(r.epochs, r.val_loss, strict=True):
            counts.append(count(r.stats[e], crit))
            losses.append(loss)
            epochs.append(e)
            groups.append(r.seed)
    try:
        partial = partial_correlation(counts, losses, epochs, groups=groups)
    except ValueError:
        partial = (math.nan, math.nan, math.nan)
    out: dict[str, Any] = {
        "seeds_overfitting": [r.seed for r in seeds],
        "seeds_not_overfitting": [r.seed for r in runs if r.over is None],
        "controls_overfitting": [r.seed for r in runs if r.control_over is not None],
        "well": [count(r.stats[r.well], crit) for r in seeds],
        "over": [count(r.stats[r.over], crit) for r in seeds],
        "delta": delta, "control_delta": ctrl, "excess": excess,
        "partial_r": partial[0], "partial_lo": partial[1], "partial_hi": partial[2],
    }
    for name in ("delta", "control_delta", "excess"):  # None where no seed overfits
        out[f"{name}_interval"] = t_interval(out[name]).as_dict() if out[name] else None
        test = sign_test(out[name]) if out[name] else None
        out[f"{name}_sign"] = test and {"positive": test.positive, "negative": test.negative,
                                        "n": test.n, "p": test.p}
    return out


def count_curves(runs: Sequence[SeedRun], crit: Criteria) -> dict[str, np.ndarray]:
    """(seeds, epochs) counts of the overfitting and control runs (same epochs per seed)."""
    common = sorted(set.intersection(*(set(r.epochs) for r in runs)))
    return {"epochs": np.array(common),
            "over": np.array([[count(r.stats[e], crit) for e in common] for r in runs]),
            "control": np.array([[count(r.control_stats[e], crit) for e in common]
                                 for r in runs])}


def with_lambda(crit: Criteria, small_cluster: int) -> Criteria:
    """``crit`` with another λ (the small-cluster size)."""
    return replace(crit, small_cluster=max(1, int(small_cluster)))
