"""Each first-layer metric on filter banks built to have a known answer."""

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from dataprints.filters.metrics import (
    METRICS,
    blur_distance,
    bregman_distance,
    channel_saturation,
    colour_hull_volume,
    filter_metrics,
    filter_variance,
    laplacian_metric,
    noise_metric,
    spatial_roughness,
)


def noisy_bank(seed=0, n=16, size=7):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size))


def smooth_bank(seed=0, n=16, size=7):
    return np.stack([gaussian_filter(f, sigma=(0, 2, 2), mode="nearest")
                     for f in noisy_bank(seed, n, size)])


def test_grey_filters_have_no_saturation_and_no_hull_volume():
    grey = np.repeat(noisy_bank()[:, :1], 3, axis=1)
    assert channel_saturation(grey) == 0.0
    assert colour_hull_volume(grey) == 0.0
    assert channel_saturation(noisy_bank()) > 0.1
    assert colour_hull_volume(noisy_bank()) > 0.01


def test_saturation_of_a_known_filter():
    f = np.zeros((1, 3, 3, 3))
    f[0, 0] = 1.0  # red channel 1, others 0: |r-g| = 1 everywhere, |g-b| = 0
    assert channel_saturation(f) == pytest.approx(0.5)


def test_hull_volume_of_the_unit_cube_corners():
    corners = [[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]
    pts = np.array([*corners, [0.5, 0.5, 0.5]], float)  # (9 positions, 3 colours)
    bank = pts.T.reshape(1, 3, 3, 3)
    assert colour_hull_volume(bank) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [blur_distance, spatial_roughness, bregman_distance,
                                    laplacian_metric, noise_metric])
def test_smooth_filters_score_lower_than_noisy_ones(metric):
    noisy, smooth = noisy_bank(), smooth_bank()
    smooth = smooth * (np.linalg.norm(noisy) / np.linalg.norm(smooth))  # same energy
    assert metric(smooth) < 0.5 * metric(noisy)


def test_constant_filters_are_invariant_to_blur_and_not_rough():
    const = np.ones((4, 3, 5, 5)) * np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    assert blur_distance(const) == pytest.approx(0.0, abs=1e-12)
    assert spatial_roughness(const) == pytest.approx(0.0, abs=1e-12)
    assert laplacian_metric(const) == pytest.approx(0.0, abs=1e-12)


def test_variance_is_norm_weighted():
    a = np.zeros((2, 3, 3, 3))
    a[0, :, 0, 0] = 1.0  # norm sqrt(3), variance of 3 ones among 27 values
    a[1] = 1.0  # norm sqrt(27), variance 0
    v0 = np.var(a[0])
    expected = np.sqrt(3) * v0 / (np.sqrt(3) + np.sqrt(27))
    assert filter_variance(a) == pytest.approx(expected)


def test_scale_free_metrics_ignore_the_size_of_the_update():
    bank = noisy_bank(2)
    for name in ("saturation", "hull_volume", "blur_distance", "roughness",
                 "bregman_distance"):
        assert METRICS[name](bank * 1e-3) == pytest.approx(METRICS[name](bank), rel=1e-6)


def test_filter_metrics_takes_tensors_and_rejects_bad_input():
    out = filter_metrics(torch.from_numpy(noisy_bank()).float())
    assert list(out) == list(METRICS) and all(np.isfinite(v) for v in out.values())
    with pytest.raises(ValueError, match="N, 3, n, n"):
        filter_metrics(np.zeros((4, 1, 7, 7)))
    with pytest.raises(ValueError, match="every filter is zero"):
        filter_variance(np.zeros((4, 3, 7, 7)))
    with pytest.raises(ValueError, match="NaN"):
        filter_metrics(np.full((1, 3, 3, 3), np.nan))
    with pytest.raises(ValueError, match="at least 3x3"):
        spatial_roughness(np.ones((1, 3, 2, 2)))
