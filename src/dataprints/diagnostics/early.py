"""Early filters (Jorgenson et al. 2025, §3.2 and §5): the first conv layer's eight metrics.

The meta-model that turns them into a predicted training sharpness and noisiness is fitted, on
use, from the training table the filters chapter's reference run commits (metric vectors and
targets, never a pickled model), each property over its own sweep as the chapter scores it.
Its own error is the chapter's held-out-architecture, leave-one-variant-out R². Without the
table the report says so and gives the metrics only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.ensemble import RandomForestRegressor
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


METAMODEL_FILE = f"{METAMODEL_TABLE}/meta_model_table1.json"
PREDICTED = {"log10_sharpness": ("sharpness", ("original", "dilate", "resize", "blur")),
             "log10_noisiness": ("noisiness", ("original", "noise"))}  # the chapter's sweeps
TREES = 30  # the paper's forest


def _first_layers(archs: set[str]) -> dict[str, tuple[int, ...]]:
    from dataprints.filters.architectures import build_arch

    return {a: tuple(first_conv(build_arch(a, 10, 32)).weight.shape) for a in sorted(archs)}


def metamodel_prediction(metrics: dict[str, float | None], shape: tuple[int, ...],
                         path: Path) -> tuple[dict[str, Any], list[str]]:
    """Predicted training sharpness and noisiness from the committed training table at
    ``path`` (each a forest fitted on use), the meta-model's own held-out error, and notes
    (e.g. a first layer unlike any the table was trained on)."""
    result = json.loads(path.read_text())
    table = result["values"]["training_table"]
    rows = [dict(zip(table, values, strict=True)) for values in zip(*table.values(),
                                                                      strict=True)]
    x_user = np.array([[metrics[m] for m in METRICS]], dtype=float)
    out: dict[str, Any] = {"source": str(path.relative_to(repo_root())
                                         if path.is_relative_to(repo_root()) else path),
                           "git_sha": result.get("git_sha", "")}
    for target, (prop, kinds) in PREDICTED.items():
        usable = [r for r in rows if r["kind"] in kinds and r[target] is not None
                  and math.isfinite(r[target])]
        x = np.array([[r[m] for m in METRICS] for r in usable], dtype=float)
        forest = RandomForestRegressor(n_estimators=TREES, random_state=0)
        forest.fit(x, np.array([r[target] for r in usable]))
        out[f"predicted_{prop}"] = float(10 ** forest.predict(x_user)[0])
        out[f"{prop}_training_range"] = [float(10 ** min(r[target] for r in usable)),
                                         float(10 ** max(r[target] for r in usable))]
        out[f"{prop}_samples"] = len(usable)
        errors = {key.split(" | ")[0]: cell["r2"] for key, cell in
                  result["values"]["table1"].items()
                  if key.endswith(f"leave-one-variant-out | others → ConvNeXt | {target}")}
        out[f"{prop}_heldout_r2"] = errors
    notes = []
    seen = _first_layers({r["arch"] for r in rows})
    if shape[1:] not in {s[1:] for s in seen.values()}:
        known = ", ".join(f"{a} {s[1:]}" for a, s in seen.items())
        notes.append(f"The first layer's filters {shape[1:]} are unlike every first layer the "
                     f"meta-model was fitted on ({known}): the prediction is an extrapolation.")
    notes.append("The meta-model was fitted on small stand-in networks trained on 32-px "
                 "CIFAR-10 variants; its held-out R² (per training setting and trial) says how "
                 "well it reads architectures and variants it never saw.")
    return out, notes


def _metamodel(metrics: dict[str, float | None], shape: tuple[int, ...], is_update: bool,
               ) -> tuple[dict[str, Any] | None, list[str]]:
    path = repo_root() / METAMODEL_FILE
    if not path.is_file():
        return None, [f"no meta-model prediction: the meta-model is fitted from the training "
                      f"table of the filters chapter's reference run ({METAMODEL_FILE}), which "
                      f"is not committed yet; only the eight metrics are given"]
    if not is_update:
        return None, ["no meta-model prediction: it reads the update Δconv1, which needs the "
                      "initial weights"]
    missing = [m for m, v in metrics.items() if v is None]
    if missing:
        return None, [f"no meta-model prediction: the metrics {missing} are undefined"]
    return metamodel_prediction(metrics, shape, path)


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
    prediction, notes = _metamodel(metrics, tuple(weight.shape), user.initial is not None)
    section.values = {"layer": layer, "filters": list(weight.shape), "read": read,
                      "metrics": metrics, "undefined": undefined, "metamodel": prediction}
    section.notes += notes
    if prediction is not None:
        section.tables["predicted training-set properties (meta-model)"] = [
            {"property": prop, "predicted": prediction[f"predicted_{prop}"],
             "range it was fitted on": prediction[f"{prop}_training_range"],
             "its held-out R² per setting (one value per trial)":
                 prediction[f"{prop}_heldout_r2"]}
            for prop in ("sharpness", "noisiness")]
    section.tables["the eight metrics"] = [
        {"metric": m, "value": v if v is not None else f"undefined: {undefined[m]}"}
        for m, v in metrics.items()]
    section.figures[f"the {len(bank)} filters of {layer}, as read"] = png_grid(
        bank[:, :channels] if channels == 1 else bank, ncols=16, cell=28)
    return section
