"""The pieces the reference profile added: the balanced Syn generator, grouped augmentation, the
batch-normalised CNN, per-seed shortcut summaries, DFM overlap across seeds and the claims that
read them (each both ways, and the premises that make a claim not applicable)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dataprints.data import ImageSet
from dataprints.data.synthetic_bands import DISTINCTIVE
from dataprints.frequency import claims
from dataprints.frequency.adcs import adcs, adcs_replicates
from dataprints.frequency.augment import make_augment
from dataprints.frequency.balanced import special_frequencies, syn_set
from dataprints.frequency.dfm import first_per_class
from dataprints.frequency.shortcuts import (
    class_summary,
    describe_classes,
    iou,
    ood_subset,
    rate_rows,
    seed_overlap,
)
from dataprints.frequency.spectra import amplitude, band_index
from dataprints.frequency.trained import SynData, build_arch, syn_splits


@pytest.mark.parametrize("band", [1, 4])
def test_balanced_generator_gives_every_class_three_equal_specials(band: int) -> None:
    specials = special_frequencies(band, 0, "balanced")
    assert [len(f) for f in specials] == [3, 3, 3, 3]
    bands = band_index(32)
    assert all(bands[16 + kr, 16 + kc] == band for fs in specials for kr, kc in fs)
    others = {f for c in range(3) for f in specials[c]}
    assert not set(specials[DISTINCTIVE]) & others  # C3's are its own ...
    assert set(specials[0]) & set(specials[1]) and set(specials[1]) & set(specials[2])
    ds = syn_set(band, "train", 80, 0, "balanced")
    assert ds.y.bincount().tolist() == [80] * 4
    # ... but no stronger: the class-mean amplitude at its own unique frequencies is about the
    # same for C3 as for C0 (in the standard generator C3's is about 5/3 of the others')
    mean_amp = [amplitude(ds.float()[ds.y == c].mean(1)).mean(0) for c in range(4)]
    unique = {c: [f for f in specials[c] if sum(f in s for s in specials) == 1] for c in (0, 3)}
    at = {c: sum(float(mean_amp[c][16 + kr, 16 + kc]) for kr, kc in unique[c]) / len(unique[c])
          for c in (0, 3)}
    assert 0.8 < at[3] / at[0] < 1.25
    assert torch.equal(syn_set(band, "train", 5, 0, "balanced").x,
                       syn_set(band, "train", 5, 0, "balanced").x)


def test_standard_generator_is_the_data_module_and_unknown_ones_are_refused() -> None:
    from dataprints.data.synthetic_bands import syn_bands

    assert torch.equal(syn_set(2, "test", 4).x, syn_bands(2, "test", 4).x)
    with pytest.raises(ValueError, match="choose one of: standard, balanced"):
        syn_set(1, "train", 4, 0, "even")
    with pytest.raises(ValueError, match="choose one of"):
        SynData(1, 4, 2, 0, "even")
    a, b = syn_splits(1, 4, 2, 0, "standard"), syn_splits(1, 4, 2, 0, "balanced")
    assert not torch.equal(a.train[0], b.train[0])


def test_grouped_policies_keep_shape_are_seeded_and_draw_per_group() -> None:
    x = torch.randn(32, 3, 32, 32)
    for name in ("autoaugment", "augmix"):
        for group in (1, 16):
            aug = make_augment(name, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), group)
            torch.manual_seed(3)
            first = aug(x, torch.Generator().manual_seed(0))
            torch.manual_seed(3)
            assert torch.equal(first, aug(x, torch.Generator().manual_seed(0)))
            assert first.shape == x.shape
    with pytest.raises(ValueError, match="group"):
        make_augment("augmix", (0.5,), (0.2,), 0)


def test_batch_normalised_cnn_is_built_by_name_and_layout_free() -> None:
    torch.manual_seed(0)
    model = build_arch("simple_cnn_bn", 3, 32, 10).eval()
    x = torch.randn(5, 3, 32, 32)
    out = model(x)
    assert out.shape == (5, 10)
    torch.testing.assert_close(out, model(x.contiguous(memory_format=torch.channels_last)))
    assert build_arch("simple_cnn", 3, 32, 4)(x).shape == (5, 4)
    with pytest.raises(ValueError, match="simple_cnn_bn"):
        build_arch("vgg", 3, 32, 10)
    with pytest.raises(ValueError, match="too small"):
        build_arch("simple_cnn_bn", 3, 8, 10)


class Fixed(nn.Module):
    """Predicts ``pred[i]`` for the i-th image of the batch it was built for."""

    def __init__(self, pred: torch.Tensor, k: int) -> None:
        super().__init__()
        self.pred, self.k, self.w = pred, k, nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(self.pred[:len(x)], self.k).float() + self.w


def test_rate_rows_carry_wilson_intervals_around_each_rate() -> None:
    y = torch.tensor([0] * 10 + [1] * 10)
    pred = torch.tensor([0] * 7 + [1] * 3 + [1] * 10)
    rows = rate_rows(Fixed(pred, 2), "m", torch.zeros(20, 1, 4, 4), y,
                     torch.ones(2, 4, 4, dtype=torch.bool), ["a", "b"], seed=3)
    a = rows[0]
    assert a["seed"] == 3 and a["TPR DFM"] == pytest.approx(0.7) and a["images"] == 10
    assert a["TPR DFM low"] < 0.7 < a["TPR DFM high"] and a["FPR DFM low"] == 0.0
    assert rows[1]["FPR DFM"] == pytest.approx(0.3)


def row(model: str, seed: int, cls: str, tpr: float, fpr: float) -> dict:
    return {"model": model, "seed": seed, "class": cls, "TPR DFM": tpr, "FPR DFM": fpr}


def test_per_seed_shortcuts_summaries_and_majorities() -> None:
    rows = [row("m", 0, "ship", 0.8, 0.05), row("m", 1, "ship", 0.7, 0.02),
            row("m", 2, "ship", 0.5, 0.01), row("m", 0, "horse", 0.9, 0.3),
            row("m", 1, "horse", 0.9, 0.05), row("m", 2, "horse", 0.1, 0.0)]
    assert claims.strong_shortcuts(rows, "m", 0) == ["ship"]
    assert claims.strong_shortcuts(rows, "m", 1) == ["ship", "horse"]
    assert claims.strong_shortcuts(rows, "m", 2) == []
    summary = class_summary(rows, "m", claims.is_shortcut)
    assert summary["ship"]["shortcut_seeds"] == 2 and summary["ship"]["seeds"] == 3
    assert summary["ship"]["tpr_dfm"] == pytest.approx(2 / 3)
    assert claims.majority_shortcuts(summary) == ["ship"]  # horse: 1 of 3
    text = describe_classes(summary, ["ship"])
    assert text.startswith("ship TPR 0.67 ± 0.15 / FPR 0.027") and "2 of 3 seeds" in text
    one = class_summary(rows[:1], "m", claims.is_shortcut)
    assert "±" not in describe_classes(one, ["ship"])
    with pytest.raises(ValueError, match="no rates"):
        class_summary(rows, "other", claims.is_shortcut)
    assert claims.not_a_shortcut("ship", summary, "m") == ""
    assert "horse is not a shortcut of m (in 1 of 3" in claims.not_a_shortcut("horse", summary,
                                                                             "m")


def test_augmentation_moves_and_effects() -> None:
    plain = {"ship": {"shortcut_seeds": 3, "seeds": 3}, "horse": {"shortcut_seeds": 2,
                                                                  "seeds": 3},
             "cat": {"shortcut_seeds": 0, "seeds": 3}, "dog": {"shortcut_seeds": 0, "seeds": 3}}
    aug = {"ship": {"shortcut_seeds": 1, "seeds": 1}, "horse": {"shortcut_seeds": 0, "seeds": 1},
           "cat": {"shortcut_seeds": 1, "seeds": 1}, "dog": {"shortcut_seeds": 0, "seeds": 1}}
    assert claims.augment_changes(plain, aug) == {"ship": "kept", "horse": "removed",
                                                  "cat": "new", "dog": "none"}
    assert claims.effect_holds("worse", [0.9, 0.5], 0.7) == [True, False]
    assert claims.effect_holds("mitigated", [0.9, 0.5], 0.7) == [False, True]
    with pytest.raises(ValueError, match="effect"):
        claims.effect_holds("same", [0.5], 0.5)
    ids = {claims.augment_effect_claim(a, c, e).id for a, c, e in claims.AUGMENT_EFFECTS}
    assert "wang.natural.augmix.ship_worse" in ids and len(ids) == 4
    assert claims.class_shortcut_claim("ship").statement.startswith("Container ship")


def test_adcs_extremes_and_replicates() -> None:
    maps = torch.zeros(3, 5, 5)
    maps[0] = 2.0
    maps[1] = -2.0
    maps[1, :2] = 1.0  # 10 of 24 non-DC positions positive: neither mostly positive nor negative
    maps[2, 2, 2] = 9.0  # DC does not count
    assert claims.adcs_extremes(maps) == ([0], [])
    maps[1, :2] = -1.0
    assert claims.adcs_extremes(maps) == ([0], [1])
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(40, 3, 8, 8, generator=g), torch.arange(40) % 4
    parts = adcs_replicates(x, y, 4, 5)
    assert len(parts) == 5 and parts[0].shape == (4, 8, 8)
    assert not torch.equal(parts[0], parts[1])
    torch.testing.assert_close(adcs_replicates(x, y, 4, 1)[0], adcs(x, y, 4))
    with pytest.raises(ValueError, match="fewer than the 20"):
        adcs_replicates(x, y, 4, 20)


def test_dfm_overlap_across_seeds_against_other_classes() -> None:
    a = torch.zeros(2, 4, 4, dtype=torch.bool)
    a[0, 0, :2] = True
    a[1, 3, :2] = True
    assert iou(a[0], a[0]) == 1.0 and iou(a[0], a[1]) == 0.0
    assert iou(torch.zeros(2, 2, dtype=torch.bool), torch.zeros(2, 2, dtype=torch.bool)) == 1.0
    same = seed_overlap({0: a, 1: a.clone(), 2: a.clone()})
    assert same["same_class"] == [1.0, 1.0] and same["other_class_mean"] == 0.0
    assert same["seed_pairs"] == 3
    shuffled = seed_overlap({0: a, 1: a.flip(0)})  # the classes' maps swapped in seed 1
    assert shuffled["same_class_mean"] == 0.0 and shuffled["other_class_mean"] == 1.0
    with pytest.raises(ValueError, match="two seeds"):
        seed_overlap({0: a})


def test_ood_subset_and_first_images_per_class() -> None:
    y = torch.tensor([0] * 5 + [1] * 3)
    data = ImageSet(torch.zeros(8, 3, 4, 4, dtype=torch.uint8), y, ("a", "b"), "toy", "test")
    assert ood_subset(data, 8, 0) is data and ood_subset(data, 100, 0) is data
    assert ood_subset(data, 4, 0).y.bincount().tolist() == [2, 2]
    assert first_per_class(y, 4, 2).tolist() == [0, 1, 2, 3, 5, 6, 7]
    with pytest.raises(ValueError, match="at least one"):
        first_per_class(y, 0, 2)


def test_synthetic_claims_name_their_generator() -> None:
    standard, balanced = claims.c3_first_claim("simple_cnn"), claims.c3_first_claim(
        "simple_cnn", "balanced")
    assert standard.id == "wang.synthetic.c3_first.simple_cnn" and not standard.central
    assert balanced.id == "wang.synthetic.c3_first_balanced.simple_cnn" and balanced.central
    bandstop = claims.bandstop_claim("m", "balanced")
    assert bandstop.id == "wang.synthetic.bandstop_shortcut_balanced.m"
    assert set(claims.C3_FIRST_NOTE) == {"standard", "balanced"}


def test_coarse_to_fine_search_finds_the_exhaustive_peak_with_fewer_masks() -> None:
    from test_frequency_dfm import WaveDetector, wave_data

    from dataprints.frequency.dfm import cull_masks, hierarchical_losses, mask_losses

    model, (x, y) = WaveDetector(), wave_data()
    masks, owner = cull_masks(16, 1)
    for c in range(3):
        scores, used = hierarchical_losses(model, x[y == c], c, (4, 2, 1), top=0.05)
        exhaustive = mask_losses(model, x[y == c], c, masks)[owner]
        assert 2 * used <= len(masks)
        assert int(scores.argmax()) == int(exhaustive.argmax())
        assert float(scores.max()) == pytest.approx(float(exhaustive.max()))
        evaluated = torch.isfinite(scores)
        torch.testing.assert_close(scores[evaluated], exhaustive[evaluated])
    with pytest.raises(ValueError, match="ending at 1"):
        hierarchical_losses(model, x[:2], 0, (4, 2))
