"""The cross-method chapter's logic: the detection rule and the agreement matrix on generated
readings (seconds), and the planted properties on generated images."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dataprints.crossmethod import agreement
from dataprints.crossmethod.agreement import agreement_matrix, compare, diagnostic_cell
from dataprints.crossmethod.family import readings
from dataprints.crossmethod.planted import PROPERTIES, PlantedSet, grating, plant
from dataprints.data import ImageSet
from dataprints.frequency.spectra import amplitude


def seeds(n: int, mean: float, sd: float, seed: int) -> list[float]:
    return (mean + sd * np.random.default_rng(seed).standard_normal(n)).tolist()


def test_a_large_consistent_shift_is_detected_and_no_shift_is_not():
    clean = seeds(5, 10.0, 1.0, 0)
    shifted = [c + 6.0 + e for c, e in zip(clean, seeds(5, 0, 0.3, 1), strict=True)]
    c = compare("r", shifted, clean)
    assert c.verdict == "detected" and c.effect > agreement.MIN_EFFECT and c.positive == 5
    assert c.lo > 0 and c.sign_p == pytest.approx(1 / 32)
    down = compare("r", [2 * c_ - s for c_, s in zip(clean, shifted, strict=True)], clean)
    assert down.verdict == "detected" and down.effect < -agreement.MIN_EFFECT  # either sign
    same = compare("r", seeds(5, 10.0, 1.0, 2), clean)
    assert same.verdict == "not detected"


def test_consistent_but_small_shift_is_not_detected():
    # the interval excludes 0 (paired noise is tiny) but the shift is under 2 clean spreads
    clean = seeds(4, 0.0, 1.0, 3)
    c = compare("r", [v + 0.5 for v in clean], clean)
    assert c.lo > 0 or c.sd_diff == 0
    assert abs(c.effect) < agreement.MIN_EFFECT and c.verdict == "not detected"


def test_large_but_inconsistent_shift_is_not_detected():
    clean = [0.0, 0.1, -0.1]
    c = compare("r", [5.0, -4.0, 3.0], clean)  # effect 13 clean spreads, signs disagree
    assert abs(c.effect) >= agreement.MIN_EFFECT and c.verdict == "not detected"


def test_too_few_seeds_and_undefined_readings():
    assert compare("r", [5.0, 6.0], [0.0, 0.1]).verdict == "too few seeds"
    c = compare("r", [5.0, None, 6.0, 7.0], [0.0, 1.0, math.nan, 0.2])
    assert c.n == 2 and c.verdict == "too few seeds"
    with pytest.raises(ValueError, match="pair seed by seed"):
        compare("r", [1.0], [1.0, 2.0])


def test_clean_models_that_never_vary():
    # a count that is 0 for every clean model and 3 for every planted one: detected, effect inf
    c = compare("count", [3.0, 3.0, 3.0], [0.0, 0.0, 0.0])
    assert c.verdict == "detected" and c.effect == math.inf
    assert compare("count", [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]).verdict == "not detected"


def test_bonferroni_over_a_diagnostics_readings():
    # a shift the single-reading rule detects at n = 3 but eight tests at once do not
    clean = [0.0, 1.0, 2.0]
    planted = [c + d for c, d in zip(clean, [4.0, 5.5, 7.0], strict=True)]
    assert compare("m", planted, clean).verdict == "detected"
    many = {f"m{i}": clean for i in range(8)}
    cell = diagnostic_cell({**many, "m0": planted}, many)
    assert cell["tests"] == 8 and cell["verdict"] == "not detected"
    assert cell["shown"] == "m0"  # the largest effect is shown even when nothing is detected
    strong = [c + d for c, d in zip(clean, [20.0, 20.5, 21.0], strict=True)]
    cell = diagnostic_cell({**many, "m3": strong}, many)
    assert cell["verdict"] == "detected" and cell["detected_by"] == ["m3"]


def test_matrix_on_generated_family():
    """Planted effects on known (property, diagnostic) cells are found, and only those."""
    n = 5
    clean = {"a": {"x": seeds(n, 0, 1, 10)}, "b": {"y": seeds(n, 5, 0.5, 11),
                                                   "z": seeds(n, 1, 0.2, 12)}}
    noise = iter(range(100, 200))

    def like_clean(shift: dict[str, float]) -> dict[str, dict[str, list[float]]]:
        return {d: {r: [v + shift.get(r, 0.0) + e for v, e in
                        zip(vals, seeds(n, 0, 0.1, next(noise)), strict=True)]
                    for r, vals in readings.items()} for d, readings in clean.items()}

    planted = {"p1": like_clean({"x": 5.0}), "p2": like_clean({"z": -2.0}),
               "none": like_clean({})}
    m = agreement_matrix(planted, clean)
    verdicts = {(p, d): cell["verdict"] for p, cells in m.items() for d, cell in cells.items()}
    assert verdicts == {("p1", "a"): "detected", ("p1", "b"): "not detected",
                        ("p2", "a"): "not detected", ("p2", "b"): "detected",
                        ("none", "a"): "not detected", ("none", "b"): "not detected"}
    assert m["p2"]["b"]["detected_by"] == ["z"] and m["p2"]["b"]["effect"] < 0
    assert agreement.counts(m) == {"a": 1, "b": 1, "all": 2}
    assert agreement.counts({"p": {"a": {"verdict": "not detected"}}}) == {"a": 0, "all": 0}
    with pytest.raises(ValueError, match="diagnostics"):
        agreement_matrix({"p": {"a": clean["a"]}}, clean)


def test_per_seed_claim_replicates():
    clean = [0.0, 1.0, 2.0]  # sd 1
    assert agreement.per_seed_beyond([3.0, 1.5, -1.0], clean, +1) == [True, False, False]
    assert agreement.per_seed_beyond([-3.0, None, 2.0], clean, -1) == [True, False, False]
    with pytest.raises(ValueError, match="direction"):
        agreement.per_seed_beyond(clean, clean, 0)


def images(n: int = 8, seed: int = 0) -> ImageSet:
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 3, 32, 32, generator=gen) * 255).to(torch.uint8)
    return ImageSet(x, torch.arange(n) % 2, ("a", "b"), "generated", "generated")


def test_each_property_changes_what_it_says_and_nothing_else():
    base = images()
    for prop in PROPERTIES:
        out = plant(base, prop, seed=0, train=True)
        changed = (out.x != base.x).any(dim=(1, 2, 3))
        if prop == "control":
            assert not changed.any() and torch.equal(out.y, base.y)
        elif prop == "label_noise":
            assert not changed.any()
            assert int((out.y != base.y).sum()) == round(0.3 * len(base))
            assert torch.equal(plant(base, prop, 0, train=False).y, base.y)  # held out: clean
        elif prop == "frequency":
            assert torch.equal(changed, base.y == 1)  # label 1 only
        else:
            assert changed.all() and torch.equal(out.y, base.y)
    with pytest.raises(ValueError, match="unknown property"):
        plant(base, "sharpen", 0, True)


def test_the_grating_puts_energy_at_one_frequency():
    flat = torch.full((4, 3, 32, 32), 0.5)
    amp = amplitude(grating(flat, seed=0) - flat).mean(dim=(0, 1))  # (32, 32), centred
    top = torch.topk(amp.flatten(), 2).values
    assert top[1] > 0.5 * top[0]  # a conjugate pair dominates
    assert float(amp.flatten().sort().values[-3]) < 0.2 * float(top[1])
    with pytest.raises(ValueError, match="32x32"):
        grating(torch.zeros(1, 3, 16, 16), 0)


def test_planted_set_refuses_bad_specs():
    with pytest.raises(ValueError, match="unknown property"):
        PlantedSet("sharpen", 10, 10, 0)
    with pytest.raises(ValueError, match="CIFAR-10"):
        PlantedSet("blur", 10, 10, 0, task="mnist_even_odd")
    with pytest.raises(ValueError, match=">= 1"):
        PlantedSet("blur", 0, 10, 0)


def test_readings_of_a_section_that_could_not_compute_are_undefined():
    cnn = {"early": {"metrics": {"roughness": 0.5, "noise_sigma": None}},
           "anomaly": {"anomaly_filters": 3},
           "frequency": {"rates": [{"TPR DFM": 0.9, "FPR DFM": 0.2},
                                   {"TPR DFM": None, "FPR DFM": 0.1}]}}
    mlp = {"reconstruction": {"best_k_ssim": 0.5, "null_mean_image": 0.2,
                              "null_held_out_images": 0.3}}
    r = readings(cnn, mlp)
    assert r["frequency"]["shortcut_strength"] == pytest.approx(0.7)
    assert r["reconstruction"]["ssim_above_nulls"] == pytest.approx(0.2)  # above the larger null
    assert r["anomaly"]["count"] == 3.0 and r["early"]["noise_sigma"] is None
    mlp["reconstruction"]["best_k_ssim"] = None  # a reconstruction that diverged (NaN)
    assert readings(cnn, mlp)["reconstruction"]["ssim_above_nulls"] is None
