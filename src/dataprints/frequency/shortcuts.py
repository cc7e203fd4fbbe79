"""Per-class TPR/FPR tables of a natural-image model, on the original and the DFM-filtered test
images (Wang et al. §4.2) and on style-shifted copies (their OOD test), their summaries over
training seeds, and how much the DFMs of different seeds overlap; the shortcut rules that read
these tables are in :mod:`dataprints.frequency.claims`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from dataprints.data import ImageSet, balanced_subset
from dataprints.evidence import t_interval, wilson
from dataprints.frequency.dfm import dfm_rates


def dfm_positions(size: int, top: float) -> int:
    """Frequencies a top-``top`` DFM keeps on a ``size`` x ``size`` plane (before ties)."""
    return math.ceil(top * size * size)


def rate_rows(model: nn.Module, name: str, x: torch.Tensor, y: torch.Tensor,
              dfms: torch.Tensor, classes: Sequence[str], seed: int = 0,
              ) -> list[dict[str, Any]]:
    """One row per class: TPR and FPR on the original images and with every image filtered to
    that class's DFM, the DFM rates with 95 % Wilson intervals over the test images."""
    base = dfm_rates(model, x, y, None)
    filt = dfm_rates(model, x, y, dfms)
    counts = torch.bincount(y, minlength=len(classes)).tolist()
    rows = []
    for c in range(len(classes)):
        pos, neg = counts[c], len(y) - counts[c]
        tpr_ci = wilson(round(filt[0][c] * pos), pos) if pos else (math.nan, math.nan)
        fpr_ci = wilson(round(filt[1][c] * neg), neg) if neg else (math.nan, math.nan)
        rows.append({"model": name, "seed": seed, "class": classes[c],
                     "TPR original": base[0][c], "FPR original": base[1][c],
                     "TPR DFM": filt[0][c], "FPR DFM": filt[1][c],
                     "TPR DFM low": tpr_ci[0], "TPR DFM high": tpr_ci[1],
                     "FPR DFM low": fpr_ci[0], "FPR DFM high": fpr_ci[1],
                     "images": pos})
    return rows


def class_summary(rows: Sequence[Mapping[str, Any]], model: str,
                  is_shortcut: Any) -> dict[str, dict[str, Any]]:
    """Per class of ``model``: DFM TPR and FPR as mean and s.d. over its seeds, and in how many
    seeds ``is_shortcut(row)`` held."""
    mine = [r for r in rows if r["model"] == model]
    if not mine:
        raise ValueError(f"no rates for model {model!r}")
    out = {}
    for cls in dict.fromkeys(r["class"] for r in mine):
        per = [r for r in mine if r["class"] == cls]
        tpr, fpr = (t_interval([r[k] for r in per]) for k in ("TPR DFM", "FPR DFM"))
        out[cls] = {"tpr_dfm": tpr.mean, "tpr_dfm_sd": tpr.sd, "fpr_dfm": fpr.mean,
                    "fpr_dfm_sd": fpr.sd, "shortcut_seeds": sum(bool(is_shortcut(r))
                                                                for r in per),
                    "seeds": len(per)}
    return out


def describe_classes(summary: Mapping[str, Mapping[str, Any]], classes: Sequence[str]) -> str:
    """"ship TPR 0.72 ± 0.04 / FPR 0.050 ± 0.010 (shortcut in 3 of 3 seeds)" for each class of
    ``classes`` (s.d. over seeds; no s.d. from one seed)."""
    def pm(mean: float, sd: float, digits: int) -> str:
        return f"{mean:.{digits}f}" if math.isnan(sd) else f"{mean:.{digits}f} ± {sd:.{digits}f}"

    return "; ".join(f"{c} TPR {pm(summary[c]['tpr_dfm'], summary[c]['tpr_dfm_sd'], 2)} / FPR "
                     f"{pm(summary[c]['fpr_dfm'], summary[c]['fpr_dfm_sd'], 3)} (shortcut in "
                     f"{summary[c]['shortcut_seeds']} of {summary[c]['seeds']} seeds)"
                     for c in classes)


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """Intersection over union of two boolean maps."""
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def seed_overlap(dfms: Mapping[int, torch.Tensor]) -> dict[str, Any]:
    """How far the top-``top`` DFMs of one model trained with different seeds agree.

    ``dfms``: seed -> (K, H, W) bool. Returns the IoU of each class's DFMs averaged over seed
    pairs (``same_class``), its mean over classes, and as a baseline the mean IoU of DFMs of
    *different* classes from different seeds (what two maps share because every DFM leans to
    the low frequencies). A shortcut that is a property of the data recurs across seeds: its
    same-class IoU stands above the baseline.
    """
    seeds = sorted(dfms)
    if len(seeds) < 2:
        raise ValueError(f"overlap across seeds needs at least two seeds, got {seeds}")
    k = len(dfms[seeds[0]])
    pairs = list(itertools.combinations(seeds, 2))
    same = [sum(iou(dfms[a][c], dfms[b][c]) for a, b in pairs) / len(pairs) for c in range(k)]
    other = [iou(dfms[a][c], dfms[b][d]) for a, b in pairs for c in range(k) for d in range(k)
             if c != d]
    return {"same_class": same, "same_class_mean": sum(same) / k,
            "other_class_mean": sum(other) / len(other), "seed_pairs": len(pairs)}


def ood_subset(test: ImageSet, n_images: int, seed: int) -> ImageSet:
    """The test images re-rendered for the OOD test: a class-balanced, seeded subset of about
    ``n_images``, or the whole test set when ``n_images`` reaches its size (the mirror's
    CIFAR-10 test split holds 86-112 images per class, so "100 per class" is not balanced)."""
    if n_images >= len(test):
        return test
    return balanced_subset(test, max(1, n_images // len(test.classes)), seed)


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
