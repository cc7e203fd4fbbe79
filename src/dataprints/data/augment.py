"""Batched tensor augmentation shared by the chapters: ``augment(batch, generator)`` callables
of the training loop, drawn from the loop's per-epoch generator so runs are repeatable."""

from __future__ import annotations

import torch


def crop_flip(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop of each image after zero padding by ``pad``, and a random horizontal flip."""
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)).to(x.device)  # (n, h)
    cols = (dx[:, None] + torch.arange(w)).to(x.device)  # (n, w)
    idx = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]]  # (n, h, w, C)
    out = out.permute(0, 3, 1, 2)
    flip = torch.rand(n, generator=gen).to(x.device) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(-1), out)
