"""Outlier samples and their gradients (§4.2): do unusual samples pull harder on the weights?"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from dataprints.anomaly.scan import LayerScan


def outlier_samples(scans: list[LayerScan], max_size: int) -> torch.Tensor:
    """Bool (N,): samples that fall in a cluster of at most ``max_size`` samples in any live
    filter of any scanned layer (Table 1, experiment 2: ``max_size`` = 5)."""
    if max_size < 1:
        raise ValueError(f"max_size must be >= 1, got {max_size}")
    out = torch.zeros(scans[0].labels.shape[1], dtype=torch.bool)
    for scan in scans:
        sizes = scan.cluster_sizes()  # (C, Kmax)
        own = sizes.gather(1, scan.labels)  # (C, N): size of each sample's cluster
        out |= ((own <= max_size) & scan.live[:, None]).any(0)
    return out


def mean_abs_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                       batch_size: int = 100) -> torch.Tensor:
    """(N,) per-sample cross-entropy gradient magnitude: the mean over parameter tensors
    (layers' weights and biases) of the mean absolute gradient, in eval mode."""
    model.eval()
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, p, (xi[None],))
        return nn.functional.cross_entropy(out, yi[None])

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))
    chunks = []
    for start in range(0, len(x), batch_size):
        grads = per_sample(params, x[start:start + batch_size], y[start:start + batch_size])
        chunks.append(torch.stack([g.abs().flatten(1).mean(1) for g in grads.values()]).mean(0))
    return torch.cat(chunks)


def gradient_split(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   scans: list[LayerScan], max_size: int) -> dict[str, float]:
    """Table 3's cell for one model and one set of samples: mean per-sample gradient of the
    outliers and of the others, with how many outliers there are (NaN without any)."""
    out = outlier_samples(scans, max_size)
    grads = mean_abs_gradients(model, x, y)
    return {"n": len(y), "n_outliers": int(out.sum()),
            "outlier": float(grads[out].mean()) if bool(out.any()) else math.nan,
            "normal": float(grads[~out].mean()) if bool((~out).any()) else math.nan}
