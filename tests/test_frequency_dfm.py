"""Dominant frequency maps: masks, batched = naive losses, top-k maps, TPR/FPR."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dataprints.frequency.dfm import (
    cached_dfm_scores,
    class_rates,
    cull_masks,
    dfm_rates,
    dfm_scores,
    dominant_frequency_maps,
    mask_losses,
    mask_losses_loop,
)
from dataprints.frequency.spectra import conjugate_index


def wave(kr: int, kc: int, size: int = 16) -> torch.Tensor:
    g = torch.arange(size, dtype=torch.float32)
    return torch.cos(2 * torch.pi * (kr * g[:, None] + kc * g[None, :]) / size)


class WaveDetector(nn.Module):
    """Class k's logit is the energy of the image at its own frequency FREQS[k]."""

    FREQS = ((2, 1), (0, 5), (4, -3))

    def __init__(self) -> None:
        super().__init__()
        self.templates = nn.Parameter(torch.stack(
            [torch.stack([wave(*f), wave(*f).roll(1, 0)]) for f in self.FREQS]))  # (K, 2, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = torch.einsum("nchw,kphw->nkp", x, self.templates)  # (N, K, 2)
        return proj.pow(2).sum(-1) / 100.0


def wave_data(n: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n * 3) % 3
    x = 0.2 * torch.randn(len(y), 1, 16, 16, generator=g)
    for i, label in enumerate(y.tolist()):
        x[i, 0] += wave(*WaveDetector.FREQS[label])
    return x, y


def test_single_frequency_masks_pair_each_position_with_its_partner() -> None:
    masks, owner = cull_masks(32, 1)
    assert len(masks) == (32 * 32 - 4) // 2 + 4  # 4 positions are their own partners
    partner = conjugate_index(32).reshape(-1)
    flat = masks.reshape(len(masks), -1)
    for p in (0, 17, 500, 1023):
        m = flat[owner.reshape(-1)[p]]
        assert m[p] and m[partner[p]] and int(m.sum()) <= 2


def test_coarse_masks_cover_blocks_and_reject_bad_patch() -> None:
    masks, owner = cull_masks(16, 4)
    assert masks[owner[0, 0]][:4, :4].all()
    assert masks.sum(dim=(1, 2)).max() <= 2 * 16
    with pytest.raises(ValueError, match="divisor"):
        cull_masks(16, 3)


def test_batched_losses_equal_the_naive_loop() -> None:
    model = WaveDetector()
    x, y = wave_data()
    masks, _ = cull_masks(16, 1)
    xc = x[y == 1]
    fast = mask_losses(model, xc, 1, masks, chunk=64)
    slow = mask_losses_loop(model, xc, 1, masks)
    assert torch.allclose(fast, slow, rtol=1e-4, atol=1e-5)


def test_dfm_finds_the_frequency_the_model_relies_on(tmp_path, isolated_cache) -> None:
    model = WaveDetector()
    x, y = wave_data()
    scores = dfm_scores(model, x, y, 3, patch=1, progress=False)
    dfms = dominant_frequency_maps(scores, top=0.01)  # ceil(2.56) = 3 positions at least
    for k, (kr, kc) in enumerate(WaveDetector.FREQS):
        assert dfms[k, 8 + kr, 8 + kc] and dfms[k, 8 - kr, 8 - kc]
    again = cached_dfm_scores(tmp_path, model, x, y, 3, progress=False)
    assert torch.equal(again, scores)
    assert len(list((isolated_cache / "artifacts").glob("DfmScores-*/tensors.pt"))) == 1
    assert torch.equal(cached_dfm_scores(tmp_path, model, x, y, 3, progress=False), scores)
    tpr, fpr = dfm_rates(model, x, y, dfms)
    assert min(tpr) == 1.0 and max(fpr) == 0.0  # each DFM alone keeps its class, and only it


def test_top_fraction_and_ties() -> None:
    scores = torch.arange(100.0).reshape(1, 10, 10)
    assert int(dominant_frequency_maps(scores, 0.05).sum()) == 5
    assert int(dominant_frequency_maps(torch.zeros(1, 10, 10), 0.05).sum()) == 100  # all tie
    with pytest.raises(ValueError, match="top"):
        dominant_frequency_maps(scores, 0.0)


def test_class_rates_and_baseline() -> None:
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    pred = torch.tensor([0, 1, 1, 1, 0, 2])
    assert class_rates(pred, y, 0) == (0.5, 0.25)
    assert class_rates(pred, y, 1) == (1.0, 0.25)
    model = WaveDetector()
    x, yy = wave_data()
    tpr, fpr = dfm_rates(model, x, yy, None)
    assert tpr == [1.0, 1.0, 1.0] and fpr == [0.0, 0.0, 0.0]
