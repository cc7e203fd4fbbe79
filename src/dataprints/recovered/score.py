"""The score S(M, X, W*) of Mehmanchi et al. §4.3: SSIM of each training image to its nearest
reconstruction, best k averaged; plus NCC matching and the null baselines the score needs."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

SSIM_SIGMA = 1.5  # Wang et al. 2004: Gaussian window, sigma 1.5
SSIM_TRUNCATE = 3.5  # scipy/scikit-image default: window radius int(3.5 * 1.5 + 0.5) = 5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _gaussian_window(dtype: torch.dtype) -> torch.Tensor:
    radius = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=dtype)
    w = torch.exp(-0.5 * (t / SSIM_SIGMA) ** 2)
    return w / w.sum()


def ssim(a: torch.Tensor, b: torch.Tensor, data_range: float) -> torch.Tensor:
    """Mean SSIM per image pair (Wang et al. 2004), for (N, C, H, W) images -> (N,).

    Gaussian window (sigma 1.5, 11 taps), population covariances, averaged over the valid
    region (the border the window cannot cover is cropped) and over channels: the same numbers
    as ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=...)``. ``data_range`` is required on purpose.
    """
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"expected two (N, C, H, W) batches of the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if not data_range > 0:
        raise ValueError(f"data_range must be positive (1.0 for images in [0, 1]), got "
                         f"{data_range}")
    a, b = a.double(), b.double()
    w = _gaussian_window(torch.float64)
    if min(a.shape[-2:]) < len(w):
        raise ValueError(f"images must be at least {len(w)} px on each side, got "
                         f"{tuple(a.shape[-2:])}")
    n, c, h, width = a.shape

    def blur(z: torch.Tensor) -> torch.Tensor:  # separable 'valid' Gaussian filter per channel
        z = z.reshape(n * c, 1, h, width)
        z = F.conv2d(z, w.view(1, 1, -1, 1))
        return F.conv2d(z, w.view(1, 1, 1, -1))

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1)
                                                     * (var_a + var_b + c2))
    return s.reshape(n, -1).mean(dim=1)


def minmax_scale(x: torch.Tensor) -> torch.Tensor:
    """Each image scaled on its own to [0, 1] (a constant image becomes 0)."""
    lo = x.amin(dim=(1, 2, 3), keepdim=True)
    hi = x.amax(dim=(1, 2, 3), keepdim=True)
    return (x - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi))


def ncc_distance(train: torch.Tensor, recon: torch.Tensor, downsample: int = 1) -> torch.Tensor:
    """(n, m) squared L2 distances after standardising each image's channels (Haim et al.'s
    ``ncc``; ``downsample=2`` first shrinks both sets 2x bicubically, their ``ncc2`` for CIFAR)."""
    if downsample < 1:
        raise ValueError(f"downsample must be >= 1, got {downsample}")

    def standardise(z: torch.Tensor) -> torch.Tensor:
        z = z.double()
        if downsample > 1:
            z = F.interpolate(z, scale_factor=1 / downsample, mode="bicubic",
                              align_corners=False)
        mean = z.mean(dim=(2, 3), keepdim=True)
        std = z.std(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        return ((z - mean) / std).flatten(1)

    return torch.cdist(standardise(train), standardise(recon)) ** 2


@dataclass
class Score:
    """Each training image paired with its nearest reconstruction, sorted by SSIM (best first)."""

    train_index: torch.Tensor  # (n,) training images, best pair first
    recon_index: torch.Tensor  # (n,) the reconstruction matched to each
    ssim: torch.Tensor  # (n,) SSIM of each pair, descending
    k: int

    @property
    def best_k(self) -> float:
        """S(M, X, W*): the mean SSIM of the best k pairs (paper eq. 9)."""
        return float(self.ssim[:self.k].mean())


def score(train01: torch.Tensor, recon01: torch.Tensor, k: int = 10,
          downsample: int = 1) -> Score:
    """Match each training image to its NCC-nearest reconstruction and rank the pairs by SSIM.

    Both sets must already be in [0, 1]: training images as they were, reconstructions with the
    mean added back and min-max scaled (:func:`minmax_scale`).
    """
    if train01.shape[1:] != recon01.shape[1:]:
        raise ValueError(f"training images {tuple(train01.shape[1:])} and reconstructions "
                         f"{tuple(recon01.shape[1:])} differ in shape")
    if not 1 <= k <= len(train01):
        raise ValueError(f"k must lie in 1..{len(train01)} (the training set size), got {k}")
    nearest = ncc_distance(train01, recon01, downsample).argmin(dim=1)  # (n,)
    values = ssim(train01, recon01[nearest], data_range=1.0)
    order = torch.argsort(values, descending=True)
    return Score(order, nearest[order], values[order], k)


def null_scores(train01: torch.Tensor, mean01: torch.Tensor, others01: torch.Tensor,
                k: int = 10, downsample: int = 1) -> dict[str, float]:
    """The same score for "reconstructions" that know nothing about the training images.

    ``mean_image``: the training mean alone (what a reconstruction stuck at its start shows);
    ``other_images``: real images of the same task that were not trained on. A best-k SSIM
    means something only above these.
    """
    mean_only = minmax_scale(mean01.reshape(1, *train01.shape[1:]))
    return {
        "mean_image": score(train01, mean_only, k, downsample).best_k,
        "other_images": score(train01, others01, k, downsample).best_k,
    }


def pairs_for_display(train01: torch.Tensor, recon01: torch.Tensor, result: Score,
                      count: int = 30, ncols: int = 10) -> tuple[torch.Tensor, int]:
    """The best pairs as (images, ncols): a row of reconstructions above a row of their training
    images (the layout of the paper's Figures 2-5, 8); ``count`` is cut to whole rows."""
    ncols = max(1, min(ncols, count, len(result.train_index)))
    count = min(count, len(result.train_index)) // ncols * ncols
    rows = []
    for start in range(0, count, ncols):
        rows.append(recon01[result.recon_index[start:start + ncols]])
        rows.append(train01[result.train_index[start:start + ncols]])
    return torch.cat(rows), ncols
