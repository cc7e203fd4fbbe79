"""``dataprints.diagnose(model, data, out)``: check the inputs, run every diagnostic that
applies, write the report. A diagnostic that does not apply says why; one that fails records
its error and the others still run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import torch
from torch import nn

from dataprints.diagnostics import anomaly, early, frequency, reconstruction
from dataprints.diagnostics.inputs import (
    InputError,
    UserData,
    UserModel,
    architectures,
    check_compatible,
    load_data,
    load_model,
)
from dataprints.diagnostics.report import Report, write_report
from dataprints.diagnostics.section import Section


def _timed(module: ModuleType, fn: Callable[[], Section]) -> Section:
    start = time.perf_counter()
    try:
        section = fn()
    except Exception as exc:  # recorded in the report and the exit status, never dropped
        section = Section(module.NAME, module.PAPER, error=f"{type(exc).__name__}: {exc}")
    section.seconds = time.perf_counter() - start
    return section


def _user_model(model: nn.Module | str | Path, data: UserData, weights: Sequence[Path],
                initial: Path | None) -> UserModel:
    if isinstance(model, nn.Module):
        if weights or initial is not None:
            raise InputError("weights and initial weights go with an architecture name, not "
                             "with a model object (load them into it yourself)")
        return UserModel(model.eval(), type(model).__name__)
    if weights:
        return load_model(data, arch=str(model), weights=weights, initial=initial)
    if initial is not None:
        raise InputError("initial weights need an architecture name and its trained weights")
    if not Path(model).is_file() and str(model) in architectures():
        raise InputError(f"architecture {str(model)!r} needs its trained weights (a state dict)")
    return load_model(data, torchscript=Path(model))


def diagnose(model: nn.Module | str | Path, data: str | Path | UserData,
             out: str | Path = "diagnosis", *, weights: Sequence[str | Path] = (),
             initial: str | Path | None = None, preprocess: str = "unit",
             held_out: str | None = None, image_size: int | None = None, n_scan: int = 500,
             dfm_images: int = 10, dfm_patch: int = 0, dfm_top: float = 0.05,
             recon_iterations: int = 2000, recon_candidates: int = 1000, seed: int = 0,
             progress: bool = True) -> Report:
    """Run the four diagnostics on a trained classifier and write ``out``/report.{json,html}.

    ``model``: an ``nn.Module``; an architecture name (dataprints.models or torchvision) with
    ``weights`` (state dicts; several = checkpoints of one run in training order, the last is
    diagnosed); or a TorchScript file. ``data``: a supported dataset name or an ImageFolder
    root with ``train/`` and a held-out split. Inputs are checked before any diagnostic runs
    (:class:`~dataprints.diagnostics.inputs.InputError`).
    """
    checks = [(n_scan >= 0, f"n_scan must be >= 0 (0 = every training image), got {n_scan}"),
              (dfm_images >= 1, f"dfm_images must be >= 1, got {dfm_images}"),
              (dfm_patch >= 0, f"dfm_patch must be >= 0 (0 = automatic), got {dfm_patch}"),
              (0 < dfm_top <= 1, f"dfm_top is a fraction in (0, 1], got {dfm_top}"),
              (recon_iterations >= 1, f"recon_iterations must be >= 1, got {recon_iterations}"),
              (recon_candidates >= 2, f"recon_candidates must be >= 2, got {recon_candidates}")]
    for ok, message in checks:
        if not ok:
            raise InputError(message)
    torch.manual_seed(seed)
    user_data = data if isinstance(data, UserData) else load_data(data, preprocess, held_out,
                                                                  image_size, progress)
    user = _user_model(model, user_data, [Path(w) for w in weights],
                       Path(initial) if initial is not None else None)
    outputs = check_compatible(user, user_data)
    for name, checkpoint in user.checkpoints:
        check_compatible(UserModel(checkpoint, name), user_data)
    sections = [
        _timed(early, lambda: early.early_filters(user)),
        _timed(anomaly, lambda: anomaly.anomaly_filters(user, user_data, n_scan, seed,
                                                        progress)),
        _timed(frequency, lambda: frequency.frequency_shortcuts(
            user, user_data, outputs, dfm_images, dfm_patch, dfm_top, progress)),
        _timed(reconstruction, lambda: reconstruction.reconstruction(
            user, user_data, outputs, recon_iterations, recon_candidates, seed=seed,
            progress=progress)),
    ]
    header = {
        "report": "dataprints diagnose",
        "model": {"description": user.description, "outputs": outputs,
                  "checkpoints": max(1, len(user.checkpoints)),
                  "initial_weights": user.initial is not None, "torchscript": user.scripted},
        "data": user_data.describe(),
        "params": {"n_scan": n_scan, "dfm_images": dfm_images, "dfm_patch": dfm_patch,
                   "dfm_top": dfm_top, "recon_iterations": recon_iterations,
                   "recon_candidates": recon_candidates, "seed": seed},
    }
    return write_report(Path(out), sections, header)
