"""Small-sample statistics behind every verdict: intervals over seeds, accuracy intervals, sign
tests, rank and partial correlations.

A claim in this book is judged over replicates (training, data-subset or analysis seeds), never on
one run; these are the few standard tools the chapters need, each with the n it was computed from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` replicates with sample s.d. and a two-sided t-interval for the mean."""

    mean: float
    sd: float
    lo: float
    hi: float
    n: int
    level: float = 0.95

    def __str__(self) -> str:
        if self.n < 2:
            return f"{self.mean:.4g} (n=1)"
        return (f"{self.mean:.4g} ± {self.sd:.2g} ({self.level:.0%} CI {self.lo:.4g}…"
                f"{self.hi:.4g}, n={self.n})")

    def as_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "sd": self.sd, "lo": self.lo, "hi": self.hi, "n": self.n,
                "level": self.level}


def _finite(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray([float(v) for v in values], dtype=float)
    if arr.size == 0:
        raise ValueError("no values: an interval needs at least one replicate")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"non-finite values among the replicates: {arr.tolist()}")
    return arr


def t_interval(values: Sequence[float], level: float = 0.95) -> Interval:
    """mean ± t(1-(1-level)/2, n-1)·s/√n; with one value the interval is the point itself."""
    arr = _finite(values)
    n = arr.size
    mean = float(arr.mean())
    if n == 1:
        return Interval(mean, math.nan, mean, mean, 1, level)
    sd = float(arr.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, sd, mean - half, mean + half, n, level)


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes of ``n`` (an accuracy on ``n`` test images)."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class SignTest:
    """One-sided sign test that paired differences are positive (ties dropped)."""

    positive: int
    negative: int
    n: int  # non-zero differences
    p: float  # P(at least `positive` of n | no effect)

    def __str__(self) -> str:
        return f"{self.positive} of {self.n} positive (one-sided sign test p = {self.p:.3g})"


def sign_test(diffs: Sequence[float]) -> SignTest:
    """Are the per-seed differences ``diffs`` mostly positive? Zeros have no sign: dropped."""
    arr = _finite(diffs)
    pos, neg = int((arr > 0).sum()), int((arr < 0).sum())
    n = pos + neg
    p = float(stats.binomtest(pos, n, 0.5, alternative="greater").pvalue) if n else 1.0
    return SignTest(pos, neg, n, p)


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (NaN when either side is constant)."""
    xa, ya = _finite(x), _finite(y)
    if xa.size != ya.size or xa.size < 2:
        raise ValueError(f"need two equally long sequences of >= 2 values, got {xa.size}, "
                         f"{ya.size}")
    if np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return math.nan
    return float(stats.spearmanr(xa, ya).statistic)


def bootstrap_spearman(x: np.ndarray, y: np.ndarray, n_boot: int = 2000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float, float]:
    """Spearman ρ between per-model means, with a percentile bootstrap over replicates.

    ``x`` and ``y`` are (models, replicates) arrays; each bootstrap draw resamples the replicates
    of every model independently, so the interval reflects seed noise in both quantities.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 2 or xa.shape[0] < 3:
        raise ValueError(f"need two (models >= 3, replicates) arrays of one shape, got "
                         f"{xa.shape}, {ya.shape}")
    rho = spearman(xa.mean(1), ya.mean(1))
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        idx = rng.integers(0, xa.shape[1], size=xa.shape)
        bx = np.take_along_axis(xa, idx, 1).mean(1)
        by = np.take_along_axis(ya, idx, 1).mean(1)
        value = spearman(bx, by)
        if not math.isnan(value):
            draws.append(value)
    if not draws:
        return rho, math.nan, math.nan
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return rho, float(lo), float(hi)


def partial_correlation(y: Sequence[float], x: Sequence[float], control: Sequence[float],
                        groups: Sequence[int] | None = None) -> tuple[float, float, float]:
    """Correlation of ``y`` with ``x`` after removing a linear effect of ``control`` (and a
    separate intercept per group, e.g. per training seed), with a Fisher-z 95 % interval.

    Used to ask whether a count tracks validation loss once the epoch is accounted for.
    """
    ya, xa, ca = _finite(y), _finite(x), _finite(control)
    if not ya.size == xa.size == ca.size:
        raise ValueError("y, x and control must have the same length")
    cols = [ca]
    if groups is not None:
        g = np.asarray(groups)
        cols += [(g == level).astype(float) for level in np.unique(g)]
    else:
        cols.append(np.ones_like(ca))
    design = np.column_stack(cols)
    n_params = np.linalg.matrix_rank(design)
    dof = ya.size - n_params - 1
    if dof < 2:
        raise ValueError(f"too few points ({ya.size}) for a partial correlation with "
                         f"{n_params} nuisance terms")

    def residual(v: np.ndarray) -> np.ndarray:
        coef, *_ = np.linalg.lstsq(design, v, rcond=None)
        return v - design @ coef

    ry, rx = residual(ya), residual(xa)
    if np.allclose(ry, 0) or np.allclose(rx, 0):
        return math.nan, math.nan, math.nan
    r = float(np.corrcoef(ry, rx)[0, 1])
    z, se = math.atanh(max(-0.999999, min(0.999999, r))), 1 / math.sqrt(dof - 1)
    return r, math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)
