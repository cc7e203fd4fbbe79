"""Masking a filter (§4.3): zero the conv filter that feeds an anomalous channel, re-measure."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import nn

from dataprints.anomaly.features import feeding_conv
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
    """Table 6: how many samples are right/wrong before and after masking."""
    ok_before = predict(before, x).argmax(1) == y
    ok_after = predict(after, x).argmax(1) == y
    return {f"before_{b}_after_{a}": int(((ok_before == (b == "right"))
                                          & (ok_after == (a == "right"))).sum())
            for b in ("right", "wrong") for a in ("right", "wrong")}
