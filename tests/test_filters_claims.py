"""The filters chapter's claims: each "ours" function on generated outcomes, both ways, and the
Table 1 helpers of the meta-model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dataprints.data.variants import VARIANTS
from dataprints.filters import claims
from dataprints.filters.metamodel import (
    label_spearman,
    table1,
    table1_by_trial,
    table1_experiments,
    table1_summary,
)
from dataprints.filters.metrics import METRICS
from dataprints.results import Results

TOY = {"grey_noise": {"saturation": 0.0, "roughness": 1.0},
       "blurred_noise_weak": {"saturation": 0.3, "roughness": 0.5},
       "blurred_noise_strong": {"saturation": 0.3, "roughness": 0.1},
       "solid_colour": {"saturation": 0.4, "roughness": 1e-7}}


def test_argument_check_needs_a_vanishing_residual():
    assert claims.argument_holds([1e-16, 3e-15])
    assert not claims.argument_holds([1e-16, 1e-3])
    with pytest.raises(ValueError, match="no gradient"):
        claims.argument_holds([])


def test_toy_checks_read_the_metric_table_both_ways():
    assert claims.toy_grey_desaturated(TOY)
    assert claims.toy_blur_smooths(TOY)
    assert claims.toy_constant_input(TOY)
    swapped = {**TOY, "blurred_noise_strong": {"saturation": 0.3, "roughness": 0.7}}
    assert not claims.toy_blur_smooths(swapped)
    coloured = {**TOY, "grey_noise": {"saturation": 0.2, "roughness": 1.0}}
    assert not claims.toy_grey_desaturated(coloured)
    rough = {**TOY, "solid_colour": {"saturation": 0.4, "roughness": 0.01}}
    assert not claims.toy_constant_input(rough)
    with pytest.raises(KeyError, match="grey_noise"):
        claims.toy_grey_desaturated({"solid_colour": TOY["solid_colour"]})


def test_toy_and_argument_claims_are_sanity_checks():
    for claim in (claims.PATCH_MULTIPLE, claims.TOY_GREY, claims.TOY_BLUR, claims.TOY_CONSTANT,
                  claims.VARIANTS_SOFTEN, claims.NOISE_ORDERED):
        assert claim.kind == "sanity" and not claim.central
    assert claims.PATCH_MULTIPLE.verdict(True) == "sanity ok"
    assert claims.TOY_BLUR.verdict(False) == "sanity failed"


def test_orderings_of_trained_updates_and_their_missing_variants():
    metrics = {"original": {"roughness": 1.0, "noise_sigma": 0.1},
               "blur_7_2": {"roughness": 0.4, "noise_sigma": 0.05},
               "noise_0.5": {"roughness": 1.5, "noise_sigma": 0.3}}
    assert claims.blur_smoother(metrics) and claims.noise_noisier(metrics)
    flipped = {**metrics, "blur_7_2": {"roughness": 1.2, "noise_sigma": 0.05},
               "noise_0.5": {"roughness": 1.5, "noise_sigma": 0.05}}
    assert claims.blur_smoother(flipped) is False and claims.noise_noisier(flipped) is False
    assert claims.blur_smoother({"original": metrics["original"]}) is None
    assert claims.noise_noisier({"original": metrics["original"]}) is None


def test_variant_checks():
    kinds = {n: v.kind for n, v in VARIANTS.items()}
    sigmas = {n: v.amount for n, v in VARIANTS.items() if v.kind == "noise"}
    props = {"original": {"sharpness": 1.0, "noisiness": 0.01},
             "blur_3_1": {"sharpness": 0.5, "noisiness": 0.005},
             "dilate_2": {"sharpness": 0.2, "noisiness": 0.004},
             "noise_0.1": {"sharpness": 5.0, "noisiness": 0.1},
             "noise_0.5": {"sharpness": 9.0, "noisiness": 0.4}}
    assert claims.variants_soften(props, kinds) and claims.noise_ordered(props, sigmas)
    sharper = {**props, "dilate_2": {"sharpness": 1.5, "noisiness": 0.004}}
    assert not claims.variants_soften(sharper, kinds)
    unordered = {**props, "noise_0.5": {"sharpness": 9.0, "noisiness": 0.05}}
    assert not claims.noise_ordered(unordered, sigmas)
    with pytest.raises(ValueError, match="noise variant"):
        claims.noise_ordered({"original": props["original"]}, sigmas)


def test_table1_claims_carry_the_papers_values_and_the_central_flag():
    sharp = claims.table1_claim("R50 → R18", "log10_sharpness", "finetune_adam")
    assert sharp.id == "jorgenson.table1.r50_r18.sharpness.finetune_adam"
    assert sharp.paper_value == 0.922 and "log10 sharpness" in sharp.statement
    assert sharp.central and sharp.kind == "value"
    assert not claims.table1_claim("R50 → R18", "log10_sharpness", "scratch").central
    assert not claims.table1_claim("R50 → R18", "scale", "finetune_adam").central
    noise = claims.table1_claim("others → ConvNeXt", "noisiness", "finetune_sgd")
    assert noise.paper_value == -0.082 and "log10" not in noise.statement
    with pytest.raises(ValueError, match="no cell"):
        claims.table1_claim("others → ConvNeXt", "scale", "scratch")
    with pytest.raises(ValueError, match="unknown setting"):
        claims.table1_claim("R50 → R18", "sharpness", "frozen")
    # a tight spread around the paper's value is reproduced; far away, it differs
    assert sharp.verdict([0.92, 0.93, 0.915]) == "reproduced"
    assert sharp.verdict([0.40, 0.42, 0.41]) == "differs"


def test_claims_per_setting_keep_kind_and_get_their_own_id():
    one = claims.in_setting(claims.SHARPNESS_TRANSFERS, "scratch")
    assert one.id == "jorgenson.table1.sharpness_transfers.scratch" and one.central
    assert one.kind == "holds" and one.statement.endswith("Setting: trained from scratch.")
    assert claims.transfers([0.7, 0.49, 0.5]) == [True, False, True]
    assert claims.fails_to_transfer([0.7, 0.49, -0.1]) == [False, True, True]


def test_paired_orderings_per_replicate():
    assert claims.below([0.1, 0.5], [0.6, 0.4]) == [True, False]
    assert claims.below([0.1, 0.5], [0.6, 0.9], gap=0.3) == [True, True]
    assert claims.below([0.1, 0.5], [0.3, 0.9], gap=0.3) == [False, True]
    assert claims.scale_weakest([0.1, 0.8], [0.9, 0.9], [0.5, 0.5]) == [True, False]
    with pytest.raises(ValueError, match="same replicates"):
        claims.below([0.1], [0.2, 0.3])
    verdict = claims.NOISE_BELOW_SHARPNESS.verdict(claims.below([0.1] * 5, [0.9] * 5))
    assert verdict == "reproduced"


def test_blur_order_and_rank_order_read_the_group_means():
    falling = {("c", "original"): (2.0, 2.1), ("c", "blur_3_1"): (1.5, 1.6),
               ("c", "blur_7_2"): (1.0, 1.2), ("c", "blur_11_3"): (0.5, 0.9),
               ("c", "blur_15_4"): (0.2, 0.3), ("c", "blur_19_5"): (0.1, 0.1)}
    assert claims.blur_order(falling) and claims.rank_order(falling)
    swapped = {**falling, ("c", "blur_3_1"): (1.5, 0.05)}  # the mildest blur predicted least
    assert not claims.blur_order(swapped)
    assert claims.blur_order({k: v for k, v in falling.items() if "blur_1" not in k[1]}) is None
    reversed_ = {k: (t, -p) for k, (t, p) in falling.items()}
    assert not claims.rank_order(reversed_)


def test_final_updates_and_set_comparisons_per_network():
    rows = [{"setting": "scratch", "arch": a, "trial": t, "base": b, "variant": "original",
             "epoch": e, "saturation": (0.1 if b == "fashion_mnist" else 0.5) * e}
            for a in ("x", "y") for t in (0, 1) for b in ("fashion_mnist", "cifar10")
            for e in (1, 2)]
    rows.append({**rows[0], "setting": "finetune_adam"})
    finals = claims.final_updates(rows, "scratch")
    assert len(finals) == 4 and finals["x", 0]["cifar10", "original"]["epoch"] == 2
    grey, colour = ("fashion_mnist", "original"), ("cifar10", "original")
    assert claims.compare_sets(finals, "saturation", grey, colour) == [True] * 4
    assert claims.compare_sets(finals, "saturation", colour, grey) == [False] * 4
    assert claims.compare_sets(finals, "saturation", grey, ("cifar10", "blur_7_2")) == []


def fake_rows(arch: str, n: int, seed: int) -> list[dict]:
    """Samples whose sharpness follows roughness, noisiness is noise, and a shapes set."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {m: rng.random() for m in METRICS}
        variant = ("original", "blur_3_1", "blur_7_2", "noise_0.5")[i % 4]
        rows.append({"setting": "scratch", "trial": i // 4 % 2, "arch": arch, "base": "cifar10",
                     "variant": variant, "kind": VARIANTS[variant].kind, **row,
                     "sharpness": row["roughness"] * 3, "noisiness": rng.random(),
                     "log10_sharpness": row["roughness"], "log10_noisiness": rng.random(),
                     "scale": math.nan})
    for i in range(n):
        row = {m: rng.random() for m in METRICS}
        rows.append({"setting": "scratch", "trial": i % 2, "arch": arch, "base": "shapes",
                     "variant": f"scale_{i % 3}", "kind": "scale", **row,
                     "sharpness": math.nan, "noisiness": math.nan, "log10_sharpness": math.nan,
                     "log10_noisiness": math.nan, "scale": row["blur_distance"]})
    return rows


def test_table1_cells_fits_and_summary():
    archs = ["a", "b", "c"]
    cells = table1_experiments(archs, "a", "b", "c", with_scale=True)
    assert cells["R50 → R18", "scale"] == (["a"], ["b"])
    assert cells["others → ConvNeXt", "log10_sharpness"] == (["a", "b"], ["c"])
    assert ("others → ConvNeXt", "scale") not in cells
    assert ("R50 → R18", "scale") not in table1_experiments(archs, "a", "b", "c", False)
    with pytest.raises(ValueError, match="not among"):
        table1_experiments(archs, "a", "b", "d", True)
    rows = [r for a, s in zip(archs, (0, 1, 2), strict=True) for r in fake_rows(a, 80, s)]
    fits = table1(rows, cells, trees=10, repeats=3)
    sharp = fits["R50 → R18", "log10_sharpness"]
    noise = fits["R50 → R18", "log10_noisiness"]
    assert len(sharp.scores) == 3 and sharp.r2_mean > 0.8 and noise.r2_mean < 0.3
    assert sharp.n_train == 60  # the noise variant is outside the sharpness sweep
    assert noise.n_train == 40  # original + noise_0.5
    assert fits["R50 → R18", "scale"].n_train == 80  # only the shapes rows carry a scale
    by_trial = table1_by_trial(rows, cells, ["scratch"], [0, 1], trees=10, repeats=2)
    key = ("scratch", "leave-one-variant-out", "R50 → R18", "log10_sharpness")
    assert len(by_trial[key]) == 2 and by_trial[key][0].n_test == 30
    summary = table1_summary(by_trial)
    assert summary[" | ".join(key)]["r2"] == [f.r2_mean for f in by_trial[key]]
    assert summary["scratch | architecture | others → ConvNeXt | log10_noisiness"]["train"] \
        == ["a", "b"]
    with pytest.raises(ValueError, match="unknown protocols"):
        table1_by_trial(rows, cells, ["scratch"], [0], protocols=["random"])


def test_label_spearman_over_distinct_datasets():
    rows = [{"base": "cifar10", "variant": v, "sharpness": s, "noisiness": s ** 2}
            for v, s in (("o", 1.0), ("b", 0.5), ("n", 3.0))] * 4
    rows.append({"base": "shapes", "variant": "o", "sharpness": math.nan, "noisiness": math.nan})
    assert label_spearman(rows) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 3"):
        label_spearman(rows[:2])


def test_meta_model_claims_record_one_value_per_trial():
    res = Results("filters/test")
    res.claim(claims.table1_claim("R50 → R18", "log10_sharpness", "finetune_adam"),
              ours=[0.5, 0.55, 0.52], varies="training trial")
    recorded = res.claims[0]
    assert recorded["n"] == 3 and recorded["verdict"] == "differs" and recorded["central"]
