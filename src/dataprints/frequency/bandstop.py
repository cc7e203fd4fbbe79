"""Band-stop tests of the Syn_Bb models (Wang et al. §3): confusion matrices on test sets with
two of the four rings removed, and which class keeps its accuracy without its special band.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import torch
from torch import nn

from dataprints.data.synthetic_bands import CLASSES, N_BANDS, N_CLASSES
from dataprints.frequency.spectra import band_stop
from dataprints.frequency.trained import SynSplits
from dataprints.train import predict

BANDS = tuple(range(1, N_BANDS + 1))
STOPS = tuple(combinations(BANDS, 2))  # the six band-stop sets: two rings removed
Confusions = tuple[torch.Tensor, torch.Tensor]  # (original, band-stop) counts


def confusion(pred: torch.Tensor, y: torch.Tensor, n_classes: int = N_CLASSES) -> torch.Tensor:
    """(K, K) counts: row = true class, column = predicted class."""
    if pred.shape != y.shape:
        raise ValueError(f"predictions {tuple(pred.shape)} and labels {tuple(y.shape)} differ")
    return torch.bincount(y * n_classes + pred, minlength=n_classes ** 2).reshape(
        n_classes, n_classes).double()


def band_stop_confusions(model: nn.Module, data: SynSplits,
                         stops: tuple[tuple[int, ...], ...] = STOPS,
                         ) -> dict[tuple[int, ...], Confusions]:
    """Per band-stop set, the confusion on the original and on the filtered test images.

    The rings are removed from the [0, 1] pixels, then the images get the training
    standardisation again, as the model saw in training.
    """
    x, y = data.test
    original = confusion(predict(model, x).argmax(1).cpu(), y)
    pixels = x * data.std + data.mean
    out = {}
    for stop in stops:
        filtered = (band_stop(pixels, stop) - data.mean) / data.std
        out[stop] = (original, confusion(predict(model, filtered).argmax(1).cpu(), y))
    return out


def delta(original: torch.Tensor, stopped: torch.Tensor) -> torch.Tensor:
    """The paper's relative confusion Δ = (Pred_bs - Pred_org) / N_c x 100 (rows: true class)."""
    per_class = original.sum(1, keepdim=True)
    return (stopped - original) / per_class * 100


def keep_table(results: dict[tuple[int, tuple[int, ...]], Confusions],
               keep_fraction: float) -> list[dict[str, Any]]:
    """One row per (dataset, band-stop set, class): TPR before and after, FPR after, whether
    the set removes the dataset's own band, and whether the class kept ``keep_fraction`` of its
    TPR."""
    if not 0 < keep_fraction <= 1:
        raise ValueError(f"keep_fraction is a share of the original TPR, got {keep_fraction}")
    rows = []
    for (b, stop), (original, stopped) in results.items():
        n = original.sum(1)  # test images per class
        tpr0, tpr = original.diag() / n, stopped.diag() / n
        fpr = (stopped.sum(0) - stopped.diag()) / (n.sum() - n)
        for c in range(len(n)):
            rows.append({"dataset": f"Syn_B{b}", "removed": ",".join(f"B{s}" for s in stop),
                         "own band removed": b in stop, "class": CLASSES[c],
                         "TPR original": float(tpr0[c]), "TPR band-stop": float(tpr[c]),
                         "FPR band-stop": float(fpr[c]),
                         "kept": bool(tpr[c] >= keep_fraction * tpr0[c])})
    return rows


def survivors(rows: list[dict[str, Any]], min_tpr: float = 0.5,
              max_fpr: float = 0.2) -> list[dict[str, Any]]:
    """Rows where a class that was recognised (TPR >= ``min_tpr``) kept its accuracy on a set
    that removes its special band, without being predicted for everything (FPR <=
    ``max_fpr``): a frequency shortcut in the paper's sense."""
    return [r for r in rows if r["own band removed"] and r["kept"]
            and r["TPR original"] >= min_tpr and r["FPR band-stop"] <= max_fpr]
