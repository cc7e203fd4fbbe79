"""Global image properties a dataset can leave in its filters (Jorgenson et al. 2025, §3.1).

Sharpness is the variance of the Laplacian; noisiness is scikit-image's Donoho-Johnstone wavelet
estimate of Gaussian noise sigma (``skimage.restoration.estimate_sigma``). Both are
also applied to filters treated as small images (metrics 7 and 8), so they take one image
(C, H, W) at a time. Dataset values are means over a seeded random sample of images.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from scipy.ndimage import convolve
from skimage.restoration import estimate_sigma

from dataprints.data.sources import ImageSet

LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])



def _as_chw(image: np.ndarray | torch.Tensor) -> np.ndarray:
    a = image.detach().cpu().double().numpy() if isinstance(image, torch.Tensor) else \
        np.asarray(image, dtype=float)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected one image (C, H, W) or (H, W), got shape {a.shape}")
    return a


def laplacian_variance(image: np.ndarray | torch.Tensor) -> float:
    """Variance of the Laplacian of each channel (same-size, mirrored borders), pooled."""
    a = _as_chw(image)
    lap = np.stack([convolve(c, LAPLACIAN, mode="reflect") for c in a])
    return float(lap.var())


def wavelet_noise_sigma(image: np.ndarray | torch.Tensor) -> float:
    """scikit-image's wavelet (Donoho-Johnstone) estimate of Gaussian noise sigma, averaged
    over channels. A constant image has no detail coefficients; it scores 0 (no noise)."""
    a = _as_chw(image)
    if all(np.ptp(c) == 0 for c in a):
        return 0.0
    with warnings.catch_warnings():
        # a constant channel among others: skimage warns, the mean is still right
        warnings.simplefilter("ignore", RuntimeWarning)
        # a 2-D channel whose last side is 3 or 4 (a small filter) makes skimage ask whether
        # it is a colour image; it is not: each channel is estimated on its own
        warnings.filterwarnings("ignore", message="image is size", category=UserWarning)
        sigmas = [estimate_sigma(c) for c in a]
    return float(np.mean(np.nan_to_num(sigmas)))


def dataset_properties(data: ImageSet, n_samples: int = 2000, seed: int = 0,
                       ) -> dict[str, float]:
    """Mean sharpness and noisiness over ``n_samples`` random images (paper: 2,000).

    Pixels are taken in [0, 1]. Uses every image when the set is smaller.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data), generator=gen)[:n_samples]
    x = data.x[idx].double().numpy() / 255.0
    return {"sharpness": float(np.mean([laplacian_variance(img) for img in x])),
            "noisiness": float(np.mean([wavelet_noise_sigma(img) for img in x]))}
