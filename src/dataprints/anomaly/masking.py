"""Masking a filter (§4.3): zero the conv filter that feeds an anomalous channel, re-measure."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from dataprints.anomaly.criteria import Criteria, anomaly_filters, evaluate_criteria
from dataprints.anomaly.features import feeding_conv
from dataprints.anomaly.scan import LayerScan
from dataprints.train import evaluate, predict


def masked(model: nn.Module, filters: Iterable[tuple[str, int]]) -> nn.Module:
    """A copy of ``model`` with the conv filters feeding ``(layer, channel)`` set to zero
    (weights and bias), so the channel is zero before any ReLU or pooling."""
    out = copy.deepcopy(model)
    modules = dict(out.named_modules())
    with torch.no_grad():
        for layer, channel in filters:
            conv = modules[feeding_conv(out, layer)]
            if not 0 <= channel < conv.out_channels:
                raise ValueError(f"layer {layer!r} has {conv.out_channels} channels, not {channel}")
            conv.weight[channel] = 0
            if conv.bias is not None:
                conv.bias[channel] = 0
    return out


def accuracy_change(model: nn.Module, filters: list[tuple[str, int]],
                    data: dict[str, tuple[torch.Tensor, torch.Tensor]],
                    ) -> dict[str, float]:
    """Accuracy after masking ``filters`` minus before, for each named (x, y) split."""
    after = masked(model, filters)
    return {name: evaluate(after, x, y)[1] - evaluate(model, x, y)[1]
            for name, (x, y) in data.items()}


def prediction_table(before: nn.Module, after: nn.Module, x: torch.Tensor, y: torch.Tensor,
                     ) -> dict[str, int]:
    """Table 6: how many samples are right/wrong before and after masking (all zero when
    there is no sample)."""
    if len(y) == 0:
        return {f"before_{b}_after_{a}": 0 for b in ("right", "wrong") for a in ("right", "wrong")}
    ok_before = predict(before, x).argmax(1) == y
    ok_after = predict(after, x).argmax(1) == y
    return {f"before_{b}_after_{a}": int(((ok_before == (b == "right"))
                                          & (ok_after == (a == "right"))).sum())
            for b in ("right", "wrong") for a in ("right", "wrong")}


def small_cluster_samples(scans: list[LayerScan], found: list[tuple[str, int]],
                          max_size: int) -> torch.Tensor:
    """Bool (N,): samples in a cluster of at most ``max_size`` of any of the filters ``found``
    (Table 6's outlier samples of the masked filters)."""
    by_layer = {s.layer: s for s in scans}
    out = torch.zeros(scans[0].labels.shape[1], dtype=torch.bool)
    for layer, c in found:
        s = by_layer[layer]
        out |= s.cluster_sizes()[c][s.labels[c]] <= max_size
    return out


def masking_experiment(model: nn.Module, scans: list[LayerScan], crit: Criteria,
                       splits: dict[str, tuple[torch.Tensor, torch.Tensor]], n_random: int,
                       seed: int = 0) -> dict[str, Any]:
    """Tables 4-5 for one model: the accuracy change on every split when each anomaly filter is
    masked alone, and the same for ``n_random`` seeded random live normal filters."""
    found = [(layer, c) for layer, cs in anomaly_filters(scans, crit).items() for c in cs]
    normal = [(s.layer, c) for s in scans for c in
              torch.nonzero(s.live & ~evaluate_criteria(s, crit)["anomaly"]).flatten().tolist()]
    rng = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(normal), generator=rng)[:n_random].tolist()
    return {"anomaly": [{"filter": list(f), **accuracy_change(model, [f], splits)}
                        for f in found],
            "random": [{"filter": list(normal[i]), **accuracy_change(model, [normal[i]], splits)}
                       for i in pick]}
