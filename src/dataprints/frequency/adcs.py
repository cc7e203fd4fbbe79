"""ADCS, the Accumulative Difference of Class-wise average Spectrum (Wang et al., Eq. 1).

ADCS^c(u, v) = sum over c' != c of sign(E_c(u, v) - E_c'(u, v)), with E_c the mean amplitude
spectrum of class c. Computed per colour channel, then averaged over channels, so it lies in
[1 - |C|, |C| - 1]; a high value means class c carries more energy at (u, v) than the others.
"""

from __future__ import annotations

import torch

from dataprints.frequency.spectra import amplitude


def class_mean_amplitude(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K, C, H, W) mean centred amplitude spectrum of each class's (N, C, H, W) images."""
    if x.ndim != 4 or len(x) != len(y):
        raise ValueError(f"expected (N, C, H, W) images with N labels, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    counts = torch.bincount(y, minlength=num_classes)
    if len(counts) > num_classes or (counts == 0).any():
        raise ValueError(f"every class 0..{num_classes - 1} needs images; counts per label: "
                         f"{counts.tolist()}")
    amp = amplitude(x.double())
    sums = torch.zeros(num_classes, *x.shape[1:], dtype=amp.dtype)
    sums.index_add_(0, y, amp)
    return sums / counts.view(-1, 1, 1, 1)


def adcs(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K, H, W) ADCS of every class, exactly the paper's formula (c' = c left out)."""
    e = class_mean_amplitude(x, y, num_classes)  # (K, C, H, W)
    signs = torch.sign(e[:, None] - e[None, :])  # (K, K', C, H, W); zero on the diagonal
    return signs.sum(1).mean(1)


def adcs_authors_variant(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """ADCS as the authors' ``compute_ADCS.py`` sums it: c' = c included, a zero sign as -1.

    The self term adds -1 everywhere, so this equals :func:`adcs` minus 1 wherever no two
    classes tie. Kept to show (and test) that offset, not for use.
    """
    e = class_mean_amplitude(x, y, num_classes)
    diff = e[:, None] - e[None, :]
    signs = torch.where(diff > 0, 1.0, -1.0).to(diff.dtype)
    return signs.sum(1).mean(1)


def adcs_replicates(x: torch.Tensor, y: torch.Tensor, num_classes: int, parts: int,
                    seed: int = 0) -> list[torch.Tensor]:
    """:func:`adcs` on ``parts`` disjoint, class-balanced subsets of ``(x, y)`` (each class's
    images shuffled with ``seed`` and dealt into the parts): replicates of a data property."""
    gen = torch.Generator().manual_seed(seed)
    chunks: list[list[torch.Tensor]] = [[] for _ in range(parts)]
    for c in range(num_classes):
        where = torch.nonzero(y == c).squeeze(1)
        if len(where) < parts:
            raise ValueError(f"class {c} has {len(where)} images, fewer than the {parts} "
                             f"ADCS subsets asked for")
        for i, part in enumerate(where[torch.randperm(len(where), generator=gen)].chunk(parts)):
            chunks[i].append(part)
    return [adcs(x[torch.cat(idx)], y[torch.cat(idx)], num_classes) for idx in chunks]
