"""Syn_B1..Syn_B4: band-biased synthetic texture datasets in the spirit of Wang et al. (§3).

The authors' generator is not public; this one follows the paper's description. Images are
32x32 RGB, 4 classes C0..C3. The centred Fourier plane is split into 4 rings of equal width
(4 cycles/image; the corners beyond Nyquist join B4). In Syn_Bb every class's characteristic
("special") frequencies lie inside ring B_b:

* C0, C1, C2 each have three special frequencies, and neighbours share one (C0-C1, C1-C2),
  so each is recognised only from a combination;
* C3, the simplest and most distinctive class, has one special frequency of its own with a
  larger amplitude (stripes; a fine checkerboard-like pattern in Syn_B4).

Each special frequency is drawn as a soft square wave tanh(2 sin t) / tanh(2) (so it also has
weak odd harmonics outside the ring, as stripes do) with a random phase, amplitude jitter and
colour. On top, every image gets ``n_background`` random sinusoids anywhere in the plane (the
same distribution for all classes), so no class is a clean single tone. Everything is drawn from
``numpy.random.default_rng`` seeded with (seed, band, split): the same call gives the same set.
"""

from __future__ import annotations

import numpy as np
import torch

from dataprints.data.sources import ImageSet

SIZE = 32  # pixels
N_CLASSES = 4
N_BANDS = 4
DISTINCTIVE = 3  # C3: one unique, stronger special frequency
CLASSES = tuple(f"C{c}" for c in range(N_CLASSES))
SPECIAL_AMPLITUDE = 0.09  # per special frequency of C0..C2, pixels in [0, 1]
DISTINCTIVE_AMPLITUDE = 0.15  # C3's single special frequency
BACKGROUND_AMPLITUDE = 0.06  # upper end of the uniform amplitude of each background sinusoid
SPLITS = {"train": 0, "test": 1}


def _band_frequencies(band: int) -> np.ndarray:
    """Integer (k_row, k_col) in the upper half-plane whose radius lies in ring ``band``."""
    width = (SIZE / 2) / N_BANDS
    lo, hi = (band - 1) * width, band * width
    lo = max(lo, 1.5)  # leave out DC and the slowest ramps
    hi = min(hi, SIZE / 2)  # below Nyquist, so each wave is represented without aliasing
    k = np.arange(-(SIZE // 2) + 1, SIZE // 2)
    kr, kc = np.meshgrid(k, k, indexing="ij")
    r = np.hypot(kr, kc)
    upper = (kr > 0) | ((kr == 0) & (kc > 0))  # one of each conjugate pair
    keep = upper & (r >= lo) & (r < hi)
    return np.stack([kr[keep], kc[keep]], axis=1)


def special_frequencies(band: int, seed: int = 0) -> list[list[tuple[int, int]]]:
    """Per class, its special (k_row, k_col) frequencies in Syn_B``band``."""
    if band not in range(1, N_BANDS + 1):
        raise ValueError(f"band must be one of 1..{N_BANDS}, got {band}")
    candidates = _band_frequencies(band)
    rng = np.random.default_rng([seed, band, 7])
    f = [tuple(int(v) for v in candidates[i]) for i in rng.choice(len(candidates), 8, False)]
    return [[f[0], f[1], f[2]], [f[2], f[3], f[4]], [f[4], f[5], f[6]], [f[7]]]


def _waves(rng: np.random.Generator, freqs: np.ndarray, amp: np.ndarray) -> np.ndarray:
    """Sum of coloured soft-square waves: freqs (n, K, 2), amp (n, K) -> (n, 3, SIZE, SIZE)."""
    n, k = amp.shape
    grid = np.arange(SIZE)
    phase = rng.uniform(0, 2 * np.pi, (n, k))
    colour = rng.uniform(0.4, 1.0, (n, k, 3))
    arg = (2 * np.pi / SIZE) * (freqs[..., 0, None, None] * grid[:, None]
                                + freqs[..., 1, None, None] * grid[None, :])
    wave = np.tanh(2 * np.sin(arg + phase[..., None, None])) / np.tanh(2)  # (n, K, H, W)
    return np.einsum("nkhw,nkc->nchw", wave * amp[..., None, None], colour)


def syn_bands(band: int, split: str = "train", n_per_class: int = 500, seed: int = 0,
              n_background: int = 6) -> ImageSet:
    """Syn_B``band`` as an :class:`ImageSet` (uint8), ``n_per_class`` images of each class."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    if n_per_class < 1 or n_background < 0:
        raise ValueError(f"need n_per_class >= 1 and n_background >= 0, got {n_per_class}, "
                         f"{n_background}")
    specials = special_frequencies(band, seed)
    rng = np.random.default_rng([seed, band, SPLITS[split]])
    pool = np.concatenate([_band_frequencies(b) for b in range(1, N_BANDS + 1)])
    images = []
    for c, freqs in enumerate(specials):
        n = n_per_class
        base = SPECIAL_AMPLITUDE if c != DISTINCTIVE else DISTINCTIVE_AMPLITUDE
        amp = base * rng.uniform(0.7, 1.3, (n, len(freqs)))
        img = _waves(rng, np.broadcast_to(np.array(freqs), (n, len(freqs), 2)), amp)
        bg = pool[rng.integers(0, len(pool), (n, n_background))]
        img += _waves(rng, bg, rng.uniform(0, BACKGROUND_AMPLITUDE, (n, n_background)))
        images.append(img)
    x = np.clip(0.5 + np.concatenate(images), 0, 1)
    x = np.round(x * 255).astype(np.uint8)
    y = np.repeat(np.arange(N_CLASSES), n_per_class)
    return ImageSet(torch.from_numpy(x), torch.from_numpy(y), CLASSES, f"syn_b{band}",
                    f"generated:syn_bands(band={band}, split={split}, seed={seed})")
