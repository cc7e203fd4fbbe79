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
    sharp = claims.table1_claim("R50 → R18", "sharpness")
    assert sharp.id == "jorgenson.table1.r50_r18.sharpness" and sharp.paper_value == 0.922
    assert sharp.central and sharp.kind == "value"
    assert not claims.table1_claim("R50 → R18", "scale").central
    assert claims.table1_claim("others → ConvNeXt", "noisiness").paper_value == -0.082
    with pytest.raises(ValueError, match="no cell"):
        claims.table1_claim("others → ConvNeXt", "scale")
    # a tight spread around the paper's value is reproduced; far away, it differs
    assert sharp.verdict([0.92, 0.93, 0.915]) == "reproduced"
    assert sharp.verdict([0.40, 0.42, 0.41]) == "differs"


def test_paired_orderings_per_forest_seed():
    assert claims.below([0.1, 0.5], [0.6, 0.4]) == [True, False]
    assert claims.below([0.1, 0.5], [0.6, 0.9], gap=0.3) == [True, True]
    assert claims.below([0.1, 0.5], [0.3, 0.9], gap=0.3) == [False, True]
    assert claims.scale_weakest([0.1, 0.8], [0.9, 0.9], [0.5, 0.5]) == [True, False]
    with pytest.raises(ValueError, match="same forest seeds"):
        claims.below([0.1], [0.2, 0.3])
    verdict = claims.NOISE_BELOW_SHARPNESS.verdict(claims.below([0.1] * 5, [0.9] * 5))
    assert verdict == "reproduced"


def fake_rows(arch: str, n: int, seed: int) -> list[dict]:
    """Samples whose sharpness follows roughness, noisiness is noise, and a shapes set."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {m: rng.random() for m in METRICS}
        rows.append({"arch": arch, "base": "cifar10", "variant": f"v{i % 4}", **row,
                     "sharpness": row["roughness"] * 3, "noisiness": rng.random(),
                     "scale": math.nan})
    for _ in range(n):
        row = {m: rng.random() for m in METRICS}
        rows.append({"arch": arch, "base": "shapes", "variant": "original", **row,
                     "sharpness": math.nan, "noisiness": math.nan,
                     "scale": row["blur_distance"]})
    return rows


def test_table1_cells_fits_and_summary():
    archs = ["a", "b", "c"]
    cells = table1_experiments(archs, "a", "b", "c", with_scale=True)
    assert cells["R50 → R18", "scale"] == (["a"], ["b"])
    assert cells["others → ConvNeXt", "sharpness"] == (["a", "b"], ["c"])
    assert ("others → ConvNeXt", "scale") not in cells
    assert ("R50 → R18", "scale") not in table1_experiments(archs, "a", "b", "c", False)
    with pytest.raises(ValueError, match="not among"):
        table1_experiments(archs, "a", "b", "d", True)
    rows = [r for a, s in zip(archs, (0, 1, 2), strict=True) for r in fake_rows(a, 60, s)]
    fits = table1(rows, cells, trees=10, repeats=3)
    sharp, noise = fits["R50 → R18", "sharpness"], fits["R50 → R18", "noisiness"]
    assert len(sharp.scores) == 3 and sharp.r2_mean > 0.8 and noise.r2_mean < 0.3
    assert fits["R50 → R18", "scale"].n_train == 60  # only the shapes rows carry a scale
    summary = table1_summary(fits)
    assert summary["R50 → R18, sharpness"]["r2"] == list(sharp.scores)
    assert summary["others → ConvNeXt, noisiness"]["train"] == ["a", "b"]


def test_label_spearman_over_distinct_datasets():
    rows = [{"base": "cifar10", "variant": v, "sharpness": s, "noisiness": s ** 2}
            for v, s in (("o", 1.0), ("b", 0.5), ("n", 3.0))] * 4
    rows.append({"base": "shapes", "variant": "o", "sharpness": math.nan, "noisiness": math.nan})
    assert label_spearman(rows) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 3"):
        label_spearman(rows[:2])


def test_meta_model_claims_record_one_value_per_forest_seed():
    res = Results("filters/test")
    res.claim(claims.table1_claim("R50 → R18", "sharpness"), ours=[0.5, 0.55, 0.52],
              varies="random-forest seed")
    recorded = res.claims[0]
    assert recorded["n"] == 3 and recorded["verdict"] == "differs" and recorded["central"]
