"""The chapter's claims computed from outcomes, the direct shortcut test and the trigger
statistic, on hand-made outcomes whose answer is known."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from conftest import needs_mirror
from torch import nn

from dataprints.artifacts import TrainedModel
from dataprints.recovered import claims
from dataprints.recovered.experiment import (
    Outcome,
    Scale,
    corner_contrast,
    cue_test,
    run_models,
    trigger_models,
)
from dataprints.recovered.reconstruction import Reconstruction
from dataprints.recovered.score import Score
from dataprints.recovered.training import BinaryData, BinaryTrainingSet
from dataprints.results import Results
from dataprints.train import History

pytestmark = pytest.mark.usefixtures("one_thread")


def _images(m: int, trigger: float) -> torch.Tensor:
    """m grey images; the second half's corner brighter by ``trigger``, the first's darker."""
    x = torch.full((m, 3, 8, 8), 0.5, dtype=torch.float64)
    x[: m // 2, :, :3, :3] -= trigger / 2
    x[m // 2:, :, :3, :3] += trigger / 2
    return x


def _outcome(label: str, seed: int, score: float, acc: float, follows: float = 0.3,
             trigger: float = 0.0, null: float = 0.2, steps: int = 2000) -> Outcome:
    data = SimpleNamespace(y_test=torch.zeros(1000), bias="none")
    result = Score(torch.arange(10), torch.arange(10),
                   torch.full((10,), score, dtype=torch.float64), 10)
    rec = Reconstruction(torch.zeros(4), torch.zeros(4), [1, steps], [10.0, 4.0], [9.0, 3.0],
                         seconds=2.0 * steps)
    return Outcome(label, seed, data, None, acc, {"square1": {"agrees": acc, "follows": follows}},  # type: ignore[arg-type]
                   rec, _images(20, trigger), result, {"mean_image": null, "other_images": null})


def _paper_like(seeds: list[int], reverse: bool = False) -> list[Outcome]:
    """S rises with accuracy (or falls, ``reverse``); M_1 follows the trigger and shows it."""
    out = []
    table = {"M_base": (0.70, 0.50), "M_1": (0.55, 0.30), "M_2": (0.74, 0.55),
             "M_3": (0.72, 0.52), "M_contrast": (0.66, 0.45)}
    for seed in seeds:
        for label, (acc, s) in table.items():
            acc, s = acc + 0.001 * seed, s + 0.002 * seed
            score = 1.0 - s if reverse else s
            m1 = label == "M_1"
            out.append(_outcome(label, seed, score, acc, follows=0.9 if m1 else 0.3,
                                trigger=0.6 if m1 else 0.0))
    return out


def _verdicts(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    res = Results("recovered/test")
    claims.bias_level_claims(res, [o for o in outcomes if o.label != "M_contrast"],
                             contrast=[o for o in outcomes if o.label == "M_contrast"])
    return {c["id"].split(".")[-1]: c for c in res.claims}


def test_paper_like_outcomes_reproduce_every_bias_level_claim() -> None:
    found = _verdicts(_paper_like([0, 1, 2]))
    assert found["rank_correlation"]["ours"] == pytest.approx([1.0, 1.0, 1.0])
    assert found["rank_correlation"]["verdict"] == "reproduced"
    for name in ("m1_lowest_score", "m1_lowest_accuracy", "m1_follows_trigger",
                 "m1_reconstructions_show_trigger", "m_2_score_above_base",
                 "m_3_accuracy_above_base"):
        assert found[name]["verdict"] == "reproduced", name
    assert found["scores_above_null"]["verdict"] == "sanity ok"
    assert found["rank_correlation"]["central"] and found["m1_lowest_score"]["central"]


def test_a_score_that_runs_against_accuracy_differs() -> None:
    found = _verdicts(_paper_like([0, 1, 2], reverse=True))
    assert found["rank_correlation"]["ours"] == pytest.approx([-1.0, -1.0, -1.0])
    assert found["rank_correlation"]["verdict"] == "differs"
    assert found["m1_lowest_score"]["verdict"] == "differs"
    assert found["m1_lowest_accuracy"]["verdict"] == "reproduced"  # accuracy is untouched


def test_one_seed_is_a_single_run_and_a_trigger_m1_ignores_is_not_followed() -> None:
    outcomes = _paper_like([0])
    m1 = next(o for o in outcomes if o.label == "M_1")
    m1.cues["square1"]["follows"] = 0.4  # below half: the trigger does not decide
    found = _verdicts(outcomes)
    assert found["rank_correlation"]["verdict"] == "single run"
    assert found["m1_follows_trigger"]["verdict"] == "single run"
    assert found["m1_follows_trigger"]["agrees"] is False


def test_summary_gives_spread_nulls_and_a_pooled_binomial_interval() -> None:
    summary = claims.summary(_paper_like([0, 1, 2]))
    m1 = summary["M_1"]
    assert m1["seeds"] == [0, 1, 2] and m1["n_test"] == 1000
    assert m1["score"]["mean"] == pytest.approx(0.302) and m1["score"]["sd"] == pytest.approx(
        0.002)
    lo, hi = m1["test_acc_wilson"]
    assert lo < m1["test_acc"]["mean"] < hi and hi - lo < 0.07  # 3,000 pooled predictions
    assert m1["null_other_images"] == 0.2
    assert m1["corner_contrast"]["mean"] > 0.2 > summary["M_base"]["corner_contrast"]["mean"]
    assert m1["kkt_drop"]["mean"] == pytest.approx(0.6)
    assert m1["seconds_per_step"]["mean"] == pytest.approx(2.0)


def test_mnist_ssim_claim_is_not_run_without_converged_reconstructions() -> None:
    outcomes = [o for o in _paper_like([0, 1]) if o.label != "M_contrast"]
    res = Results("recovered/test")
    claims.mnist_claims(res, outcomes, recon_iterations=200)
    found = {c["id"].split(".")[-1]: c for c in res.claims}
    assert found["ssim_misleads"]["verdict"] == "not run"
    assert "2000" in found["ssim_misleads"]["note"]
    res = Results("recovered/test")
    claims.mnist_claims(res, outcomes, recon_iterations=2000)
    misleads = next(c for c in res.claims if c["id"].endswith("ssim_misleads"))
    assert misleads["ours"] == [False, False]  # the nulls (0.2) lie below every score


def test_outcomes_must_cover_the_same_models_in_every_seed() -> None:
    outcomes = _paper_like([0, 1])
    with pytest.raises(ValueError, match="different models"):
        claims.by_seed(outcomes[:-1])
    with pytest.raises(ValueError, match="two outcomes"):
        claims.by_seed([*outcomes, outcomes[0]])


def test_corner_contrast_reads_the_trigger_of_each_half() -> None:
    assert corner_contrast(_images(20, 0.0)) == pytest.approx(0.0)
    shown = corner_contrast(_images(20, 0.6))
    assert shown == pytest.approx(0.3)  # corner 0.3 darker (label 0) or brighter (label 1)
    assert corner_contrast(_images(20, -0.6)) == pytest.approx(-shown)  # the wrong way round


class _CornerReader(nn.Module):
    """A model that looks only at the top-left pixel: the perfect shortcut learner."""

    def __init__(self) -> None:
        super().__init__()
        self.gain = nn.Parameter(torch.tensor(100.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, 0, 0, 0] * self.gain


def test_cue_test_sees_a_model_that_follows_the_corner() -> None:
    gen = torch.Generator().manual_seed(0)
    x01 = torch.rand(40, 3, 8, 8, generator=gen, dtype=torch.float64) * 0.6 + 0.2
    y = torch.tensor([0, 1] * 20)
    mean = torch.full((3, 8, 8), 0.5, dtype=torch.float64)
    spec = BinaryData("cifar10", (0,), (1,), 20)
    data = BinaryTrainingSet(spec, x01 - mean, y, mean, x01 - mean, y)
    trained = TrainedModel(_CornerReader().double(), History(), "k", Path("."), False)
    cues = cue_test(trained, data, "square1")
    assert cues == {"agrees": 1.0, "follows": 1.0}  # the trigger decides every prediction


@needs_mirror
def test_run_models_gives_every_model_and_seed_and_reuses_the_cache() -> None:
    scale = Scale(n_per_class=5, width=16, max_steps=20, recon_iterations=3)
    models = trigger_models("mnist_even_odd", 5, levels=("none", "square1"))
    outcomes = run_models(models, scale, [0, 1], progress=False)
    assert [(o.label, o.seed) for o in outcomes] == [("M_base", 0), ("M_1", 0), ("M_base", 1),
                                                     ("M_1", 1)]
    assert all(o.result is not None and o.nulls is not None for o in outcomes)
    assert outcomes[0].row()["recon_steps"] == 3
    again = run_models(models, scale, [0], progress=False)
    assert all(o.trained.from_cache for o in again)
    assert torch.equal(again[0].recon01, outcomes[0].recon01)
    trained_only = run_models(models, Scale(n_per_class=5, width=16, max_steps=20,
                                            recon_iterations=0), [0], progress=False)
    assert trained_only[0].result is None and "best10_ssim" not in trained_only[0].row()
    with pytest.raises(ValueError, match="distinct"):
        run_models(models, scale, [0, 0])
    with pytest.raises(ValueError, match="images per class"):
        run_models(models, Scale(n_per_class=6), [0])
