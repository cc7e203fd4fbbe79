"""The claims of Dou et al. (2024) that the anomaly chapter tests, and how ours are computed.

Exp. 1 (Table 2, Fig. 4) is tested per training seed: a claim's value is one entry per seed, so
the verdict rule of :mod:`dataprints.results` applies. Cells the book cannot run are declared
with their reason rather than left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dataprints.anomaly.criteria import Criteria
from dataprints.anomaly.overfitting import SeedRun, count
from dataprints.evidence import partial_correlation
from dataprints.results import Claim, Results

PAPER = "Dou et al. 2024"
# Table 2: anomaly filters in the (well-trained, overfitting) model
TABLE2 = {("simple_cnn", "cifar10"): (6, 15), ("simple_cnn", "cifar100"): (4, 26),
          ("simple_cnn", "fashion_mnist"): (1, 5), ("alexnet", "cifar10"): (12, 55),
          ("alexnet", "cifar100"): (32, 36), ("lenet5", "cifar10"): (3, 10),
          ("lenet5", "cifar100"): (11, 16), ("lenet5", "fashion_mnist"): (1, 3)}
NOT_IN_MIRROR = ("CIFAR-100 is not in the local data mirror; with internet, "
                 "dataprints.data.load('cifar100') downloads it through torchvision")
GPU_ONLY = "AlexNet at 227 px is run at the paper profile only (a GPU)"


def more_in_overfitting(model: str, dataset: str) -> Claim:
    well, over = TABLE2[(model, dataset)]
    return Claim(id=f"dou.exp1.{model}.{dataset}.more_in_overfitting", paper=PAPER,
                 where="Table 2", kind="holds", central=dataset == "cifar10",
                 statement=f"{model} on {dataset}: more anomaly filters in the overfitting model "
                           f"({over}) than in the well-trained one ({well})")


def beyond_training_time(model: str, dataset: str) -> Claim:
    return Claim(id=f"dou.exp1.{model}.{dataset}.beyond_training_time", paper=PAPER,
                 where="Table 2, Fig. 4", kind="holds", central=dataset == "cifar10",
                 statement=f"{model} on {dataset}: the rise from the well-trained to the "
                           f"overfitting epoch exceeds the rise of a non-overfitting control "
                           f"(weight decay + augmentation) over the same epochs")


def tracks_val_loss(model: str, dataset: str) -> Claim:
    return Claim(id=f"dou.fig4.{model}.{dataset}.tracks_val_loss", paper=PAPER,
                 where="Fig. 4", kind="holds",
                 statement=f"{model} on {dataset}: the count rises with the validation loss "
                           f"once the epoch is accounted for (positive partial correlation)")


def per_seed_outcomes(runs: Sequence[SeedRun], crit: Criteria) -> dict[str, list[Any]]:
    """One entry per seed that overfits: the count rose (over > well); the rise exceeded the
    control's over the same epochs; and, per seed with enough scans, the partial correlation of
    count with validation loss given the epoch is positive."""
    rose, beyond, tracks = [], [], []
    for r in runs:
        if r.over is None:
            continue
        d = count(r.stats[r.over], crit) - count(r.stats[r.well], crit)
        c = count(r.control_stats[r.over], crit) - count(r.control_stats[r.well], crit)
        rose.append(d > 0)
        beyond.append(d > c)
    for r in runs:
        counts = [count(r.stats[e], crit) for e in r.epochs]
        try:
            rho, _, _ = partial_correlation(counts, r.val_loss, r.epochs)
        except ValueError:
            continue
        if rho == rho:  # NaN when the count or loss is constant after removing the epoch
            tracks.append(rho > 0)
    return {"rose": rose, "beyond": beyond, "tracks": tracks}


def record_exp1(res: Results, found: dict[tuple[str, str], list[SeedRun]], crit: Criteria,
                skipped: dict[tuple[str, str], str]) -> None:
    """Judge Table 2 and Fig. 4 for every cell: per-seed outcomes where a cell ran, the reason
    where it did not (``skipped``: data missing here, or a profile that leaves it out)."""
    for model, dataset in TABLE2:
        claims = (more_in_overfitting(model, dataset), beyond_training_time(model, dataset),
                  tracks_val_loss(model, dataset))
        runs = found.get((model, dataset))
        if runs is None:
            reason = skipped.get((model, dataset)) or (
                NOT_IN_MIRROR if dataset == "cifar100" else
                GPU_ONLY if model == "alexnet" else "not in this profile's models/datasets")
            for claim in claims:
                res.claim(claim, ours=None, note=reason)
            continue
        outcome = per_seed_outcomes(runs, crit)
        none_over = [r.seed for r in runs if r.over is None]
        note = (f"seeds {none_over} never overfit (no epoch 2 points below the best) and are "
                f"left out" if none_over else "")
        for claim, key in zip(claims, ("rose", "beyond", "tracks"), strict=True):
            values = outcome[key]
            if not values:
                res.not_applicable(claim, why="no seed overfits at this scale" if key != "tracks"
                                   else "too few scanned epochs for a partial correlation")
            else:
                res.claim(claim, ours=values, varies="training seed",
                          note=note if key != "tracks" else "")
