"""Trained models cached under a key derived from their full configuration.

A second notebook that asks for the same (data, model, training config, code version) loads the
weights instead of retraining. Folder layout under ``cache_dir()/models/<key>/``:
``model.pt`` (final state dict), ``meta.json`` (the spec and history), ``epochs/epoch_XXXX.pt``
(weights kept every ``keep_every`` epochs, for chapters that analyse training over time) and
``run/last.pt`` (the resumable checkpoint while training).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

import dataprints
from dataprints.atomic import atomic_write, write_json
from dataprints.paths import cache_dir
from dataprints.train import (
    DTYPES,
    TRAINING_CODE_VERSION,
    Callback,
    History,
    TrainConfig,
    TrainState,
    train,
)


class BadCheckpoint(RuntimeError):
    """A cached model file is unreadable or does not match the model it is loaded into."""


def cache_key(spec: Mapping[str, Any], cfg: TrainConfig) -> str:
    """A short stable hash of everything that determines the trained weights."""
    blob = json.dumps({"spec": spec, "train": asdict(cfg), "code": TRAINING_CODE_VERSION,
                       "version": dataprints.__version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class TrainedModel:
    """A trained model, its curves, and where its files live."""

    model: nn.Module
    history: History
    key: str
    folder: Path
    from_cache: bool

    def epoch_weights(self, epoch: int) -> dict[str, torch.Tensor]:
        """The state dict saved after ``epoch`` (needs ``keep_every`` to have covered it)."""
        path = self.folder / "epochs" / f"epoch_{epoch:04d}.pt"
        if not path.is_file():
            kept = sorted(p.stem for p in (self.folder / "epochs").glob("epoch_*.pt"))
            raise FileNotFoundError(f"no weights kept for epoch {epoch} in {self.folder}; "
                                    f"kept: {kept or 'none'} (train with keep_every)")
        return load_state(path)

    def kept_epochs(self) -> list[int]:
        return sorted(int(p.stem.split("_")[1]) for p in (self.folder / "epochs").glob("*.pt"))


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Load a state dict safely (``weights_only=True``) with a clear error when it is damaged."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise BadCheckpoint(f"cannot load {path} ({type(exc).__name__}: {exc}); delete the "
                            f"file (or its cache folder) and run again to retrain") from exc


def load_into(model: nn.Module, path: Path) -> nn.Module:
    """Load the weights at ``path`` into ``model``; a shape or key mismatch says which file."""
    try:
        model.load_state_dict(load_state(path))
    except RuntimeError as exc:
        raise BadCheckpoint(f"{path} holds weights for a different model: {exc}") from exc
    return model


def _kept_all(folder: Path, history: History, keep_every: int | None) -> bool:
    if not keep_every:
        return True
    wanted = [0, *(e for e in history.epoch if e % keep_every == 0)]
    return all((folder / "epochs" / f"epoch_{e:04d}.pt").is_file() for e in wanted)


def train_cached(
    spec: Mapping[str, Any],
    build: Callable[[], nn.Module],
    cfg: TrainConfig,
    train_data: tuple[torch.Tensor, torch.Tensor],
    val_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    keep_every: int | None = None,
    callbacks: Sequence[Callback] = (),
    step_callbacks: Sequence[Callback] = (),
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Train ``build()`` with ``cfg`` unless a model with the same ``spec`` and ``cfg`` is cached.

    ``spec`` must name everything about the data and model that ``cfg`` does not (dataset,
    task, subset size, bias, architecture and its arguments); it is hashed into the key.
    The model is built after seeding with ``cfg.seed``. Callbacks run only when training.
    """
    key = cache_key(spec, cfg)
    folder = cache_dir() / "models" / key
    final = folder / "model.pt"
    torch.manual_seed(cfg.seed)
    model = build().to(DTYPES[cfg.dtype])
    if final.is_file():
        meta = json.loads((folder / "meta.json").read_text())
        history = History(**meta["history"])
        if _kept_all(folder, history, keep_every):
            load_into(model, final)
            return TrainedModel(model, history, key, folder, True)
        # cached without the per-epoch weights now asked for: train again (same result) to keep them
    keep: list[Callback] = []
    if keep_every:
        def keep_weights(state: TrainState) -> None:
            if state.epoch % keep_every == 0:
                weights = {k: v.detach().cpu() for k, v in state.model.state_dict().items()}
                path = folder / "epochs" / f"epoch_{state.epoch:04d}.pt"
                atomic_write(path, lambda tmp: torch.save(weights, tmp))
        keep = [keep_weights]
        if not (folder / "epochs" / "epoch_0000.pt").is_file():
            weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            atomic_write(folder / "epochs" / "epoch_0000.pt", lambda tmp: torch.save(weights, tmp))
    history = train(model, cfg, train_data, val_data, callbacks=[*keep, *callbacks],
                    step_callbacks=step_callbacks, augment=augment,
                    checkpoint_dir=folder / "run", device=device, progress=progress)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    write_json(folder / "meta.json", {"spec": dict(spec), "train": asdict(cfg), "key": key,
                                      "history": history.as_dict()})
    atomic_write(final, lambda tmp: torch.save(state, tmp))
    shutil.rmtree(folder / "run", ignore_errors=True)
    return TrainedModel(model, history, key, folder, False)
