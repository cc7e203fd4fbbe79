"""Per-class TPR/FPR tables of a natural-image model, on the original and the DFM-filtered test
images (Wang et al. §4.2) and on style-shifted copies (their OOD test); the shortcut rules that
read these tables are in :mod:`dataprints.frequency.claims`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from dataprints.frequency.dfm import dfm_rates


def dfm_positions(size: int, top: float) -> int:
    """Frequencies a top-``top`` DFM keeps on a ``size`` x ``size`` plane (before ties)."""
    return math.ceil(top * size * size)


def rate_rows(model: nn.Module, name: str, x: torch.Tensor, y: torch.Tensor,
              dfms: torch.Tensor, classes: Sequence[str]) -> list[dict[str, Any]]:
    """One row per class: TPR and FPR on the original images and with every image filtered to
    that class's DFM."""
    base = dfm_rates(model, x, y, None)
    filt = dfm_rates(model, x, y, dfms)
    return [{"model": name, "class": classes[c], "TPR original": base[0][c],
             "FPR original": base[1][c], "TPR DFM": filt[0][c], "FPR DFM": filt[1][c]}
            for c in range(len(classes))]


def ood_rows(model: nn.Module, sets: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
             dfms: torch.Tensor, classes: Sequence[str]) -> list[dict[str, Any]]:
    """One row per test set (``sets``: name -> standardised images, labels) and class: TPR on
    the images, and TPR and FPR with the class's DFM."""
    rows = []
    for name, (x, y) in sets.items():
        plain = dfm_rates(model, x, y, None)
        filt = dfm_rates(model, x, y, dfms)
        rows += [{"test set": name, "class": classes[c], "TPR": plain[0][c],
                  "TPR with DFM": filt[0][c], "FPR with DFM": filt[1][c]}
                 for c in range(len(classes))]
    return rows
