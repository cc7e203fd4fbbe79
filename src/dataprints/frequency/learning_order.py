"""Which class a network learns first: per-class accuracy over the first training steps.

A step callback for :func:`dataprints.train.train` evaluates a probe set every few steps. The
curves are stored beside the cached model, so a notebook that loads the model from the cache
gets the same curves without retraining.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.atomic import write_json
from dataprints.frequency.dfm import class_rates
from dataprints.train import TrainConfig, TrainState, predict


@dataclass
class PerClassAccuracy:
    """Step callback: per-class accuracy (TPR) and FPR on ``(x, y)`` every ``every`` steps.

    The FPR (other images predicted as the class) tells a learned class from one that the
    network simply predicts for everything, which early in training happens often.
    """

    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    every: int = 5
    max_steps: int = 200
    steps: list[int] = field(default_factory=list)
    acc: list[list[float]] = field(default_factory=list)  # (len(steps), num_classes)
    fpr: list[list[float]] = field(default_factory=list)  # (len(steps), num_classes)

    def __post_init__(self) -> None:
        if self.every < 1 or self.max_steps < 1:
            raise ValueError(f"every and max_steps must be >= 1, got {self.every}, "
                             f"{self.max_steps}")

    def record(self, step: int, model: nn.Module) -> None:
        pred = predict(model, self.x).argmax(1).cpu()
        rates = [class_rates(pred, self.y, c) for c in range(self.num_classes)]
        self.steps.append(step)
        self.acc.append([tpr for tpr, _ in rates])
        self.fpr.append([fpr for _, fpr in rates])

    def __call__(self, state: TrainState) -> None:
        if state.step <= self.max_steps and state.step % self.every == 0:
            self.record(state.step, state.model)


def first_learned(curves: Mapping[str, list], threshold: float = 0.9) -> list[float]:
    """Per class, the first step with TPR >= ``threshold`` and FPR <= 1 - ``threshold``.

    ``curves`` holds "steps", "acc" (TPR) and "fpr" as recorded by :class:`PerClassAccuracy`;
    a class that never qualifies gets inf.
    """
    if not 0.5 < threshold <= 1.0:
        raise ValueError(f"threshold is an accuracy in (0.5, 1], got {threshold}")
    ok = (torch.tensor(curves["acc"]) >= threshold) & (torch.tensor(curves["fpr"])
                                                       <= 1 - threshold)  # (T, K)
    out = []
    for c in range(ok.shape[1]):
        hit = torch.nonzero(ok[:, c])
        out.append(float(curves["steps"][int(hit[0])]) if len(hit) else math.inf)
    return out


def learned_first(curves: Mapping[str, list], threshold: float = 0.9) -> int:
    """The class learned first; ties go to the larger mean TPR - FPR over the tracked steps."""
    first = first_learned(curves, threshold)
    margin = (torch.tensor(curves["acc"]) - torch.tensor(curves["fpr"])).mean(0).tolist()
    return min(range(len(first)), key=lambda c: (first[c], -margin[c]))


def train_tracked(spec: Mapping[str, Any], build: Callable[[], nn.Module], cfg: TrainConfig,
                  train_data: tuple[torch.Tensor, torch.Tensor],
                  probe: tuple[torch.Tensor, torch.Tensor], num_classes: int, *,
                  every: int = 5, max_steps: int = 200, progress: bool = True,
                  ) -> tuple[TrainedModel, dict[str, list]]:
    """Train (or load) a model while recording per-class probe accuracy over its first steps.

    Returns the model and ``{"steps", "acc", "fpr"}`` (per step, per class); the curves
    are saved as ``learning_order.json`` in the model's cache folder.
    """
    tracker = PerClassAccuracy(probe[0], probe[1], num_classes, every, max_steps)
    full_spec = {**spec, "tracked": {"every": every, "max_steps": max_steps,
                                     "probe_size": len(probe[1])}}
    trained = train_cached(full_spec, build, cfg, train_data, step_callbacks=[tracker],
                           progress=progress)
    path = trained.folder / "learning_order.json"
    if trained.from_cache and path.is_file():
        curves = json.loads(path.read_text())
    else:
        curves = {"steps": tracker.steps, "acc": tracker.acc, "fpr": tracker.fpr}
        write_json(path, curves)
    return trained, curves
