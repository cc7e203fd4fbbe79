"""Syn_Bb as our generator makes it, and a *balanced* variant that poses the paper's question.

In :mod:`dataprints.data.synthetic_bands` the distinctive class C3 has one special frequency at a
larger amplitude than C0-C2's three (0.15 against 0.09), so "C3 is learned first" is partly
designed into the data. In the balanced variant every class has three special frequencies at
the same amplitude (jittered alike) and the same number of images; C3 differs only in that its
three are its own, while C0-C1 and C1-C2 share one. Whether a network learns C3 first is then a
question about distinctiveness, not about energy: it can fail.
"""

from __future__ import annotations

import numpy as np
import torch

from dataprints.data.sources import ImageSet
from dataprints.data.synthetic_bands import (
    BACKGROUND_AMPLITUDE,
    CLASSES,
    N_BANDS,
    N_CLASSES,
    SPECIAL_AMPLITUDE,
    SPLITS,
    _band_frequencies,
    _waves,
    syn_bands,
)
from dataprints.data.synthetic_bands import (
    special_frequencies as standard_frequencies,
)

GENERATORS = ("standard", "balanced")
BACKGROUND_WAVES = 6  # random background sinusoids per image, as in the standard generator


def _check(band: int, generator: str) -> None:
    if generator not in GENERATORS:
        raise ValueError(f"unknown Syn generator {generator!r}; choose one of: "
                         f"{', '.join(GENERATORS)}")
    if band not in range(1, N_BANDS + 1):
        raise ValueError(f"band must be one of 1..{N_BANDS}, got {band}")


def special_frequencies(band: int, seed: int = 0, generator: str = "standard",
                        ) -> list[list[tuple[int, int]]]:
    """Per class, its special (k_row, k_col) frequencies in Syn_B``band`` of ``generator``."""
    _check(band, generator)
    if generator == "standard":
        return standard_frequencies(band, seed)
    candidates = _band_frequencies(band)
    rng = np.random.default_rng([seed, band, 11])
    f = [tuple(int(v) for v in candidates[i]) for i in rng.choice(len(candidates), 10, False)]
    return [[f[0], f[1], f[2]], [f[2], f[3], f[4]], [f[4], f[5], f[6]], [f[7], f[8], f[9]]]


def syn_set(band: int, split: str, n_per_class: int, seed: int = 0,
            generator: str = "standard") -> ImageSet:
    """Syn_B``band`` (uint8) from ``generator``; "standard" is :func:`syn_bands` itself."""
    _check(band, generator)
    if generator == "standard":
        return syn_bands(band, split, n_per_class, seed)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    if n_per_class < 1:
        raise ValueError(f"need n_per_class >= 1, got {n_per_class}")
    rng = np.random.default_rng([seed, band, SPLITS[split], 11])
    pool = np.concatenate([_band_frequencies(b) for b in range(1, N_BANDS + 1)])
    images = []
    for freqs in special_frequencies(band, seed, generator):
        n = n_per_class
        amp = SPECIAL_AMPLITUDE * rng.uniform(0.7, 1.3, (n, len(freqs)))
        img = _waves(rng, np.broadcast_to(np.array(freqs), (n, len(freqs), 2)), amp)
        bg = pool[rng.integers(0, len(pool), (n, BACKGROUND_WAVES))]
        img += _waves(rng, bg, rng.uniform(0, BACKGROUND_AMPLITUDE, (n, BACKGROUND_WAVES)))
        images.append(img)
    x = np.round(np.clip(0.5 + np.concatenate(images), 0, 1) * 255).astype(np.uint8)
    y = np.repeat(np.arange(N_CLASSES), n_per_class)
    return ImageSet(torch.from_numpy(x), torch.from_numpy(y), CLASSES, f"syn_b{band}_balanced",
                    f"generated:balanced(band={band}, split={split}, seed={seed})")
