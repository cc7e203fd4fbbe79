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

TARGETS = ("sharpness", "noisiness", "scale")


@dataclass
class MetaResult:
    """Test R^2 of each repeat (forest seed), sample counts, and the test predictions (mean
    over repeats)."""

    target: str
    train_archs: tuple[str, ...]
    test_archs: tuple[str, ...]
    scores: tuple[float, ...]
    n_train: int
    n_test: int
    y_true: np.ndarray
    y_pred: np.ndarray

    @property
    def r2_mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def r2_std(self) -> float:
        return float(np.std(self.scores))


def _matrix(rows: Sequence[dict[str, Any]], target: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[r[m] for m in METRICS] for r in rows], dtype=float)
    y = np.array([r[target] for r in rows], dtype=float)
    return x, y


def cross_architecture_r2(rows: Sequence[dict[str, Any]], target: str,
                          train_archs: Sequence[str], test_archs: Sequence[str],
                          trees: int = 30, repeats: int = 5, seed: int = 0) -> MetaResult:
    """Fit on rows of ``train_archs``, test on rows of ``test_archs`` (rows with a NaN target,
    e.g. object scale of a non-shapes set, are left out)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")
    if set(train_archs) & set(test_archs):
        raise ValueError(f"train and test architectures overlap: "
                         f"{sorted(set(train_archs) & set(test_archs))}")
    usable = [r for r in rows if np.isfinite(r[target])]
    train = [r for r in usable if r["arch"] in train_archs]
    test = [r for r in usable if r["arch"] in test_archs]
    if len(train) < 2 or len(test) < 2:
        found = sorted({r["arch"] for r in usable})
        raise ValueError(f"need at least 2 train and 2 test samples with a {target} label; "
                         f"got {len(train)} / {len(test)} (architectures with labels: {found})")
    x_train, y_train = _matrix(train, target)
    x_test, y_test = _matrix(test, target)
    scores, preds = [], []
    for k in range(repeats):
        forest = RandomForestRegressor(n_estimators=trees, random_state=seed + k)
        forest.fit(x_train, y_train)
        pred = forest.predict(x_test)
        scores.append(r2_score(y_test, pred))
        preds.append(pred)
    return MetaResult(target, tuple(train_archs), tuple(test_archs),
                      tuple(float(v) for v in scores), len(train), len(test), y_test,
                      np.mean(preds, axis=0))


def table1_experiments(archs: Sequence[str], r50: str, r18: str, held_out: str,
                       with_scale: bool) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    """Table 1's cells: (split, target) -> (train architectures, test architectures).

    "R50 → R18" trains on ``r50`` and tests on ``r18`` (sharpness, noisiness and, with the
    shapes sets, object scale); "others → ConvNeXt" trains on every architecture but
    ``held_out`` and tests on it (sharpness and noisiness, as in the paper).
    """
    missing = [a for a in (r50, r18, held_out) if a not in archs]
    if missing:
        raise ValueError(f"architectures {missing} are not among the trained ones {list(archs)}")
    others = [a for a in archs if a != held_out]
    cells: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for target in ("sharpness", "noisiness", *(("scale",) if with_scale else ())):
        cells["R50 → R18", target] = ([r50], [r18])
    for target in ("sharpness", "noisiness"):
        cells["others → ConvNeXt", target] = (others, [held_out])
    return cells


def table1(rows: Sequence[dict[str, Any]], cells: dict[tuple[str, str], tuple[list[str],
           list[str]]], trees: int = 30, repeats: int = 5,
           seed: int = 0) -> dict[tuple[str, str], MetaResult]:
    """Fit and score the meta-model of every cell of :func:`table1_experiments`."""
    return {(split, target): cross_architecture_r2(rows, target, train, test, trees=trees,
                                                   repeats=repeats, seed=seed)
            for (split, target), (train, test) in cells.items()}


def table1_summary(fits: dict[tuple[str, str], MetaResult]) -> dict[str, dict[str, Any]]:
    """Table 1 as plain data for the results file: per cell, R² per forest seed and its mean
    and s.d., sample counts, train and test architectures."""
    return {f"{split}, {target}": {"r2": list(f.scores), "r2_mean": f.r2_mean,
                                   "r2_std": f.r2_std, "n_train": f.n_train,
                                   "n_test": f.n_test, "train": list(f.train_archs),
                                   "test": list(f.test_archs)}
            for (split, target), f in fits.items()}


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
