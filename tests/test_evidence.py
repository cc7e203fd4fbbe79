from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from dataprints.evidence import (
    bootstrap_spearman,
    partial_correlation,
    sign_test,
    spearman,
    t_interval,
    wilson,
)


def test_t_interval_matches_the_textbook_formula():
    iv = t_interval([1.0, 2.0, 3.0])
    assert iv.mean == 2.0 and iv.sd == 1.0 and iv.n == 3
    assert iv.hi - iv.mean == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert t_interval([5.0]).lo == t_interval([5.0]).hi == 5.0
    with pytest.raises(ValueError, match="non-finite"):
        t_interval([1.0, float("nan")])


def test_wilson_interval():
    lo, hi = wilson(700, 1000)
    assert 0.028 < (hi - lo) / 2 < 0.029 and lo < 0.7 < hi
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_sign_test_drops_ties_and_is_one_sided():
    result = sign_test([1, 2, 3, 4, 5])
    assert (result.positive, result.n) == (5, 5) and result.p == pytest.approx(1 / 32)
    assert sign_test([1, 0, -1]).n == 2
    assert sign_test([0, 0]).p == 1.0


def test_spearman_and_its_bootstrap():
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    rng = np.random.default_rng(0)
    x = np.arange(5)[:, None] + rng.normal(0, 0.1, (5, 3))
    rho, lo, hi = bootstrap_spearman(x, -x)
    assert rho == pytest.approx(-1.0) and lo <= rho <= hi


def test_partial_correlation_removes_a_confounder():
    rng = np.random.default_rng(1)
    epoch = np.tile(np.arange(20.0), 3)
    seed = np.repeat([0, 1, 2], 20)
    val_loss = epoch + rng.normal(0, 1, 60)
    count = 2 * epoch + rng.normal(0, 1, 60)  # driven by epoch only
    raw = stats.pearsonr(count, val_loss).statistic
    r, lo, hi = partial_correlation(count, val_loss, epoch, groups=seed)
    assert raw > 0.9 and lo < 0 < hi and abs(r) < 0.3
    driven = count + 3 * (val_loss - epoch)  # now the loss matters beyond the epoch
    assert partial_correlation(driven, val_loss, epoch, groups=seed)[1] > 0.5
