"""The recovered-samples score: SSIM against scikit-image, NCC matching, best-k, null baselines."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage import data as skdata
from skimage.metrics import structural_similarity

from dataprints.recovered.score import (
    minmax_scale,
    ncc_distance,
    null_scores,
    pairs_for_display,
    score,
    ssim,
)


def _reference(a: np.ndarray, b: np.ndarray, data_range: float) -> float:
    """scikit-image's SSIM with Wang et al. 2004's settings; a, b are (C, H, W)."""
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=data_range,
                                 channel_axis=0)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_ssim_matches_skimage_on_noisy_images(shape: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(0)
    camera = skdata.camera().astype(np.float64) / 255.0  # a real 512x512 photograph
    a = np.stack([camera[40 * c:40 * c + shape[1], 100:100 + shape[2]] for c in range(shape[0])])
    batch_a = np.stack([a, a, 1 - a])
    batch_b = np.clip(batch_a + rng.normal(0, [[[[0.02]]], [[[0.2]]], [[[0.1]]]],
                                           batch_a.shape), 0, 1)
    ours = ssim(torch.from_numpy(batch_a), torch.from_numpy(batch_b), data_range=1.0)
    ref = [_reference(batch_a[i], batch_b[i], 1.0) for i in range(3)]
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-4)
    assert ours[0] > ours[2] > ours[1]  # less noise, more similar


def test_ssim_data_range_is_explicit_and_matters() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, (1, 3, 16, 16))
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert float(ssim(ta, tb, 255.0)) > 0.99  # the silent mistake of a default range of 255
    assert float(ssim(ta, tb, 1.0)) == pytest.approx(_reference(a[0], b[0], 1.0), abs=1e-4)
    with pytest.raises(ValueError, match="data_range"):
        ssim(ta, tb, 0.0)


def test_ssim_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        ssim(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 15), 1.0)
    with pytest.raises(ValueError, match="at least 11 px"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8), 1.0)


def test_ncc_ignores_brightness_and_contrast() -> None:
    gen = torch.Generator().manual_seed(0)
    train = torch.rand(4, 3, 16, 16, generator=gen, dtype=torch.float64)
    recon = torch.flip(train, dims=[0]) * 0.3 + 0.5  # same images, reversed, other range
    dist = ncc_distance(train, recon)
    assert dist.shape == (4, 4)
    assert torch.equal(dist.argmin(dim=1), torch.tensor([3, 2, 1, 0]))
    assert float(dist.min(dim=1).values.max()) < 1e-9
    assert torch.equal(ncc_distance(train, recon, downsample=2).argmin(dim=1),
                       torch.tensor([3, 2, 1, 0]))


def test_score_pairs_each_training_image_with_its_match_and_ranks_by_ssim() -> None:
    gen = torch.Generator().manual_seed(2)
    train = torch.rand(12, 1, 16, 16, generator=gen, dtype=torch.float64)
    noise = torch.linspace(0.0, 0.5, 12, dtype=torch.float64).view(12, 1, 1, 1)
    noisy = (train + noise * torch.randn(train.shape, generator=gen, dtype=torch.float64))
    recon = minmax_scale(torch.cat([noisy, torch.rand(5, 1, 16, 16, generator=gen,
                                                      dtype=torch.float64)]))
    result = score(train, recon, k=3)
    assert torch.equal(result.recon_index, result.train_index)  # the noisy copy is nearest
    assert torch.all(result.ssim[:-1] >= result.ssim[1:])
    assert result.train_index[0] == 0  # the noise-free copy pairs best
    assert result.best_k == pytest.approx(float(result.ssim[:3].mean()))
    with pytest.raises(ValueError, match="k must lie"):
        score(train, recon, k=13)
    images, ncols = pairs_for_display(train, recon, result, count=8, ncols=4)
    assert ncols == 4 and images.shape[0] == 8 * 2
    assert torch.equal(images[4:8], train[result.train_index[:4]])


def test_null_scores_are_below_a_perfect_reconstruction() -> None:
    gen = torch.Generator().manual_seed(3)
    train = torch.rand(10, 3, 16, 16, generator=gen, dtype=torch.float64)
    others = torch.rand(20, 3, 16, 16, generator=gen, dtype=torch.float64)
    nulls = null_scores(train, train.mean(dim=0), others, k=5)
    assert set(nulls) == {"mean_image", "other_images"}
    assert max(nulls.values()) < 0.5
    assert score(train, train, k=5).best_k == pytest.approx(1.0)


def test_minmax_scale_handles_constant_images() -> None:
    x = torch.stack([torch.full((1, 4, 4), 3.0), torch.arange(16.0).view(1, 4, 4)])
    out = minmax_scale(x)
    assert float(out[0].abs().max()) == 0.0
    assert float(out[1].min()) == 0.0 and float(out[1].max()) == 1.0
