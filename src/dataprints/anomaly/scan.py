"""The filter scan of §3.1-3.3: per filter, PCA to 2-D, GMMs for each K, K by the highest CH."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from dataprints.anomaly.features import capture, relu_after_conv
from dataprints.anomaly.gmm import fit_mixtures, pca_2d

K_RANGE = tuple(range(2, 11))  # candidate cluster counts (the paper gives no range; §3.3)


@dataclass
class LayerScan:
    """Clustering of every filter of one layer over the same N samples."""

    layer: str
    points: torch.Tensor  # (C, N, 2) PCA features
    ks: tuple[int, ...]
    ch_all: torch.Tensor  # (C, nK) CH for every candidate K (NaN for dead filters)
    k: torch.Tensor  # (C,) chosen K; 0 for dead filters
    ch: torch.Tensor  # (C,) CH at the chosen K
    labels: torch.Tensor  # (C, N) cluster of each sample at the chosen K
    activation: torch.Tensor  # (C,) mean absolute activation over samples and positions
    live: torch.Tensor  # (C,) False when the maps do not vary over the samples

    def cluster_sizes(self) -> torch.Tensor:
        """(C, Kmax) number of samples in each cluster at the chosen K."""
        kmax = max(self.ks)
        return torch.zeros(len(self.k), kmax, dtype=torch.long).scatter_add_(
            1, self.labels, torch.ones_like(self.labels))


def scan_maps(maps: dict[str, torch.Tensor], ks: tuple[int, ...] = K_RANGE, seed: int = 0,
              ) -> list[LayerScan]:
    """Scan captured maps ``{layer: (N, C, H, W)}``; all layers' filters are fitted in one batch."""
    points, live, acts = [], [], []
    for m in maps.values():
        flat = m.flatten(2).transpose(0, 1)  # (C, N, H*W)
        pts = pca_2d(flat, seed=seed)
        if pts.shape[-1] < 2:  # 1x1 maps: one coordinate; the second is a constant zero
            pts = torch.cat([pts, torch.zeros_like(pts)], dim=-1)
        points.append(pts)
        live.append(pts.var(dim=1).sum(-1) > 1e-12 * (1 + flat.double().pow(2).mean((1, 2))))
        acts.append(flat.abs().mean((1, 2)))
    all_points, all_live = torch.cat(points), torch.cat(live)
    n_filters, n = len(all_points), all_points.shape[1]
    ch_all = torch.full((n_filters, len(ks)), float("nan"), dtype=torch.float64)
    k = torch.zeros(n_filters, dtype=torch.long)
    ch = torch.full((n_filters,), float("nan"), dtype=torch.float64)
    labels = torch.zeros(n_filters, n, dtype=torch.long)
    if bool(all_live.any()):
        fit = fit_mixtures(all_points[all_live], ks, seed=seed)
        ch_all[all_live] = fit.ch
        k[all_live], ch[all_live], labels[all_live] = fit.best()
    out, start = [], 0
    for (name, _), pts, lv, act in zip(maps.items(), points, live, acts, strict=True):
        part = slice(start, start + len(pts))
        out.append(LayerScan(name, pts, ks, ch_all[part], k[part], ch[part], labels[part],
                             act, lv))
        start += len(pts)
    return out


def scan_model(model: nn.Module, x: torch.Tensor, layers: Sequence[str] | None = None,
               ks: tuple[int, ...] = K_RANGE, seed: int = 0) -> list[LayerScan]:
    """Scan ``layers`` (default: the ReLU after every conv) of ``model`` on the samples ``x``."""
    return scan_maps(capture(model, x, layers or relu_after_conv(model)), ks, seed)
