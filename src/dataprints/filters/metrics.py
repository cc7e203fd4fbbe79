"""The eight first-layer filter metrics of Jorgenson et al. (2025, §3.2).

All take a filter bank F of shape (N, 3, n, n), in practice the cumulative update
Delta conv1 = learned - initial weights, and return one number. |f| is the l2 norm of a whole
filter and S = sum_i |f_i|; most metrics are averages over filters weighted by |f_i| / S, so
filters that moved more count more.

Our reading of the garbled channel-saturation formula (the extraction shows
"|f'_i| |f'_i[0]-f'_i[1]| |f'_i[1]-f'_i[2]|"): with f'_i the filter min/max-scaled to [0, 1],

    saturation = (1/S) sum_i |f_i| (||f'_i[0] - f'_i[1]||_1 + ||f'_i[1] - f'_i[2]||_1) / (2 n^2)

i.e. the norm-weighted mean absolute difference between neighbouring colour channels, in
[0, 1]: 0 for grey filters (equal channels).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.ndimage import convolve
from scipy.spatial import ConvexHull
from skimage.restoration import denoise_tv_bregman

from dataprints.filters.properties import laplacian_variance, wavelet_noise_sigma

GAUSS3 = np.array([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
TV_WEIGHT = 5.0  # denoise_tv_bregman's default weight, on filters scaled to max |value| = 1
_EPS = 1e-12


def as_bank(filters: np.ndarray | torch.Tensor) -> np.ndarray:
    """A float64 (N, 3, n, n) array; a clear error for anything else."""
    a = filters.detach().cpu().double().numpy() if isinstance(filters, torch.Tensor) else \
        np.asarray(filters, dtype=float)
    if a.ndim != 4 or a.shape[1] != 3 or a.shape[2] != a.shape[3]:
        raise ValueError(f"expected a filter bank (N, 3, n, n) of colour filters, got shape "
                         f"{a.shape}; grey first layers must be given three equal channels")
    if not np.all(np.isfinite(a)):
        raise ValueError("the filter bank holds NaN or infinite values")
    return a


def _norms(a: np.ndarray) -> np.ndarray:
    return np.sqrt((a.reshape(len(a), -1) ** 2).sum(1))


def _weighted(a: np.ndarray, per_filter: Callable[[np.ndarray], float]) -> float:
    """(1/S) sum_i |f_i| m(f_i) over the filters that are not all zero."""
    norms = _norms(a)
    if norms.sum() <= _EPS:
        raise ValueError("every filter is zero: the metrics are undefined (did training "
                         "change the first layer at all?)")
    keep = norms > _EPS
    values = np.array([per_filter(f) for f in a[keep]])
    return float((norms[keep] * values).sum() / norms.sum())


def _minmax(f: np.ndarray) -> np.ndarray:
    span = f.max() - f.min()
    return (f - f.min()) / span if span > _EPS else np.zeros_like(f)


def channel_saturation(filters: np.ndarray | torch.Tensor) -> float:
    """How coloured (vs grey) the filters are; 0 when the three channels are equal."""
    a = as_bank(filters)
    n2 = a.shape[2] * a.shape[3]

    def one(f: np.ndarray) -> float:
        g = _minmax(f)
        return (np.abs(g[0] - g[1]).sum() + np.abs(g[1] - g[2]).sum()) / (2 * n2)

    return _weighted(a, one)


def colour_hull_volume(filters: np.ndarray | torch.Tensor) -> float:
    """Volume of the convex hull of all colour 3-vectors, bank min/max-scaled to [0, 1].

    Colours on a line or plane (e.g. grey filters) span no volume and score 0.
    """
    a = as_bank(filters)
    pts = _minmax(a).transpose(0, 2, 3, 1).reshape(-1, 3)
    centred = pts - pts.mean(0)
    sv = np.linalg.svd(centred, compute_uv=False)
    if sv[-1] <= 1e-9 * max(sv[0], _EPS):
        return 0.0
    return float(ConvexHull(pts).volume)


def _direction_change(f: np.ndarray, g: np.ndarray) -> float:
    """|| f/|f| - g/|g| ||: how far ``g`` points away from ``f``."""
    return float(np.linalg.norm(f / np.linalg.norm(f) - g / max(np.linalg.norm(g), _EPS)))


def blur_distance(filters: np.ndarray | torch.Tensor) -> float:
    """How much a 3x3 Gaussian blur changes each filter's direction; small for smooth filters.

    Same-size blur per channel with edge-replicated borders.
    """
    a = as_bank(filters)
    return _weighted(a, lambda f: _direction_change(
        f, np.stack([convolve(c, GAUSS3, mode="nearest") for c in f])))


def filter_variance(filters: np.ndarray | torch.Tensor) -> float:
    """Norm-weighted variance of the values inside each filter."""
    return _weighted(as_bank(filters), lambda f: float(f.var()))


def spatial_roughness(filters: np.ndarray | torch.Tensor) -> float:
    """Mean change of the unit-normed colour vector to its 8 neighbours, summed over interior
    positions and weighted by |f_i| (needs n >= 3)."""
    a = as_bank(filters)
    n = a.shape[2]
    if n < 3:
        raise ValueError(f"spatial roughness needs filters of at least 3x3, got {n}x{n}")

    def one(f: np.ndarray) -> float:
        g = f / np.linalg.norm(f)
        centre = g[:, 1:-1, 1:-1]
        total = 0.0
        for da in (-1, 0, 1):
            for db in (-1, 0, 1):
                if da or db:
                    nb = g[:, 1 + da:n - 1 + da, 1 + db:n - 1 + db]
                    total += np.sqrt(((nb - centre) ** 2).sum(0)).sum()
        return total / 8.0

    return _weighted(a, one)


def bregman_distance(filters: np.ndarray | torch.Tensor) -> float:
    """How much split-Bregman TV denoising changes each filter's direction (rough -> large).

    Each filter is scaled to max |value| = 1 before denoising, so the result does not depend
    on the size of the update.
    """
    a = as_bank(filters)

    def one(f: np.ndarray) -> float:
        s = f / np.abs(f).max()
        den = denoise_tv_bregman(s.transpose(1, 2, 0), weight=TV_WEIGHT, channel_axis=-1)
        return _direction_change(s, den.transpose(2, 0, 1))

    return _weighted(a, one)


def laplacian_metric(filters: np.ndarray | torch.Tensor) -> float:
    """Norm-weighted variance of the Laplacian of each filter as a small image."""
    return _weighted(as_bank(filters), laplacian_variance)


def noise_metric(filters: np.ndarray | torch.Tensor) -> float:
    """Norm-weighted wavelet noise sigma of each filter as a small image."""
    return _weighted(as_bank(filters), wavelet_noise_sigma)


METRICS: dict[str, Callable[[np.ndarray | torch.Tensor], float]] = {
    "saturation": channel_saturation,
    "hull_volume": colour_hull_volume,
    "blur_distance": blur_distance,
    "variance": filter_variance,
    "roughness": spatial_roughness,
    "bregman_distance": bregman_distance,
    "laplacian_var": laplacian_metric,
    "noise_sigma": noise_metric,
}


def filter_metrics(filters: np.ndarray | torch.Tensor) -> dict[str, float]:
    """All eight metrics of one filter bank, in the paper's order."""
    a = as_bank(filters)
    return {name: fn(a) for name, fn in METRICS.items()}
