"""The frequency chapter's claims, band-stop tables and TPR/FPR tables, on generated outcomes:
each "ours" function both ways, and the premises that make a claim not applicable."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dataprints.data.synthetic_bands import DISTINCTIVE, syn_bands
from dataprints.frequency import claims
from dataprints.frequency.adcs import adcs
from dataprints.frequency.bandstop import (
    STOPS,
    band_stop_confusions,
    confusion,
    delta,
    keep_table,
    survivors,
)
from dataprints.frequency.shortcuts import dfm_positions, ood_rows, rate_rows
from dataprints.frequency.trained import syn_splits
from dataprints.results import Results


def test_adcs_sanity_checks_on_generated_maps():
    maps = [torch.full((4, 8, 8), 3.0), -torch.full((4, 8, 8), 3.0)]
    assert claims.adcs_in_range(maps, 4)
    assert not claims.adcs_in_range([torch.full((4, 8, 8), 4.0)], 4)
    assert claims.offset_is_minus_one({1: -1.0, 2: -1.0 + 1e-9})
    assert not claims.offset_is_minus_one({1: -1.0, 2: 0.0})
    with pytest.raises(ValueError, match="no dataset"):
        claims.offset_is_minus_one({})
    for claim in (claims.ADCS_RANGE, claims.ADCS_CODE_OFFSET, claims.SPECIALS_IN_BAND,
                  claims.C3_TOPS_ADCS, claims.OOD_TPR_DROPS):
        assert claim.kind == "sanity"


def test_generator_checks_on_our_syn_sets():
    maps = {b: adcs(syn_bands(b, "train", 30, 0).float(), syn_bands(b, "train", 30, 0).y, 4)
            for b in (1, 4)}
    rows = claims.special_band_rows(maps, seed=0)
    assert len(rows) == 8 and claims.specials_in_band(rows)
    assert not claims.specials_in_band([{**rows[0], "bands": [rows[0]["band"], 4]}])
    assert claims.c3_tops_adcs(maps, seed=0)
    flat = {b: torch.zeros_like(m) for b, m in maps.items()}
    assert not claims.c3_tops_adcs(flat, seed=0)


def test_c3_first_needs_every_dataset():
    assert claims.c3_first([DISTINCTIVE] * 4)
    assert not claims.c3_first([DISTINCTIVE, DISTINCTIVE, 0, DISTINCTIVE])
    with pytest.raises(ValueError, match="no dataset"):
        claims.c3_first([])
    assert claims.c3_first_claim("simple_cnn").id == "wang.synthetic.c3_first.simple_cnn"


def test_confusion_delta_and_survivors():
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    original = confusion(y.clone(), y)
    assert original.diag().tolist() == [2, 2, 2, 2] and original.sum() == 8
    stopped = confusion(torch.tensor([0, 1, 1, 1, 2, 2, 3, 1]), y)
    d = delta(original, stopped)
    assert d[0, 0] == -50 and d[0, 1] == 50 and d[3, 3] == -50
    with pytest.raises(ValueError, match="differ"):
        confusion(y[:3], y)
    rows = keep_table({(2, (1, 2)): (original, stopped), (2, (3, 4)): (original, original)},
                      keep_fraction=0.8)
    assert len(rows) == 8 and rows[0]["own band removed"] and not rows[4]["own band removed"]
    c1 = rows[1]
    assert c1["class"] == "C1" and c1["kept"] and c1["FPR band-stop"] == pytest.approx(2 / 6)
    # C1 kept its TPR but is now predicted for others too (FPR above 0.2); C2 kept it cleanly
    assert [r["class"] for r in survivors(rows)] == ["C2"]
    with pytest.raises(ValueError, match="share"):
        keep_table({}, keep_fraction=1.5)


def test_bandstop_claim_is_the_papers_class():
    claim = claims.bandstop_claim("simple_cnn")
    assert claim.id == "wang.synthetic.bandstop_shortcut.simple_cnn"
    assert claim.statement.startswith(claims.SHORTCUT_CLASS)
    assert claims.shortcut_class_survives([{"class": "C2"}])
    assert not claims.shortcut_class_survives([{"class": "C0"}, {"class": "C3"}])
    assert not claims.shortcut_class_survives([])


class Constant(nn.Module):
    """Predicts class ``c`` for every image."""

    def __init__(self, c: int, k: int = 4) -> None:
        super().__init__()
        self.c, self.k, self.w = c, k, nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(len(x), self.k) + self.w
        out[:, self.c] = 1.0
        return out


def test_band_stop_confusions_on_a_syn_set():
    data = syn_splits(1, 4, 3, seed=0)
    out = band_stop_confusions(Constant(2), data)
    assert list(out) == list(STOPS)
    original, stopped = out[1, 2]
    assert original[:, 2].tolist() == [3, 3, 3, 3] and torch.equal(original, stopped)


def test_rate_tables_and_the_shortcut_rule():
    x, y = torch.randn(8, 3, 8, 8), torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    dfms = torch.ones(4, 8, 8, dtype=torch.bool)
    rows = rate_rows(Constant(1), "m", x, y, dfms, ["a", "b", "c", "d"])
    b = rows[1]
    assert b["TPR DFM"] == 1.0 and b["FPR DFM"] == 1.0  # predicted for everything: no shortcut
    assert claims.strong_shortcuts(rows, "m") == []
    assert claims.mean_rates(rows, "m") == (0.25, 0.25)
    crafted = [{"model": "m", "class": "zebra", "TPR DFM": 0.9, "FPR DFM": 0.02},
               {"model": "m", "class": "ox", "TPR DFM": 0.9, "FPR DFM": 0.3},
               {"model": "m", "class": "ship", "TPR DFM": 0.5, "FPR DFM": 0.0},
               {"model": "m+augmix", "class": "ship", "TPR DFM": 0.7, "FPR DFM": 0.05}]
    assert claims.strong_shortcuts(crafted, "m") == ["zebra"]
    assert claims.strong_shortcuts(crafted, "m+augmix") == ["ship"]
    with pytest.raises(ValueError, match="no rates"):
        claims.mean_rates(crafted, "other")
    assert dfm_positions(32, 0.05) == 52 and dfm_positions(224, 0.05) == 2509


def test_augmentation_claim_and_its_premise():
    assert claims.no_shortcut(["zebra"], "m") == ""
    assert "no class of m" in claims.no_shortcut([], "m")
    assert claims.augmented_keep_shortcuts({"m": ["zebra"], "m+aa": ["ship"],
                                            "m+augmix": ["zebra"]}, "m")
    assert not claims.augmented_keep_shortcuts({"m": ["zebra"], "m+aa": [], "m+augmix": ["x"]},
                                               "m")
    assert claims.augmented_keep_shortcuts({"m": ["zebra"]}, "m") is None
    res = Results("frequency/test")
    verdict = claims.claim_or_not_applicable(res, claims.AUGMENT_NOT_REMOVED, ours=False,
                                             absent=claims.no_shortcut([], "m"))
    assert verdict == "not applicable" and res.claims[0]["note"].startswith("no class")
    assert claims.claim_or_not_applicable(res, claims.SHORTCUT_EXISTS, ours=True) == "single run"
    assert claims.SHORTCUT_EXISTS.central


def ood_table(shortcut_tpr: float) -> list[dict]:
    rows = []
    for name in ("original", "grey", "sketch"):
        for cls, tpr, fpr in (("zebra", 0.9 if name == "original" else shortcut_tpr, 0.02),
                              ("ox", 0.3, 0.3)):
            rows.append({"test set": name, "class": cls, "TPR": 0.5, "TPR with DFM": tpr,
                         "FPR with DFM": fpr})
    return rows


def test_ood_transfer_needs_a_shortcut_on_the_unshifted_images():
    kept, lost = ood_table(0.7), ood_table(0.1)
    assert claims.ood_shortcuts(kept) == ["zebra"]
    assert claims.shortcuts_transfer(kept, ["zebra"])
    assert not claims.shortcuts_transfer(lost, ["zebra"])
    assert not claims.shortcuts_transfer(kept, [])
    assert claims.shifted_means(kept)["zebra"]["TPR with DFM"] == pytest.approx(0.7)
    assert claims.ood_shortcuts(ood_table(0.7)[1:]) == []  # no unshifted zebra row
    assert claims.tpr_drops({"original": 0.5, "grey": 0.4, "sketch": 0.3})
    assert not claims.tpr_drops({"original": 0.3, "grey": 0.4})
    with pytest.raises(ValueError, match="shifted set"):
        claims.tpr_drops({"original": 0.3})


def test_ood_rows_per_set_and_class():
    x, y = torch.randn(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    dfms = torch.ones(4, 8, 8, dtype=torch.bool)
    rows = ood_rows(Constant(0), {"original": (x, y), "grey": (x, y)}, dfms, list("abcd"))
    assert len(rows) == 8 and rows[0]["TPR"] == 1.0 and rows[4]["test set"] == "grey"
