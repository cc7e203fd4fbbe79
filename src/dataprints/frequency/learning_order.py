"""Which class a network learns first: per-class accuracy over the first training steps.

A step callback for :func:`dataprints.train.train` evaluates a probe set every few steps. It is
a :class:`~dataprints.train.Recorder`: its curves are checkpointed with an interrupted run and
stored with the cached model, so a resumed run or a cache hit gives the same curves as one
uninterrupted run.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from dataprints.frequency.dfm import class_rates
from dataprints.train import TrainState, predict


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

    def curves(self) -> dict[str, list]:
        """``{"steps", "acc", "fpr"}`` as recorded so far."""
        return {"steps": list(self.steps), "acc": [list(a) for a in self.acc],
                "fpr": [list(f) for f in self.fpr]}

    def state_dict(self) -> dict[str, Any]:
        return self.curves()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps, self.acc, self.fpr = list(state["steps"]), state["acc"], state["fpr"]

    def describe(self) -> dict[str, Any]:
        """What the curves depend on besides the model: schedule and the probe's content."""
        probe = hashlib.sha256(self.x.detach().cpu().contiguous().numpy().tobytes())
        probe.update(self.y.detach().cpu().contiguous().numpy().tobytes())
        return {"every": self.every, "max_steps": self.max_steps,
                "num_classes": self.num_classes, "probe_sha256": probe.hexdigest()}


def first_learned(curves: Mapping[str, list], threshold: float = 0.9) -> list[float]:
    """Per class, the first step with TPR >= ``threshold`` and FPR <= 1 - ``threshold``.

    ``curves`` holds "steps", "acc" (TPR) and "fpr" as recorded by :class:`PerClassAccuracy`;
    a class that never qualifies gets inf.
    """
    if not 0.5 < threshold <= 1.0:
        raise ValueError(f"threshold is an accuracy in (0.5, 1], got {threshold}")
    if not curves["steps"] or len(curves["acc"]) != len(curves["steps"]):
        raise ValueError(f"learning curves hold {len(curves['steps'])} steps and "
                         f"{len(curves['acc'])} accuracy rows: nothing or a partial run tracked")
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
