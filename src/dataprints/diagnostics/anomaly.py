"""Anomaly filters (Dou et al. 2024, §3-4): the GMM scan of every conv layer on a seeded sample
of the training images, anomaly filters per layer under Table 1's experiment-1 criteria, the
outlier samples (clusters of at most 5), and with several checkpoints the count per checkpoint
(the overfitting signal of Table 2 / Fig. 4)."""

from __future__ import annotations

import torch
from torch import nn

from dataprints.anomaly.criteria import OUTLIER_CLUSTER_SIZE, criteria, evaluate_criteria
from dataprints.anomaly.features import relu_after_conv, scannable_layers
from dataprints.anomaly.outliers import outlier_samples
from dataprints.anomaly.runs import scan_subset
from dataprints.anomaly.scan import K_RANGE, LayerScan, scan_model
from dataprints.diagnostics.inputs import UserData, UserModel
from dataprints.diagnostics.section import Section, png_grid
from dataprints.progress import progress as progress_bar

NAME, PAPER = "anomaly filters", "Dou et al. 2024, §3.4, Table 1 (exp. 1), Table 2"
CRITERIA = "exp1"
SHOWN_OUTLIERS = 24


def scanned_layers(model: nn.Module) -> tuple[list[str], str]:
    """The ReLU after each conv (the chapter's layers) when every conv has one, else the conv
    outputs themselves (e.g. conv -> batch norm -> ReLU blocks); and which it is."""
    convs = scannable_layers(model, (nn.Conv2d,))
    relus = relu_after_conv(model)
    if convs and len(relus) == len(convs):
        return relus, "the ReLU after each convolution"
    return convs, "each convolution's output (not every convolution is followed by a ReLU)"


def _counts(scans: list[LayerScan]) -> list[dict[str, int | str]]:
    crit = criteria(CRITERIA)
    rows = []
    for s in scans:
        flags = evaluate_criteria(s, crit)
        rows.append({"layer": s.layer, "filters": len(s.live), "live": int(s.live.sum()),
                     **{k: int(v.sum()) for k, v in flags.items()}})
    return rows


def anomaly_filters(user: UserModel, data: UserData, n_scan: int = 500, seed: int = 0,
                    progress: bool = True) -> Section:
    """Scan the model (and each checkpoint given) on the same ``n_scan`` training samples."""
    if user.scripted:
        return Section.not_applicable(
            NAME, PAPER, "feature maps are read with forward hooks, which a TorchScript module "
            "does not run; give the architecture name and a state dict instead")
    layers, which = scanned_layers(user.model)
    if not layers:
        return Section.not_applicable(NAME, PAPER, "the model has no convolution to scan")
    images, y = scan_subset((data.train.x, data.train.y), n_scan, seed)
    x = data.inputs(images)
    ks = tuple(k for k in K_RANGE if k < len(y))
    if not ks:
        return Section.not_applicable(
            NAME, PAPER, f"{len(y)} training images are too few to fit mixtures of 2 or more "
            f"components")
    section = Section(NAME, PAPER)
    models = user.checkpoints or [("diagnosed model", user.model)]
    per_checkpoint, scans = [], []
    for name, model in progress_bar(models, enabled=progress, desc="anomaly scan",
                                    unit="checkpoint"):
        scans = scan_model(model, x, layers, ks=ks, seed=seed)
        rows = _counts(scans)
        per_checkpoint.append({"checkpoint": name,
                               "anomaly filters": sum(int(r["anomaly"]) for r in rows)})
    # ``scans`` now holds the last model's scan: the diagnosed one
    layer_rows = _counts(scans)
    outliers = outlier_samples(scans, OUTLIER_CLUSTER_SIZE)
    crit = criteria(CRITERIA)
    section.values = {
        "layers": which, "n_scan": len(y), "seed": seed,
        "cluster_counts": list(ks),
        "criteria": {"name": CRITERIA, "small_cluster": crit.small_cluster,
                     "small_fraction": crit.small_fraction, "ch_factor": crit.ch_factor,
                     "activation_factor": crit.activation_factor},
        "per_layer": layer_rows,
        "anomaly_filters": sum(int(r["anomaly"]) for r in layer_rows),
        "outlier_samples": int(outliers.sum()),
        "outlier_cluster_size": OUTLIER_CLUSTER_SIZE,
        "per_checkpoint": per_checkpoint if user.checkpoints else None,
    }
    section.tables["per layer (diagnosed model)"] = layer_rows
    if user.checkpoints:
        section.tables["anomaly filters per checkpoint (training order)"] = per_checkpoint
        section.notes.append("Dou et al. read a count that rises with the checkpoints as "
                             "overfitting; a count can also rise with training time alone "
                             "(the anomaly chapter's control runs).")
    else:
        section.notes.append("Give several checkpoints of one run to see the count per "
                             "checkpoint, the overfitting signal of the paper.")
    if len(y) < 10 * crit.small_cluster:
        section.notes.append(f"λ = {crit.small_cluster} samples (a 'small' cluster) is Table 1's "
                             f"value; on {len(y)} scanned samples it marks a large share of "
                             f"clusters as small, so counts are not comparable to the paper's.")
    if bool(outliers.any()):
        idx = torch.nonzero(outliers).squeeze(1)
        per_class = torch.bincount(y[idx], minlength=data.num_classes).tolist()
        counts = ", ".join(f"{name} {n}" for name, n in zip(data.train.classes, per_class,
                                                            strict=True) if n)
        section.values["outliers_per_class"] = dict(zip(data.train.classes, per_class,
                                                        strict=True))
        shown = idx[:SHOWN_OUTLIERS]
        section.figures[f"outlier samples (in a cluster of ≤ {OUTLIER_CLUSTER_SIZE} samples in "
                        f"some filter): {len(idx)} of {len(y)} scanned ({counts}); the first "
                        f"{len(shown)} shown"] = png_grid(data.pixels(x[shown]))
    else:
        section.notes.append(f"No sample falls in a cluster of at most {OUTLIER_CLUSTER_SIZE} "
                             f"in any filter: no outlier sample to show.")
    return section
