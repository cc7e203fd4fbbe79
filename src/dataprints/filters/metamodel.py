"""The meta-model: predict a dataset property from the 8 filter metrics (Jorgenson et al. §5).

A RandomForestRegressor with 30 trees is fitted on the samples of some architectures and
scored (R^2) on the samples of others, five times with different forest seeds; the paper
reports the mean and its spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score

from dataprints.evidence import spearman
from dataprints.filters.metrics import METRICS

TARGETS = ("sharpness", "noisiness", "scale", "log10_sharpness", "log10_noisiness")
# The decoupled sweeps: each property is scored over the variants that change it alone (the
# noise variants are also the sharpest sets, so pooling them lets one signal serve both targets)
SWEEPS: dict[str, tuple[str, ...]] = {
    "log10_sharpness": ("original", "dilate", "resize", "blur"),
    "log10_noisiness": ("original", "noise"),
    "scale": ("scale",),
}
POOLED = ("original", "dilate", "resize", "blur", "noise")  # raw targets: the paper's pool
PROTOCOLS = ("architecture", "leave-one-variant-out")


@dataclass
class MetaResult:
    """Test R^2 of each repeat (forest seed), sample counts, and the test predictions (mean
    over repeats) with the dataset (base, variant) of each test sample."""

    target: str
    train_archs: tuple[str, ...]
    test_archs: tuple[str, ...]
    scores: tuple[float, ...]
    n_train: int
    n_test: int
    y_true: np.ndarray
    y_pred: np.ndarray
    groups: tuple[tuple[str, str], ...] = ()

    @property
    def r2_mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def r2_std(self) -> float:
        return float(np.std(self.scores))

    def group_means(self) -> dict[tuple[str, str], tuple[float, float]]:
        """(true, mean predicted) value per test dataset: what Fig. 4's ordering reads."""
        out: dict[tuple[str, str], tuple[float, float]] = {}
        for g in dict.fromkeys(self.groups):
            sel = np.array([x == g for x in self.groups])
            out[g] = (float(self.y_true[sel].mean()), float(self.y_pred[sel].mean()))
        return out


def _matrix(rows: Sequence[dict[str, Any]], target: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[r[m] for m in METRICS] for r in rows], dtype=float)
    y = np.array([r[target] for r in rows], dtype=float)
    return x, y


def _group(row: dict[str, Any]) -> tuple[str, str]:
    return (str(row.get("base", "")), str(row.get("variant", "")))


def cross_architecture_r2(rows: Sequence[dict[str, Any]], target: str,
                          train_archs: Sequence[str], test_archs: Sequence[str],
                          trees: int = 30, repeats: int = 5, seed: int = 0,
                          leave_out: bool = False) -> MetaResult:
    """Fit on rows of ``train_archs``, test on rows of ``test_archs``.

    Rows outside the target's sweep (:data:`SWEEPS`; the raw targets pool every variant, as
    the paper) or with a NaN target are left out. With ``leave_out`` every test dataset is
    predicted by a forest that never saw it on any architecture (leave-one-variant-out), so
    the score is that of a property value the meta-model has not met.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")
    if set(train_archs) & set(test_archs):
        raise ValueError(f"train and test architectures overlap: "
                         f"{sorted(set(train_archs) & set(test_archs))}")
    kinds = SWEEPS.get(target, POOLED)
    usable = [r for r in rows if np.isfinite(r[target]) and r.get("kind", kinds[0]) in kinds]
    train = [r for r in usable if r["arch"] in train_archs]
    test = [r for r in usable if r["arch"] in test_archs]
    if len(train) < 2 or len(test) < 2:
        found = sorted({r["arch"] for r in usable})
        raise ValueError(f"need at least 2 train and 2 test samples with a {target} label; "
                         f"got {len(train)} / {len(test)} (architectures with labels: {found})")
    x_train, y_train = _matrix(train, target)
    x_test, y_test = _matrix(test, target)
    test_groups = [_group(r) for r in test]
    train_groups = np.array([_group(r) for r in train], dtype=object)
    # (fit mask over train rows, test rows it predicts): one fit, or one per held-out dataset
    folds = [(np.ones(len(train), bool), np.ones(len(test), bool))]
    if leave_out:
        distinct = list(dict.fromkeys(test_groups))
        if len(distinct) < 2:
            raise ValueError(f"leave-one-variant-out needs at least 2 test datasets, got "
                             f"{distinct}")
        folds = [(np.array([g != d for g in map(tuple, train_groups)]),
                  np.array([g == d for g in test_groups])) for d in distinct]
    scores, preds = [], []
    for k in range(repeats):
        pred = np.empty(len(test))
        for fit_on, predict_on in folds:
            if fit_on.sum() < 2:
                raise ValueError("a leave-one-variant-out fold has fewer than 2 training rows")
            forest = RandomForestRegressor(n_estimators=trees, random_state=seed + k)
            forest.fit(x_train[fit_on], y_train[fit_on])
            pred[predict_on] = forest.predict(x_test[predict_on])
        scores.append(r2_score(y_test, pred))
        preds.append(pred)
    return MetaResult(target, tuple(train_archs), tuple(test_archs),
                      tuple(float(v) for v in scores), len(train), len(test), y_test,
                      np.mean(preds, axis=0), tuple(test_groups))


def table1_experiments(archs: Sequence[str], r50: str, r18: str, held_out: str,
                       with_scale: bool,
                       targets: Sequence[str] = ("log10_sharpness", "log10_noisiness"),
                       ) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """Table 1's cells: (split, target) -> (train architectures, test architectures).

    "R50 → R18" trains on ``r50`` and tests on ``r18`` (each target and, with the shapes
    sets, object scale); "others → ConvNeXt" trains on every architecture but ``held_out``
    and tests on it (the targets, as in the paper).
    """
    missing = [a for a in (r50, r18, held_out) if a not in archs]
    if missing:
        raise ValueError(f"architectures {missing} are not among the trained ones {list(archs)}")
    others = [a for a in archs if a != held_out]
    cells: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for target in (*targets, *(("scale",) if with_scale else ())):
        cells["R50 → R18", target] = ([r50], [r18])
    for target in targets:
        cells["others → ConvNeXt", target] = (others, [held_out])
    return cells


def table1(rows: Sequence[dict[str, Any]], cells: dict[tuple[str, str], tuple[list[str],
           list[str]]], trees: int = 30, repeats: int = 5, seed: int = 0,
           leave_out: bool = False) -> dict[tuple[str, str], MetaResult]:
    """Fit and score the meta-model of every cell of :func:`table1_experiments`."""
    return {(split, target): cross_architecture_r2(rows, target, train, test, trees=trees,
                                                   repeats=repeats, seed=seed,
                                                   leave_out=leave_out)
            for (split, target), (train, test) in cells.items()}


Key = tuple[str, str, str, str]  # (setting, protocol, split, target)


def table1_by_trial(rows: Sequence[dict[str, Any]],
                    cells: dict[tuple[str, str], tuple[list[str], list[str]]],
                    settings: Sequence[str], trials: Sequence[int], trees: int = 30,
                    repeats: int = 5, seed: int = 0, protocols: Sequence[str] = PROTOCOLS,
                    ) -> dict[Key, list[MetaResult]]:
    """Table 1 for every setting and both protocols, one fit per training trial (a trial's
    networks are scored only with a meta-model fitted on the same trial's networks), so that
    the trials are the replicates of each R²; ``protocols`` among :data:`PROTOCOLS`."""
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown:
        raise ValueError(f"unknown protocols {unknown}; choose from {PROTOCOLS}")
    out: dict[Key, list[MetaResult]] = {}
    for setting in settings:
        for trial in trials:
            part = [r for r in rows if r["setting"] == setting and r["trial"] == trial]
            for protocol in protocols:
                fits = table1(part, cells, trees, repeats, seed,
                              leave_out=protocol == PROTOCOLS[1])
                for (split, target), fit in fits.items():
                    out.setdefault((setting, protocol, split, target), []).append(fit)
    return out


def table1_summary(fits: dict[Key, list[MetaResult]]) -> dict[str, dict[str, Any]]:
    """Table 1 as plain data for the results file: per cell, the R² of each trial (mean over
    forest seeds) and each trial's forest-seed s.d., sample counts, architectures."""
    return {" | ".join(key): {"r2": [f.r2_mean for f in per], "r2_forest_sd":
                              [f.r2_std for f in per], "n_train": [f.n_train for f in per],
                              "n_test": [f.n_test for f in per],
                              "train": list(per[0].train_archs), "test": list(per[0].test_archs)}
            for key, per in fits.items()}


def training_table(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The meta-model's training table as columns (metric vectors, targets and what each row
    is), small enough to commit: the forest is refitted from it, never unpickled."""
    columns = ("setting", "arch", "base", "variant", "kind", "trial", "epoch", *METRICS,
               "sharpness", "noisiness", "log10_sharpness", "log10_noisiness", "scale")
    return {c: [r[c] for r in rows] for c in columns}


def label_spearman(rows: Sequence[dict[str, Any]]) -> float:
    """Spearman correlation of the sharpness and noisiness labels over the distinct datasets
    (one row per base and variant; the shapes sets have no such labels). Near 1 means one
    signal can serve both targets."""
    seen: dict[tuple[str, str], tuple[float, float]] = {}
    for r in rows:
        if r["base"] != "shapes":
            seen.setdefault((r["base"], r["variant"]), (r["sharpness"], r["noisiness"]))
    if len(seen) < 3:
        raise ValueError(f"need at least 3 labelled datasets for a rank correlation, got "
                         f"{len(seen)}")
    sharp, noise = zip(*seen.values(), strict=True)
    return spearman(sharp, noise)
