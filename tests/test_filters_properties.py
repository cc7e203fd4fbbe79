"""Dataset-property measures: sharpness (variance of the Laplacian) and wavelet noise sigma."""

import numpy as np
import pytest
import torch

from dataprints.data.sources import ImageSet
from dataprints.filters.properties import (
    dataset_properties,
    laplacian_variance,
    wavelet_noise_sigma,
)


def test_wavelet_sigma_recovers_gaussian_noise():
    rng = np.random.default_rng(0)
    for sigma in (0.05, 0.3, 1.0):
        assert wavelet_noise_sigma(sigma * rng.standard_normal((3, 64, 64))) == \
            pytest.approx(sigma, rel=0.08)
    assert wavelet_noise_sigma(np.full((3, 16, 16), 0.4)) == pytest.approx(0.0, abs=1e-12)


def test_wavelet_sigma_matches_scikit_image():
    from skimage.restoration import estimate_sigma

    img = np.random.default_rng(1).random((3, 20, 17))
    ours = wavelet_noise_sigma(img)
    assert ours == pytest.approx(estimate_sigma(img, channel_axis=0, average_sigmas=True),
                                 rel=1e-9)


def test_laplacian_variance_known_values():
    assert laplacian_variance(np.full((3, 8, 8), 0.7)) == 0.0
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((200, 200))
    # white noise of variance 1: the Laplacian has variance 1 + 1 + 1 + 1 + 16 = 20
    assert laplacian_variance(noise) == pytest.approx(20.0, rel=0.05)
    with pytest.raises(ValueError, match="one image"):
        laplacian_variance(np.zeros((2, 3, 8, 8)))


def test_dataset_properties_rank_blurred_and_noisy_sets():
    rng = np.random.default_rng(0)
    base = rng.random((40, 3, 32, 32))
    smooth = base.copy()
    for _ in range(3):  # box smoothing along both axes
        smooth = (smooth + np.roll(smooth, 1, -1) + np.roll(smooth, 1, -2)) / 3
    noisy = np.clip(smooth + 0.2 * rng.standard_normal(smooth.shape), 0, 1)

    def as_set(a):
        x = torch.from_numpy(np.round(a * 255).astype(np.uint8))
        return ImageSet(x, torch.zeros(len(x), dtype=torch.long), ("c",), "t", "generated")

    p_base, p_smooth, p_noisy = (dataset_properties(as_set(a), 30, seed=0)
                                 for a in (base, smooth, noisy))
    assert p_smooth["sharpness"] < p_base["sharpness"]
    assert p_smooth["noisiness"] < p_noisy["noisiness"]
    assert p_noisy == dataset_properties(as_set(noisy), 30, seed=0)  # seeded
    with pytest.raises(ValueError, match="positive"):
        dataset_properties(as_set(base), 0)
