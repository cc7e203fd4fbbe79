"""The one training loop: whole dataset as tensors on the device, batches by indexing, resumable.

Every chapter trains through :func:`train`. Determinism: each epoch's shuffle and dropout draw
from generators seeded by ``(seed, epoch)``, so a run resumed from the checkpoint of epoch k
replays epoch k+1 exactly and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from dataprints.atomic import atomic_write
from dataprints.progress import progress as progress_bar

OPTIMIZERS = ("sgd", "adam")
SCHEDULERS = ("none", "cosine", "step", "plateau", "loss_normalized")
LOSSES = ("cross_entropy", "logistic")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Bump when a change to this loop changes what a given config trains to: it is part of the
# model cache key, so models trained by older code are not reused.
TRAINING_CODE_VERSION = 2  # 2: epoch statistics over the samples seen, recorder checkpoints
MAX_EPOCHS = 10_000_000  # full-batch runs count steps as epochs (Haim et al.: 10^6)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run's result (and so its cache key)."""

    epochs: int = 10  # passes over the training set (full-batch: gradient steps)
    batch_size: int = 128  # images per step; 0 means full batch
    optimizer: str = "adam"  # "sgd" or "adam"
    lr: float = 1e-3  # learning rate
    momentum: float = 0.0  # SGD momentum
    nesterov: bool = False  # SGD Nesterov momentum
    weight_decay: float = 0.0  # L2 penalty in the optimiser
    scheduler: str = "none"  # "none", "cosine" (to 0 over epochs), "step" (x0.1 at 1/2, 3/4),
    # "plateau" (x0.1 after 5 epochs without val-loss improvement),
    # "loss_normalized" (lr * first train loss / current train loss, see LossNormalizedLR)
    loss: str = "cross_entropy"  # or "logistic": one logit, labels 0/1 (= logistic loss on +-1)
    dtype: str = "float32"  # "float64" for Haim et al.'s reconstruction models
    seed: int = 0  # initialisation, shuffling and dropout
    eval_every: int = 1  # evaluate the validation set every this many epochs
    checkpoint_every: int = 1  # write a resumable checkpoint every this many epochs

    def __post_init__(self) -> None:
        checks = [
            (isinstance(self.epochs, int) and 1 <= self.epochs <= MAX_EPOCHS,
             f"epochs must be an integer in 1..{MAX_EPOCHS:,}, got {self.epochs}"),
            (isinstance(self.batch_size, int) and self.batch_size >= 0,
             f"batch_size must be an integer >= 0 (0 = full batch), got {self.batch_size}"),
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}, got "
                                           f"{self.optimizer!r}"),
            (self.scheduler in SCHEDULERS, f"scheduler must be one of {SCHEDULERS}, got "
                                           f"{self.scheduler!r}"),
            (self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}"),
            (self.dtype in DTYPES, f"dtype must be one of {tuple(DTYPES)}, got {self.dtype!r}"),
            (0 < self.lr <= 100, f"lr must lie in (0, 100], got {self.lr}"),
            (0 <= self.momentum < 1, f"momentum must lie in [0, 1), got {self.momentum}"),
            (not self.nesterov or self.momentum > 0, "nesterov needs momentum > 0"),
            (0 <= self.weight_decay < 1, f"weight_decay must lie in [0, 1), got "
                                         f"{self.weight_decay}"),
            (self.eval_every >= 1 and self.checkpoint_every >= 1,
             f"eval_every and checkpoint_every must be >= 1, got {self.eval_every}, "
             f"{self.checkpoint_every}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclass
class History:
    """Per-epoch curves; validation entries are NaN on epochs that were not evaluated."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # mean over the epoch's steps
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return asdict(self)


@dataclass
class TrainState:
    """What a callback sees: the model in training, where we are, and the curves so far."""

    model: nn.Module
    epoch: int  # 1-based number of the epoch just finished (0 before the first)
    step: int  # optimiser steps taken so far
    history: History
    batch_loss: float = math.nan  # loss of the last step (step callbacks)
    stop: bool = False  # set True to end training after this epoch (or step)


Callback = Callable[[TrainState], None]


@runtime_checkable
class Recorder(Protocol):
    """A callback that records something during training (curves, probes).

    Its state is saved in every checkpoint and restored on resume, so an interrupted run
    records exactly what an uninterrupted one does; :func:`dataprints.artifacts.train_cached`
    also stores it with the model and puts ``describe()`` (plain values naming what it records)
    into the cache key. A callback that keeps state between calls must be a Recorder.
    """

    def __call__(self, state: TrainState) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class CheckpointMismatch(RuntimeError):
    """A checkpoint folder holds a run with a different configuration."""


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The requested device, else CUDA when available, else the CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def loss_fn(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if name == "logistic":
        return lambda out, y: nn.functional.binary_cross_entropy_with_logits(out, y.to(out.dtype))
    return nn.functional.cross_entropy


def correct(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of correct predictions; one logit means a binary (logistic) model."""
    pred = (out > 0).long() if out.ndim == 1 else out.argmax(1)
    return (pred == y).sum()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Model outputs for ``x`` in eval mode, batched, on the model's device."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    outs = [model(x[i:i + batch_size].to(device)) for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str = "cross_entropy",
             batch_size: int = 1024) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` on ``(x, y)``."""
    out = predict(model, x, batch_size)
    y = y.to(out.device)
    return float(loss_fn(loss)(out, y)), float(correct(out, y)) / max(1, len(y))


def train(
    model: nn.Module,
    cfg: TrainConfig,
    train_data: tuple[torch.Tensor, torch.Tensor],
    val_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    callbacks: Sequence[Callback] = (),
    step_callbacks: Sequence[Callback] = (),
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    checkpoint_dir: Path | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> History:
    """Train ``model`` in place and return its :class:`History`.

    ``callbacks`` run after every epoch, ``step_callbacks`` after every step; either may set
    ``state.stop``. ``augment(batch, generator)`` transforms each training batch. With a
    ``checkpoint_dir`` a checkpoint is written atomically every ``cfg.checkpoint_every``
    epochs (after the epoch's callbacks, with the state of every :class:`Recorder`) and an
    interrupted run resumes from it.

    ``memory_format=torch.channels_last`` keeps conv weights and image batches channels-last
    (faster convolutions on CPU, ``benchmarks/train_step.py``). It is a layout, not part of
    ``cfg``: the convolutions then sum in another order, so the weights differ from the
    default's in rounding and, after many steps, in trajectory. The model cache trains in the
    default layout, so cached models and their keys stay what they were.
    """
    dev = pick_device(device)
    dtype = DTYPES[cfg.dtype]
    model.to(device=dev, dtype=dtype, memory_format=memory_format)
    x, y = _on_device(train_data, dev, dtype)
    val = _on_device(val_data, dev, dtype) if val_data is not None else None
    n = len(x)
    batch = n if cfg.batch_size == 0 else min(cfg.batch_size, n)
    opt = _optimizer(model, cfg)
    sched = _scheduler(opt, cfg)
    criterion = loss_fn(cfg.loss)
    history = History()
    state = TrainState(model, 0, 0, history)
    recorders = [cb for cb in (*callbacks, *step_callbacks) if isinstance(cb, Recorder)]
    ckpt = Path(checkpoint_dir) / "last.pt" if checkpoint_dir is not None else None
    if ckpt is not None and ckpt.is_file():
        _restore(ckpt, cfg, model, opt, sched, state, recorders)
    last = state.epoch if state.stop else cfg.epochs  # a run a callback stopped stays stopped
    bar = progress_bar(range(state.epoch + 1, last + 1), enabled=progress, desc="train",
                       unit="epoch", initial=state.epoch, total=cfg.epochs)
    for epoch in bar:
        torch.manual_seed(cfg.seed * 100_003 + epoch)  # dropout etc.: replayable per epoch
        gen = torch.Generator(device="cpu").manual_seed(cfg.seed * 1_000_003 + epoch)
        order = torch.randperm(n, generator=gen).to(dev) if batch < n else None
        model.train()
        total_loss = total_correct = 0.0
        seen = 0
        for start in range(0, n, batch):
            idx = order[start:start + batch] if order is not None else None
            xb = x[idx] if idx is not None else x
            yb = y[idx] if idx is not None else y
            if augment is not None:
                xb = augment(xb, gen)
            if xb.ndim == 4:
                xb = xb.contiguous(memory_format=memory_format)
            out = model(xb)
            loss = criterion(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state.step += 1
            total_loss += float(loss.detach()) * len(yb)
            total_correct += float(correct(out.detach(), yb))
            seen += len(yb)
            if step_callbacks:
                state.batch_loss = float(loss.detach())
                for cb in step_callbacks:
                    cb(state)
                if state.stop:
                    break
        history.epoch.append(epoch)
        history.train_loss.append(total_loss / seen)  # a step callback may stop mid-epoch
        history.train_acc.append(total_correct / seen)
        history.lr.append(opt.param_groups[0]["lr"])
        if val is not None and (epoch % cfg.eval_every == 0 or epoch == cfg.epochs):
            vl, va = evaluate(model, val[0], val[1], cfg.loss)
        else:
            vl = va = math.nan
        history.val_loss.append(vl)
        history.val_acc.append(va)
        _step_scheduler(sched, cfg, vl, history.train_loss[-1])
        state.epoch = epoch
        bar.set_postfix(loss=f"{history.train_loss[-1]:.4g}", acc=f"{history.train_acc[-1]:.3f}",
                        val_acc=f"{va:.3f}")
        for cb in callbacks:
            cb(state)
        # after the callbacks: a run killed in between replays this epoch and its callbacks
        if ckpt is not None and (epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs
                                 or state.stop):
            _save(ckpt, cfg, model, opt, sched, state, recorders)
        if state.stop:
            break
    bar.close()
    return history


def _on_device(data: tuple[torch.Tensor, torch.Tensor], dev: torch.device, dtype: torch.dtype,
               ) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = data
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} labels")
    if len(x) == 0:
        raise ValueError("no training data")
    return x.to(device=dev, dtype=dtype), y.to(dev)


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                               nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


class LossNormalizedLR:
    """Step size ``lr * L_1 / L_t`` (L_1: the first epoch's training loss, L_t: the current one).

    Gradient descent on log L: its continuous limit is gradient flow on L re-timed by 1/L, so
    it follows the same path while the loss falls geometrically instead of like 1/t. Used to
    reach Haim et al.'s "loss < 1e-5" stopping point in minutes rather than hours.
    """

    def __init__(self, opt: torch.optim.Optimizer, lr: float) -> None:
        self.opt = opt
        self.lr = lr
        self.first_loss = math.nan

    def step(self, train_loss: float) -> None:
        if math.isnan(self.first_loss):
            self.first_loss = train_loss
        if train_loss > 0 and math.isfinite(train_loss):
            for group in self.opt.param_groups:
                group["lr"] = self.lr * self.first_loss / train_loss

    def state_dict(self) -> dict[str, float]:
        return {"lr": self.lr, "first_loss": self.first_loss}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.lr = float(state["lr"])
        self.first_loss = float(state["first_loss"])


def _scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig) -> Any:
    if cfg.scheduler == "loss_normalized":
        return LossNormalizedLR(opt, cfg.lr)
    if cfg.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    if cfg.scheduler == "step":
        milestones = [max(1, cfg.epochs // 2), max(2, 3 * cfg.epochs // 4)]
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)
    if cfg.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=5)
    return None


def _step_scheduler(sched: Any, cfg: TrainConfig, val_loss: float, train_loss: float) -> None:
    if sched is None:
        return
    if cfg.scheduler == "plateau":
        sched.step(train_loss if math.isnan(val_loss) else val_loss)
    elif cfg.scheduler == "loss_normalized":
        sched.step(train_loss)
    else:
        sched.step()


def _save(path: Path, cfg: TrainConfig, model: nn.Module, opt: torch.optim.Optimizer,
          sched: Any, state: TrainState, recorders: Sequence[Recorder]) -> None:
    payload = {
        "config": asdict(cfg),
        "epoch": state.epoch,
        "step": state.step,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict() if sched is not None else None,
        "history": state.history.as_dict(),
        "recorders": [r.state_dict() for r in recorders],
        "stopped": state.stop,
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def _restore(path: Path, cfg: TrainConfig, model: nn.Module, opt: torch.optim.Optimizer,
             sched: Any, state: TrainState, recorders: Sequence[Recorder]) -> None:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointMismatch(f"cannot read checkpoint {path} ({type(exc).__name__}: {exc}); "
                                 f"delete it to start the run afresh") from exc
    if payload.get("config") != asdict(cfg):
        diff = {k: (payload.get("config", {}).get(k), v) for k, v in asdict(cfg).items()
                if payload.get("config", {}).get(k) != v}
        raise CheckpointMismatch(
            f"checkpoint {path} belongs to a different training config (saved vs now: {diff}); "
            f"use another checkpoint folder or delete it")
    saved = payload.get("recorders", [])
    if len(saved) != len(recorders):
        raise CheckpointMismatch(f"checkpoint {path} holds the state of {len(saved)} recording "
                                 f"callbacks, this run has {len(recorders)}; delete it to start "
                                 f"the run afresh")
    try:
        model.load_state_dict(payload["model"])
    except RuntimeError as exc:
        raise CheckpointMismatch(f"checkpoint {path} does not fit this model: {exc}") from exc
    opt.load_state_dict(payload["optimizer"])
    if sched is not None and payload["scheduler"] is not None:
        sched.load_state_dict(payload["scheduler"])
    state.epoch = int(payload["epoch"])
    state.step = int(payload["step"])
    for key, values in payload["history"].items():
        getattr(state.history, key).extend(values)
    for recorder, saved_state in zip(recorders, saved, strict=True):
        recorder.load_state_dict(saved_state)
    state.stop = bool(payload.get("stopped", False))
