"""The training runs the chapter analyses: one spec shared by all its notebooks (one cache hit).

Exp 1 of Dou et al. (§4.1): Adam, cross-entropy, the weights of every epoch kept, a well-trained
epoch (best validation accuracy) and a later overfitting epoch (validation accuracy clearly down).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from dataprints.anomaly.criteria import Criteria, count_anomalies
from dataprints.anomaly.scan import K_RANGE, scan_model
from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import balanced_subset, info, load, normalize
from dataprints.models import build_model
from dataprints.train import TrainConfig

Data = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class RunSpec:
    """A model trained on a dataset; defaults are the quick profile's simple CNN on CIFAR-10."""

    dataset: str = "cifar10"  # cifar10, cifar100, fashion_mnist (§4)
    model: str = "simple_cnn"  # simple_cnn, lenet5, alexnet (§4)
    n_per_class: int = 50  # training images per class; 0 = the whole training split
    n_val: int = 1000  # first test images used for validation; 0 = all
    image_size: int = 0  # 0 = native; 227 = bicubic resize for AlexNet (§4)
    epochs: int = 15  # paper: 100 (§4.1)
    batch_size: int = 32  # not given in the paper
    lr: float = 2e-3  # not given in the paper (Adam's default is 1e-3); overfits sooner
    seed: int = 0

    def config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer="adam",
                           lr=self.lr, loss="cross_entropy", seed=self.seed)

    def build(self) -> nn.Module:
        meta = info(self.dataset)
        return build_model(self.model, in_channels=meta.channels,
                           image_size=self.image_size or meta.size,
                           num_classes=meta.num_classes)


def shared_spec(model: str = "simple_cnn", dataset: str = "cifar10", n_per_class: int = 50,
                n_val: int = 1000, epochs: int = 15, image_size: int = 0) -> RunSpec:
    """The spec every notebook of the chapter builds from the same data parameters, so that a
    model trained in one is a cache hit in the next; ``image_size`` applies to AlexNet only."""
    return RunSpec(dataset=dataset, model=model, n_per_class=n_per_class, n_val=n_val,
                   epochs=epochs, image_size=image_size if model == "alexnet" else 0)


def scan_subset(data: Data, n_scan: int = 0, seed: int = 0) -> Data:
    """A seeded random subset of ``n_scan`` training samples to scan (0 = all of them): the
    paper does not say how many samples it clusters, and the whole training set is too many."""
    x, y = data
    if n_scan < 0:
        raise ValueError(f"n_scan must be >= 0 (0 = all samples), got {n_scan}")
    if n_scan == 0 or n_scan >= len(y):
        return x, y
    idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n_scan].sort()
    return x[idx.values], y[idx.values]


def load_data(spec: RunSpec) -> tuple[Data, Data]:
    """Normalised (train, validation) tensors for the spec, resized when it asks."""
    train = load(spec.dataset, "train")
    if spec.n_per_class:
        train = balanced_subset(train, spec.n_per_class, seed=spec.seed)
    test = load(spec.dataset, "test")
    if spec.n_val:
        if spec.n_val > len(test):
            raise ValueError(f"n_val={spec.n_val} but {spec.dataset} test has {len(test)} images")
        test = test.subset(torch.arange(spec.n_val))
    return ((_prepare(train.float(), spec), train.y), (_prepare(test.float(), spec), test.y))


def _prepare(x: torch.Tensor, spec: RunSpec) -> torch.Tensor:
    x = normalize(x, spec.dataset)
    if spec.image_size and spec.image_size != x.shape[-1]:
        x = torch.cat([nn.functional.interpolate(x[i:i + 256], size=spec.image_size,
                                                 mode="bicubic", align_corners=False)
                       for i in range(0, len(x), 256)])
    return x


def train_run(spec: RunSpec, data: tuple[Data, Data] | None = None, progress: bool = True,
              ) -> TrainedModel:
    """Train (or load from the cache) the spec's model, keeping the weights of every epoch."""
    train, val = data if data is not None else load_data(spec)
    return train_cached({"chapter": "anomaly", **asdict(spec)}, spec.build, spec.config(),
                        train, val, keep_every=1, progress=progress)


def model_at(spec: RunSpec, run: TrainedModel, epoch: int) -> nn.Module:
    """A fresh model holding the weights kept after ``epoch`` (0 = initial weights)."""
    model = spec.build()
    model.load_state_dict(run.epoch_weights(epoch))
    return model.eval()


def pick_epochs(val_acc: list[float], min_drop: float = 0.02) -> tuple[int, int | None]:
    """(well-trained, overfitting) epochs, 1-based: the best validation accuracy, and the last
    later epoch whose accuracy is at least ``min_drop`` below it (None: no clear overfitting,
    as the paper reports for AlexNet on Fashion-MNIST)."""
    acc = [-math.inf if math.isnan(a) else a for a in val_acc]
    if not acc:
        raise ValueError("no validation accuracies: train with validation data")
    best = max(range(len(acc)), key=acc.__getitem__)
    later = [e for e in range(best + 1, len(acc)) if acc[e] <= acc[best] - min_drop]
    return best + 1, (later[-1] + 1 if later else None)


def anomaly_curve(spec: RunSpec, run: TrainedModel, x: torch.Tensor, epochs: list[int],
                  crit: Criteria, ks: tuple[int, ...] = K_RANGE, seed: int = 0,
                  ) -> dict[int, int]:
    """Number of anomaly filters (all conv layers' ReLUs) at each of ``epochs`` (Fig. 4b)."""
    return {e: count_anomalies(scan_model(model_at(spec, run, e), x, ks=ks, seed=seed), crit)
            for e in epochs}
