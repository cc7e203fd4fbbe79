"""Tiny training specs for the sweep tests, imported by every executor's workers (the tests put
this folder on PYTHONPATH)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import torch
from toy_training import ToyRun

from dataprints.artifacts import TrainedModel, train_cached


@dataclass(frozen=True)
class SweepToy(ToyRun):
    """The cache tests' toy run, trained by the sweep through its own ``run()``."""

    def run(self) -> TrainedModel:
        return train_cached(self, keep_every=1, progress=False)


class _KillAt(torch.nn.Module):
    """Runs ``inner``; at forward call ``at`` kills its process if ``sentinel`` exists (removed
    first, so that only the first attempt dies)."""

    def __init__(self, inner: torch.nn.Module, sentinel: Path, at: int) -> None:
        super().__init__()
        self.inner, self.sentinel, self.at, self.calls = inner, sentinel, at, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls == self.at and self.sentinel.is_file():
            self.sentinel.unlink()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner(x)


@dataclass(frozen=True)
class KillOnce(SweepToy):
    """A toy run whose worker is killed (SIGKILL) in its second epoch, after the first epoch's
    checkpoint, while the file ``sentinel`` exists."""

    sentinel: str = ""

    def build_model(self) -> torch.nn.Module:
        steps_per_epoch = self.n // self.train.batch_size
        return _KillAt(super().build_model(), Path(self.sentinel), steps_per_epoch + 2)
