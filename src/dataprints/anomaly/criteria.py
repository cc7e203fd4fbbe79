"""The three anomaly-filter criteria of §3.4 with the hyperparameters of Table 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from dataprints.anomaly.scan import LayerScan


class ClusterStats(Protocol):
    """What the criteria read from a layer's scan: a full ``LayerScan`` or its cached summary."""

    live: torch.Tensor
    ch: torch.Tensor
    activation: torch.Tensor

    def cluster_sizes(self) -> torch.Tensor: ...


@dataclass(frozen=True)
class Criteria:
    """Thresholds of §3.4; a filter is anomalous when all three criteria hold."""

    small_cluster: int  # lambda: a cluster with at most this many samples is small
    small_fraction: float  # alpha: unbalanced when small clusters > alpha * clusters
    ch_factor: float  # beta: CH above beta * the layer's mean CH
    activation_factor: float  # theta: mean |activation| at least theta * the layer's mean

    def __post_init__(self) -> None:
        if self.small_cluster < 1 or not 0 <= self.small_fraction < 1:
            raise ValueError(f"need small_cluster >= 1 and 0 <= small_fraction < 1, got {self}")
        if self.ch_factor <= 0 or self.activation_factor < 0:
            raise ValueError(f"need ch_factor > 0 and activation_factor >= 0, got {self}")


# Table 1 of Dou et al. (2024). Experiment 2 uses only lambda (OUTLIER_CLUSTER_SIZE).
TABLE1 = {
    "exp1": Criteria(small_cluster=100, small_fraction=0.2, ch_factor=1.0, activation_factor=0.2),
    "exp3": Criteria(small_cluster=50, small_fraction=0.2, ch_factor=1.2, activation_factor=0.5),
}
OUTLIER_CLUSTER_SIZE = 5  # Table 1, experiment 2: clusters of at most 5 samples are outliers


def criteria(name: str) -> Criteria:
    """Table 1's thresholds for ``"exp1"`` or ``"exp3"``."""
    try:
        return TABLE1[name]
    except KeyError:
        raise ValueError(f"no criteria {name!r}; choose one of {sorted(TABLE1)} (experiment 2 "
                         f"uses only OUTLIER_CLUSTER_SIZE)") from None


def evaluate_criteria(scan: ClusterStats, crit: Criteria) -> dict[str, torch.Tensor]:
    """Per filter of one layer: each criterion and their conjunction, as bool tensors (C,)."""
    sizes = scan.cluster_sizes()  # (C, Kmax)
    clusters = (sizes > 0).sum(1)
    small = ((sizes > 0) & (sizes <= crit.small_cluster)).sum(1)
    unbalanced = scan.live & (small > crit.small_fraction * clusters)
    mean_ch = scan.ch[scan.live].mean() if bool(scan.live.any()) else torch.tensor(float("nan"))
    high_ch = scan.live & (scan.ch > crit.ch_factor * mean_ch)
    active = scan.activation >= crit.activation_factor * scan.activation.mean()
    return {"unbalanced": unbalanced, "high_ch": high_ch, "active": active,
            "anomaly": unbalanced & high_ch & active}


def anomaly_filters(scans: list[LayerScan], crit: Criteria) -> dict[str, list[int]]:
    """``{layer: [anomalous filter indices]}`` over the scanned layers."""
    return {s.layer: torch.nonzero(evaluate_criteria(s, crit)["anomaly"]).flatten().tolist()
            for s in scans}


def count_anomalies(scans: list[LayerScan], crit: Criteria) -> int:
    """Number of anomaly filters over all scanned layers (Table 2's entries)."""
    return sum(len(v) for v in anomaly_filters(scans, crit).values())
