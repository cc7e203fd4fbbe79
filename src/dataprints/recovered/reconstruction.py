"""Reconstructing training images from a trained homogeneous MLP (Haim et al. 2022, as
Mehmanchi et al. eq. 6 uses it).

Unknowns: m candidate images x_i and multipliers lambda_i with fixed signs y_i (first half -1,
second half +1). Minimised loss:

    sum_p || theta_p - (1/m) sum_i lambda_i y_i grad_{theta_p} Phi(theta; x_i) ||^2     (KKT eq. 2)
    + sum relu(x - 1)^2 + sum relu(-1 - x)^2                          (pixels in the box [-1, 1])
    + 5 sum_i relu(lambda_min - lambda_i)^2                                  (lambda >= lambda_min)

The sum over candidates is one backward pass over the batch (``grad_outputs`` carries the
weights lambda_i y_i / m). The ReLU's backward uses sigmoid(alpha z) so the loss is smooth in x.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, replace
from typing import ClassVar

import torch
from torch import nn

from dataprints.artifacts import TrainedModel, cached_tensors
from dataprints.data import DATASETS
from dataprints.progress import progress as progress_bar
from dataprints.recovered.training import TrainingRun
from dataprints.train import DTYPES

LAMBDA_PENALTY = 5.0  # weight of the lambda >= lambda_min term (Haim et al., extraction.py)
# The authors' tuned runs (NOTES.md §3, reconstructions/*/): lr, init scale, lambda_min, alpha.
TUNED = {
    "cifar10": {"lr": 0.3462, "init_scale": 4.474e-3, "lambda_min": 0.4936, "alpha": 21.68},
    "mnist": {"lr": 0.03052, "init_scale": 0.03498, "lambda_min": 0.4471, "alpha": 149.87},
}
RECONSTRUCTION_CODE_VERSION = 2  # part of the cache key


@dataclass(frozen=True)
class ReconstructionConfig:
    """Hyperparameters of one reconstruction run (defaults: Haim et al.'s CIFAR-10 run k60fvjdy)."""

    candidates: int = 1000  # m, twice the training set (Haim: 500 per class)
    iterations: int = 50_000  # optimiser steps (Haim: extraction_epochs)
    lr: float = 0.3462  # SGD step for the images
    lambda_lr: float = 1e-4  # SGD step for the multipliers (Haim: extraction_lambda_lr)
    init_scale: float = 4.474e-3  # x_i ~ N(0, 1) * init_scale, in mean-subtracted pixel space
    lambda_min: float = 0.4936  # floor of the multipliers
    alpha: float = 21.68  # modified ReLU: backward uses sigmoid(alpha * z)
    momentum: float = 0.9  # for both optimisers
    dtype: str = "float64"  # Haim et al. run in double precision
    seed: int = 0
    log_every: int = 50  # record the loss every this many iterations

    def __post_init__(self) -> None:
        checks = [
            (self.candidates >= 2 and self.candidates % 2 == 0,
             f"candidates must be an even number >= 2 (half per sign), got {self.candidates}"),
            (self.iterations >= 1, f"iterations must be >= 1, got {self.iterations}"),
            (min(self.lr, self.lambda_lr, self.init_scale, self.alpha) > 0,
             "lr, lambda_lr, init_scale and alpha must be positive"),
            (self.lambda_min >= 0, f"lambda_min must be >= 0, got {self.lambda_min}"),
            (self.dtype in DTYPES, f"dtype must be one of {tuple(DTYPES)}, got {self.dtype!r}"),
            (self.log_every >= 1, "log_every must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def tuned_source(dataset: str) -> str:
    """Which tuned run supplies ``dataset``'s hyperparameters, and why.

    A dataset without a run of its own (a user's task) gets the CIFAR-10 run when its images
    have colour (Mehmanchi et al. App. A found it optimal for Tiny ImageNet as well) and the
    MNIST run when they are grey: the stated default, not a tuned choice."""
    if dataset in ("cifar10", "mnist"):
        return dataset
    if dataset == "tiny_imagenet":
        return "cifar10"  # Mehmanchi et al. App. A
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(DATASETS)}")
    return "cifar10" if DATASETS[dataset].channels == 3 else "mnist"


def tuned_config(dataset: str, **overrides: float | int | str) -> ReconstructionConfig:
    """The tuned hyperparameters for ``dataset`` (see :func:`tuned_source`), any field
    overridden."""
    return replace(ReconstructionConfig(**TUNED[tuned_source(dataset)]), **overrides)


class _ModifiedReLUFunction(torch.autograd.Function):
    """ReLU forward; backward multiplies by sigmoid(alpha z) instead of the step (z > 0).

    The backward is written with differentiable ops, so with ``create_graph=True`` the gradient
    it produces can itself be differentiated with respect to the input."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, z: torch.Tensor,
                alpha: float) -> torch.Tensor:
        ctx.save_for_backward(z)
        ctx.alpha = alpha
        return z.clamp_min(0)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx,
                 grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (z,) = ctx.saved_tensors
        return grad * torch.sigmoid(ctx.alpha * z), None


class ModifiedReLU(nn.Module):
    """Drop-in for nn.ReLU in the extraction model (Haim et al.: extraction_model_relu_alpha)."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return _ModifiedReLUFunction.apply(z, self.alpha)


def with_modified_relu(model: nn.Module, alpha: float) -> nn.Module:
    """A copy of ``model`` whose every nn.ReLU is a :class:`ModifiedReLU`."""
    out = copy.deepcopy(model)
    for parent in out.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, ModifiedReLU(alpha))
    return out


def candidate_signs(m: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Fixed labels of the candidates: -1 for the first half, +1 for the second."""
    return torch.cat([-torch.ones(m // 2, dtype=dtype), torch.ones(m - m // 2, dtype=dtype)])


def kkt_terms(model: nn.Module, x: torch.Tensor, lam: torch.Tensor, signs: torch.Tensor,
              lambda_min: float) -> dict[str, torch.Tensor]:
    """The three parts of the loss; ``model`` must already use :class:`ModifiedReLU`.

    ``stationarity`` sums || theta_p - (1/m) sum_i lam_i y_i grad_p Phi(x_i) ||^2 over all
    parameter tensors p, with the per-candidate sum done by a single backward pass.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no parameters that require grad")
    out = model(x)  # (m,)
    if out.shape != lam.shape:
        raise ValueError(f"the model must give one logit per candidate (binary task); got "
                         f"output {tuple(out.shape)} for {len(x)} candidates")
    weights = lam * signs / len(x)  # (m,)
    grads = torch.autograd.grad(out, params, grad_outputs=weights, create_graph=True)
    # Fused forms of sum (theta - g)^2 and relu(x - 1)^2 + relu(-1 - x)^2 (at most one of the
    # two is non-zero): the same values and gradients with a few passes over the (m, d) tensors
    # instead of about twenty, which took a fifth of the step (benchmarks/README.md, issue 17).
    stationarity = sum(nn.functional.mse_loss(g, p.detach(), reduction="sum")
                       for p, g in zip(params, grads, strict=True))
    prior = nn.functional.relu(x.abs() - 1).square().sum()
    dual = LAMBDA_PENALTY * ((lambda_min - lam).clamp_min(0) ** 2).sum()
    return {"stationarity": stationarity, "prior": prior, "dual": dual}


@dataclass
class Reconstruction:
    """Candidates in the model's (mean-subtracted) input space, their multipliers and the curve."""

    x: torch.Tensor  # (m, C, H, W)
    lam: torch.Tensor  # (m,)
    iteration: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    stationarity: list[float] = field(default_factory=list)
    seconds: float = float("nan")  # wall time of the optimisation, kept with the cached result


def reconstruct(model: nn.Module, image_shape: tuple[int, ...], cfg: ReconstructionConfig,
                progress: bool = True) -> Reconstruction:
    """Run the reconstruction on a trained binary model (its weights stay untouched)."""
    dtype = DTYPES[cfg.dtype]
    device = next(model.parameters()).device
    net = with_modified_relu(model, cfg.alpha).to(dtype).eval()
    for p in net.parameters():
        p.requires_grad_(True)
    gen = torch.Generator().manual_seed(cfg.seed)
    m = cfg.candidates
    x = (torch.randn((m, *image_shape), generator=gen, dtype=dtype) * cfg.init_scale).to(device)
    lam = torch.rand(m, generator=gen, dtype=dtype).to(device)
    x.requires_grad_(True)
    lam.requires_grad_(True)
    signs = candidate_signs(m, dtype).to(device)
    opt_x = torch.optim.SGD([x], lr=cfg.lr, momentum=cfg.momentum)
    opt_lam = torch.optim.SGD([lam], lr=cfg.lambda_lr, momentum=cfg.momentum)
    result = Reconstruction(x, lam)
    start = time.perf_counter()
    for it in progress_bar(range(1, cfg.iterations + 1), enabled=progress, desc="reconstruct"):
        terms = kkt_terms(net, x, lam, signs, cfg.lambda_min)
        loss = terms["stationarity"] + terms["prior"] + terms["dual"]
        opt_x.zero_grad(set_to_none=True)
        opt_lam.zero_grad(set_to_none=True)
        loss.backward(inputs=[x, lam])
        opt_x.step()
        opt_lam.step()
        if it % cfg.log_every == 0 or it == cfg.iterations or it == 1:
            result.iteration.append(it)
            result.loss.append(float(loss.detach()))
            result.stationarity.append(float(terms["stationarity"].detach()))
    result.x = x.detach().cpu()
    result.lam = lam.detach().cpu()
    result.seconds = time.perf_counter() - start
    return result


@dataclass(frozen=True)
class ReconstructionRun:
    """One reconstruction: the model it reads (by its training run) and the settings."""

    model: TrainingRun
    cfg: ReconstructionConfig
    version: ClassVar[int] = RECONSTRUCTION_CODE_VERSION


def reconstruct_cached(run: ReconstructionRun, trained: TrainedModel,
                       progress: bool = True) -> Reconstruction:
    """:func:`reconstruct` of ``trained`` (the model of ``run.model``), cached under ``run``."""
    meta = DATASETS[run.model.data.dataset]
    shape = (meta.channels, meta.size, meta.size)

    def compute() -> dict[str, torch.Tensor]:
        result = reconstruct(trained.model, shape, run.cfg, progress)
        return {"x": result.x, "lam": result.lam,
                "iteration": torch.tensor(result.iteration),
                "loss": torch.tensor(result.loss, dtype=torch.float64),
                "stationarity": torch.tensor(result.stationarity, dtype=torch.float64),
                "seconds": torch.tensor(result.seconds, dtype=torch.float64)}

    saved = cached_tensors(run, compute)
    return Reconstruction(saved["x"], saved["lam"], saved["iteration"].tolist(),
                          saved["loss"].tolist(), saved["stationarity"].tolist(),
                          float(saved["seconds"]))
