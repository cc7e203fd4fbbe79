"""Figure helpers shared by the notebooks (matplotlib/seaborn, imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def to_display(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """(N, C, H, W) or (C, H, W) images of any range -> (N, H, W, C) floats in [0, 1] for imshow.

    Each image is min-max scaled on its own, so mean-subtracted or normalised images show too.
    """
    a = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, float)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"expected (N, C, H, W) images, got shape {a.shape}")
    lo = a.min(axis=(1, 2, 3), keepdims=True)
    hi = a.max(axis=(1, 2, 3), keepdims=True)
    a = (a - lo) / np.where(hi > lo, hi - lo, 1.0)
    return a.transpose(0, 2, 3, 1)


def image_grid(images: torch.Tensor | np.ndarray, ncols: int = 10,
               titles: Sequence[str] | None = None, scale: float = 1.2,
               suptitle: str | None = None) -> Any:
    """Show images in a grid (grey when single-channel); returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    a = to_display(images)
    n = len(a)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = a[i]
            ax.imshow(img[..., 0] if img.shape[-1] == 1 else img,
                      cmap="gray" if img.shape[-1] == 1 else None, vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[i], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def training_curves(history: Any, title: str = "") -> Any:
    """Loss and accuracy per epoch, train and validation, from a training History."""
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax_loss.plot(history.epoch, history.train_loss, label="train")
    ax_acc.plot(history.epoch, history.train_acc, label="train")
    if any(np.isfinite(history.val_loss)):
        ax_loss.plot(history.epoch, history.val_loss, label="validation")
        ax_acc.plot(history.epoch, history.val_acc, label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy")
    ax_acc.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
