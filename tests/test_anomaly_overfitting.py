"""Exp. 1 over seeds: counts from cached scan statistics, the per-seed tests and their claims."""

from __future__ import annotations

import torch

from dataprints.anomaly.claims import per_seed_outcomes, record_exp1
from dataprints.anomaly.criteria import Criteria
from dataprints.anomaly.overfitting import (
    FilterStats,
    SeedRun,
    analyse,
    count,
    count_curves,
    criteria_pass_rates,
    scan_epochs,
    with_lambda,
)
from dataprints.results import Results

CRIT = Criteria(small_cluster=5, small_fraction=0.2, ch_factor=1.0, activation_factor=0.2)


def stats(anomalies: int, filters: int = 12) -> list[FilterStats]:
    """One layer in which exactly ``anomalies`` filters meet all three criteria."""
    sizes = torch.tensor([[500, 500]] * filters)
    sizes[:anomalies] = torch.tensor([3, 997])
    ch = torch.ones(filters, dtype=torch.float64)
    ch[:anomalies] = 10.0
    return [FilterStats("relu1", sizes, ch, torch.ones(filters), torch.ones(filters, dtype=bool))]


def seed_run(seed: int, curve: list[int], control: list[int], well: int, over: int | None,
             val_loss: list[float]) -> SeedRun:
    epochs = list(range(1, len(curve) + 1))
    return SeedRun(seed, epochs, val_loss, [0.5] * len(curve), val_loss, [0.5] * len(curve),
                   well, over, None, {e: stats(c) for e, c in zip(epochs, curve, strict=True)},
                   {e: stats(c) for e, c in zip(epochs, control, strict=True)})


def test_counts_follow_the_criteria_and_lambda():
    assert count(stats(3), CRIT) == 3
    assert count(stats(0), CRIT) == 0
    # with lambda 1000 every cluster is small: criterion 1 passes for every filter
    rates = criteria_pass_rates(stats(3), with_lambda(CRIT, 1000))
    assert rates["unbalanced"] == 1.0 and rates["high_ch"] == 3 / 12
    assert scan_epochs(10, 3) == [3, 6, 9, 10]


def test_a_count_that_grows_with_time_alone_fails_the_control_test():
    loss = [1.0, 0.8, 0.9, 1.1, 1.3, 1.6]
    # both runs' counts grow with the epoch; only the first run overfits
    runs = [seed_run(s, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], well=2, over=6, val_loss=loss)
            for s in range(3)]
    out = analyse(runs, CRIT)
    assert out["delta"] == [4, 4, 4] and out["excess"] == [0, 0, 0]
    assert out["delta_sign"]["positive"] == 3 and out["excess_sign"]["n"] == 0
    assert analyse(runs[:0], CRIT)["delta_interval"] is None
    outcome = per_seed_outcomes(runs, CRIT)
    assert outcome["rose"] == [True] * 3 and outcome["beyond"] == [False] * 3
    curves = count_curves(runs, CRIT)
    assert curves["over"].shape == (3, 6) and (curves["control"] == curves["over"]).all()


def test_counts_that_track_the_loss_pass_all_three(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(tmp_path))
    loss = [1.0, 0.8, 0.9, 1.2, 1.1, 1.6, 1.4]
    runs = [seed_run(s, [2, 1, 2, 4, 3, 7 + s, 5], [2, 1, 1, 1, 1, 1, 1], well=2, over=6,
                     val_loss=loss) for s in range(5)]
    runs.append(seed_run(9, [1] * 7, [1] * 7, well=7, over=None, val_loss=loss))
    outcome = per_seed_outcomes(runs, CRIT)
    assert outcome["rose"] == [True] * 5 and outcome["beyond"] == [True] * 5
    assert outcome["tracks"][:5] == [True] * 5
    res = Results("anomaly/test")
    record_exp1(res, {("lenet5", "cifar10"): runs}, CRIT, {})
    by_id = {c["id"]: c for c in res.claims}
    rose = by_id["dou.exp1.lenet5.cifar10.more_in_overfitting"]
    assert rose["verdict"] == "reproduced" and rose["n"] == 5 and "[9]" in rose["note"]
    assert by_id["dou.exp1.lenet5.cifar10.beyond_training_time"]["central"]
    assert by_id["dou.exp1.lenet5.cifar100.more_in_overfitting"]["verdict"] == "not run"
    assert "GPU" in by_id["dou.exp1.alexnet.cifar10.more_in_overfitting"]["note"]
