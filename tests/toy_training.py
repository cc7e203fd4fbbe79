"""A tiny training run named by a frozen spec, for the cache tests (also run as a script by
tests that need real processes: ``python toy_training.py CACHE_DIR [--kill-at STEP]``)."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.models import build_model
from dataprints.train import TrainConfig, TrainState


@dataclass(frozen=True)
class ToyRun:
    n: int = 64
    size: int = 16
    train: TrainConfig = TrainConfig(epochs=3, batch_size=16)

    def build_model(self) -> torch.nn.Module:
        return build_model("lenet5", in_channels=1, image_size=self.size, num_classes=2)

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor], None]:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(self.n, 1, self.size, self.size, generator=g)
        return (x, (x.mean(dim=(1, 2, 3)) > 0).long()), None


@dataclass
class StepLosses:
    """A recorder: the loss of every step."""

    losses: list[float] = field(default_factory=list)

    def __call__(self, state: TrainState) -> None:
        self.losses.append(state.batch_loss)

    def state_dict(self) -> dict[str, Any]:
        return {"losses": list(self.losses)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.losses = list(state["losses"])

    def describe(self) -> dict[str, Any]:
        return {}


def run(spec: ToyRun, kill_at: int | None = None) -> tuple[TrainedModel, StepLosses]:
    recorder = StepLosses()

    def kill(state: TrainState) -> None:
        if state.step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    steps = [recorder, kill] if kill_at is not None else [recorder]
    return train_cached(spec, keep_every=1, step_callbacks=steps, progress=False), recorder


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.environ["DATAPRINTS_CACHE"] = sys.argv[1]
    kill_at = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--kill-at" else None
    trained, rec = run(ToyRun(), kill_at)
    print(f"{'cache' if trained.from_cache else 'trained'} {len(rec.losses)}")
