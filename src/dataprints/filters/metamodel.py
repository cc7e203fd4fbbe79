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

from dataprints.filters.metrics import METRICS

TARGETS = ("sharpness", "noisiness", "scale")


@dataclass
class MetaResult:
    """Test R^2 over the repeats, sample counts, and the test predictions (mean over repeats)."""

    target: str
    train_archs: tuple[str, ...]
    test_archs: tuple[str, ...]
    r2_mean: float
    r2_std: float
    n_train: int
    n_test: int
    y_true: np.ndarray
    y_pred: np.ndarray


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
    return MetaResult(target, tuple(train_archs), tuple(test_archs), float(np.mean(scores)),
                      float(np.std(scores)), len(train), len(test), y_test,
                      np.mean(preds, axis=0))
