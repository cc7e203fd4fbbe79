"""Why first-layer filters copy their inputs (Jorgenson et al. 2025, §2 and Fig. 1).

For a filter A on a patch B the response is h = A.B, so d g(h) / dA = g'(A.B) B: a gradient step
moves the filter by a multiple of the patch. The toy demonstration trains a single conv layer
of 64 filters 3x7x7 towards an all-ones output on random images of four kinds, and shows the
cumulative update (final - initial weights): it takes on the colour and smoothness of the data.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision.transforms.functional import gaussian_blur

TOY_KINDS = ("grey_noise", "blurred_noise_weak", "blurred_noise_strong", "solid_colour")
# Blur sigmas (pixels) for the two blurred rows of Fig. 1; the paper does not give them.
TOY_BLUR = {"blurred_noise_weak": 1.0, "blurred_noise_strong": 3.0}


def filter_gradient(filt: torch.Tensor, patch: torch.Tensor,
                    loss: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """The gradient of ``loss(filt . patch)`` with respect to the filter, by autograd."""
    if filt.shape != patch.shape:
        raise ValueError(f"filter {tuple(filt.shape)} and patch {tuple(patch.shape)} must "
                         f"have the same shape")
    a = filt.detach().clone().requires_grad_(True)
    loss((a * patch).sum()).backward()
    assert a.grad is not None
    return a.grad


def patch_multiple(update: torch.Tensor, patch: torch.Tensor) -> tuple[float, float]:
    """Least-squares ``c`` with update ~= c * patch, and the relative residual
    ||update - c patch|| / ||update|| (0 when the update is exactly a multiple)."""
    u, b = update.flatten().double(), patch.flatten().double()
    if float(b @ b) == 0.0:
        raise ValueError("the patch is all zeros: every multiple of it is zero")
    c = float(u @ b / (b @ b))
    un = float(u.norm())
    return c, float((u - c * b).norm()) / un if un > 0 else 0.0


def toy_images(kind: str, n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """``n`` random (3, size, size) images of one Fig. 1 kind, values around [0, 1].

    grey_noise: one Gaussian noise channel repeated three times; blurred_noise_*: RGB Gaussian
    noise blurred with sigma TOY_BLUR[kind]; solid_colour: one uniform random colour per image.
    """
    if kind not in TOY_KINDS:
        raise ValueError(f"unknown toy kind {kind!r}; choose one of: {', '.join(TOY_KINDS)}")
    if n < 1 or size < 7:
        raise ValueError(f"need n >= 1 and size >= 7 (the filter size), got {n}, {size}")
    gen = torch.Generator().manual_seed(seed)
    if kind == "grey_noise":
        return (0.5 + 0.25 * torch.randn(n, 1, size, size, generator=gen)).expand(-1, 3, -1, -1)
    if kind == "solid_colour":
        return torch.rand(n, 3, 1, 1, generator=gen).expand(-1, -1, size, size).contiguous()
    sigma = TOY_BLUR[kind]
    k = 2 * round(3 * sigma) + 1
    noise = torch.randn(n, 3, size, size, generator=gen)
    blurred = gaussian_blur(noise, [k, k], [sigma, sigma])
    return 0.5 + 0.25 * blurred / blurred.std()  # same contrast for every blur strength


def train_toy_layer(images: torch.Tensor, steps: int = 200, lr: float = 0.01,
                    batch_size: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Train Conv2d(3, 64, 7) with loss ||conv(x) - 1|| by plain SGD; (initial, final) weights.

    The loss is the norm of the difference between the layer output and the all-ones tensor
    of the same shape (Fig. 1). Batches are drawn with a generator seeded by ``seed``.
    """
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected images (N, 3, H, W), got {tuple(images.shape)}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive, got {steps}, {batch_size}")
    torch.manual_seed(seed)
    layer = nn.Conv2d(3, 64, 7, bias=False)
    initial = layer.weight.detach().clone()
    opt = torch.optim.SGD(layer.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(images), (min(batch_size, len(images)),), generator=gen)
        out = layer(images[idx])
        loss = torch.linalg.vector_norm(out - torch.ones_like(out))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return initial, layer.weight.detach().clone()
