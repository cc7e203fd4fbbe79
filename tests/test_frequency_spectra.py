"""Spectra, radial bands, band-stop filtering and the ADCS (Wang et al., Eq. 1)."""

from __future__ import annotations

import pytest
import torch

from dataprints.frequency.adcs import adcs, adcs_authors_variant, class_mean_amplitude
from dataprints.frequency.spectra import (
    amplitude,
    band_index,
    band_stop,
    conjugate_index,
    keep_only,
    spectrum,
)


def wave(kr: int, kc: int, size: int = 32) -> torch.Tensor:
    g = torch.arange(size, dtype=torch.float64)
    return torch.cos(2 * torch.pi * (kr * g[:, None] + kc * g[None, :]) / size)


def test_single_wave_peaks_at_its_frequency_and_partner() -> None:
    amp = amplitude(wave(3, -2)[None, None])[0, 0]
    peaks = {tuple(p) for p in torch.nonzero(amp > 1).tolist()}
    assert peaks == {(16 + 3, 16 - 2), (16 - 3, 16 + 2)}
    partner = conjugate_index(32).reshape(-1)[(16 + 3) * 32 + 16 - 2]
    assert divmod(int(partner), 32) == (16 - 3, 16 + 2)


def test_bands_are_equal_width_rings_with_corners_in_the_last() -> None:
    bands = band_index(32, 4)
    assert bands[16, 16] == 1 and bands[16, 16 + 4] == 2 and bands[16, 16 + 15] == 4
    assert bands[0, 0] == 4  # beyond Nyquist
    assert set(bands.unique().tolist()) == {1, 2, 3, 4}
    with pytest.raises(ValueError, match="n_bands"):
        band_index(32, 0)


def test_band_stop_removes_only_the_named_bands_and_keeps_the_mean() -> None:
    x = (0.3 + wave(1, 2) + wave(0, 6) + wave(9, 9))[None, None]  # bands 1, 2, 4
    out = band_stop(x, [2, 3])
    assert torch.allclose(out, (0.3 + wave(1, 2) + wave(9, 9))[None, None], atol=1e-9)
    with pytest.raises(ValueError, match="1..4"):
        band_stop(x, [5])


def test_keep_only_everything_is_identity_and_checks_shape() -> None:
    x = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    assert torch.allclose(keep_only(x, torch.ones(32, 32, dtype=torch.bool)), x, atol=1e-12)
    with pytest.raises(ValueError, match="mask has shape"):
        keep_only(x, torch.ones(16, 16, dtype=torch.bool))
    assert torch.allclose(spectrum(x).abs(), amplitude(x))


def test_adcs_marks_the_class_with_more_energy_and_stays_in_range() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(30, 3, 32, 32, generator=g, dtype=torch.float64) * 0.1
    y = torch.arange(30) % 3
    x[y == 2] += wave(4, 1)  # class 2 alone has this frequency
    a = adcs(x, y, 3)
    assert a.shape == (3, 32, 32)
    assert a.min() >= -2 and a.max() <= 2
    assert a[2, 16 + 4, 16 + 1] == 2 and a[0, 16 + 4, 16 + 1] <= 0


def test_authors_code_variant_is_the_paper_formula_minus_one() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(40, 3, 32, 32, generator=g)
    y = torch.arange(40) % 4
    assert torch.allclose(adcs_authors_variant(x, y, 4), adcs(x, y, 4) - 1)


def test_class_mean_amplitude_needs_every_class() -> None:
    x = torch.rand(4, 3, 8, 8)
    with pytest.raises(ValueError, match="every class"):
        class_mean_amplitude(x, torch.tensor([0, 0, 1, 1]), 3)
