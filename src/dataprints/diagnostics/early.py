"""Early filters (Jorgenson et al. 2025, §3.2 and §5): the first conv layer's eight metrics.

The meta-model that turns them into a predicted training sharpness and noisiness is fitted from
the training table the filters chapter's reference run commits (metric vectors and targets,
never a pickled model). Until that table exists the report says so and gives the metrics only.
"""

from __future__ import annotations

import torch
from torch import nn

from dataprints.diagnostics.inputs import UserModel
from dataprints.diagnostics.section import Section, png_grid
from dataprints.filters.metrics import METRICS
from dataprints.models import first_conv
from dataprints.paths import repo_root

NAME, PAPER = "early filters", "Jorgenson et al. 2025, §3.2 and §5"
METAMODEL_TABLE = "results/reference/filters"  # where the reference run commits its table


def first_layer(model: nn.Module) -> tuple[str, torch.Tensor]:
    """(name, weight) of the first convolution; a TorchScript module is searched by the
    original class names of its submodules, in registration order."""
    if isinstance(model, torch.jit.ScriptModule):
        for name, module in model.named_modules():
            if getattr(module, "original_name", "") == "Conv2d":
                return name, module.weight.detach()
        raise ValueError("the TorchScript module has no Conv2d submodule")
    conv = first_conv(model)
    name = next(n for n, m in model.named_modules() if m is conv)
    return name, conv.weight.detach()


def _metamodel_status() -> str:
    folder = repo_root() / METAMODEL_TABLE
    tables = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not tables:
        return (f"no meta-model prediction: the meta-model is fitted from the training table "
                f"of the filters chapter's reference run ({METAMODEL_TABLE}/), which is not "
                f"committed yet; only the eight metrics are given")
    return (f"no meta-model prediction: {folder} holds {', '.join(p.name for p in tables)}, "
            f"but this version does not read a meta-model training table from them yet; only "
            f"the eight metrics are given")


def early_filters(user: UserModel) -> Section:
    """The eight metrics of the first conv layer's update (or of its weights, without the
    initial weights), and the filters themselves."""
    try:
        layer, weight = first_layer(user.model)
    except ValueError as exc:
        return Section.not_applicable(NAME, PAPER, f"the model has no convolution: {exc}")
    channels = weight.shape[1]
    if channels not in (1, 3) or weight.shape[2] != weight.shape[3]:
        return Section.not_applicable(
            NAME, PAPER, f"the first convolution {layer!r} has filters {tuple(weight.shape[1:])};"
            f" the metrics read square filters of colour (3) or grey (1) images")
    section = Section(NAME, PAPER)
    if user.initial is not None:
        _, start = first_layer(user.initial)
        bank, read = weight - start, "the update Δconv1 = trained − initial weights (as the paper)"
    else:
        bank, read = weight, ("the trained weights themselves: the paper reads the update from "
                              "the initial weights, which were not given")
        section.notes.append("Give the initial weights (before training) to read the update "
                             "the paper's metrics are defined on.")
    if channels == 1:
        bank = bank.repeat(1, 3, 1, 1)  # grey filters as three equal channels (metrics.as_bank)
        section.notes.append("Grey filters are read as three equal channels: saturation and "
                             "hull volume are then 0 by construction.")
    metrics: dict[str, float | None] = {}
    undefined: dict[str, str] = {}
    for metric, fn in METRICS.items():
        try:
            metrics[metric] = fn(bank)
        except ValueError as exc:  # e.g. roughness of 2x2 filters, an all-zero update
            metrics[metric], undefined[metric] = None, str(exc)
    section.values = {"layer": layer, "filters": list(weight.shape), "read": read,
                      "metrics": metrics, "undefined": undefined,
                      "metamodel": _metamodel_status()}
    section.notes.append(section.values["metamodel"])
    section.tables["the eight metrics"] = [
        {"metric": m, "value": v if v is not None else f"undefined: {undefined[m]}"}
        for m, v in metrics.items()]
    section.figures[f"the {len(bank)} filters of {layer}, as read"] = png_grid(
        bank[:, :channels] if channels == 1 else bank, ncols=16, cell=28)
    return section
