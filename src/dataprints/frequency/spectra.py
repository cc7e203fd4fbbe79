"""Fourier helpers on image batches: centred spectra, radial bands, band-stop and mask filters.

All spectra are ``fftshift``-ed over the last two axes, so the zero frequency (DC) sits at
``(H // 2, W // 2)`` and a (H, W) mask means the same thing for every image and channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def spectrum(x: torch.Tensor) -> torch.Tensor:
    """Centred complex 2-D spectrum of (..., H, W) images."""
    return torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))


def from_spectrum(f: torch.Tensor) -> torch.Tensor:
    """Real images back from a centred spectrum (the real part, as the authors take)."""
    return torch.fft.ifft2(torch.fft.ifftshift(f, dim=(-2, -1))).real


def amplitude(x: torch.Tensor) -> torch.Tensor:
    """Centred amplitude spectrum |F x| of (..., H, W) images."""
    return spectrum(x).abs()


def radial_frequency(size: int) -> torch.Tensor:
    """(size, size) distance of each centred-spectrum position from DC, in cycles per image."""
    k = torch.arange(size, dtype=torch.float64) - size // 2
    return torch.sqrt(k[:, None] ** 2 + k[None, :] ** 2)


def band_index(size: int, n_bands: int = 4) -> torch.Tensor:
    """(size, size) band number 1..n_bands of each position: equal-width rings up to Nyquist.

    Ring b covers radii [(b-1) w, b w) with w = (size / 2) / n_bands; the corners beyond the
    Nyquist radius size / 2 belong to the last band.
    """
    if n_bands < 1:
        raise ValueError(f"n_bands must be >= 1, got {n_bands}")
    width = (size / 2) / n_bands
    return torch.clamp((radial_frequency(size) / width).floor().long() + 1, max=n_bands)


def conjugate_index(size: int) -> torch.Tensor:
    """(size, size) flat index of each centred position's conjugate-symmetric partner.

    For a real image F(-k) = conj F(k); in centred coordinates row r pairs with (size - r) mod
    size, and the same for columns.
    """
    r = (size - torch.arange(size)) % size
    return (r[:, None] * size + r[None, :]).reshape(size, size)


def keep_only(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Filter (N, C, H, W) images to the frequencies where the (H, W) mask ``keep`` is True."""
    if keep.shape != x.shape[-2:]:
        raise ValueError(f"mask has shape {tuple(keep.shape)}, images are "
                         f"{tuple(x.shape[-2:])}")
    f = spectrum(x)
    return from_spectrum(f * keep.to(device=x.device, dtype=f.real.dtype))


def band_stop(x: torch.Tensor, remove: Sequence[int], n_bands: int = 4) -> torch.Tensor:
    """Remove whole radial bands (numbered 1..n_bands) from images; DC is always kept.

    Keeping DC keeps each image's mean colour, so a band-stop test changes texture, not
    brightness (the paper does not say what it did with DC).
    """
    bad = [b for b in remove if not 1 <= b <= n_bands]
    if bad:
        raise ValueError(f"bands must be numbered 1..{n_bands}, got {bad}")
    size = x.shape[-1]
    bands = band_index(size, n_bands)
    keep = ~torch.isin(bands, torch.tensor(list(remove), dtype=torch.long))
    keep[size // 2, size // 2] = True
    return keep_only(x, keep)
