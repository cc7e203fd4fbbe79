"""The training runs the chapter analyses: one spec shared by all its notebooks (one cache hit).

Exp 1 of Dou et al. (§4.1): Adam, cross-entropy, the weights of every epoch kept, a well-trained
epoch (best validation accuracy) and a later overfitting epoch (validation accuracy clearly down).
Validation images are held out from the training split (the paper validates on the test set; we
keep the test split for held-out samples, so nothing is selected on it). A *control* run adds
weight decay and crop + flip augmentation so that it does not overfit, and is scanned at the same
epochs: what rises in both rises with training time, not with overfitting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from dataprints.anomaly.criteria import Criteria, count_anomalies
from dataprints.anomaly.scan import K_RANGE, scan_model
from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import info, load, normalize
from dataprints.data.augment import crop_flip
from dataprints.models import build_model
from dataprints.train import TrainConfig

Data = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class RunSpec:
    """A model trained on a dataset; defaults are the quick profile's simple CNN on CIFAR-10."""

    dataset: str = "cifar10"  # cifar10, cifar100, fashion_mnist (§4)
    model: str = "simple_cnn"  # simple_cnn, lenet5, alexnet (§4)
    n_per_class: int = 50  # training images per class; 0 = the whole training split
    n_val: int = 1000  # validation images held out from the training split (balanced)
    image_size: int = 0  # 0 = native; 227 = bicubic resize for AlexNet (§4)
    epochs: int = 15  # paper: 100 (§4.1)
    batch_size: int = 32  # not given in the paper
    lr: float = 2e-3  # not given in the paper (Adam's default is 1e-3); overfits sooner
    seed: int = 0  # initialisation, batch order, and which images are drawn
    weight_decay: float = 0.0  # Adam's L2 penalty; the control run uses 5e-4 (our choice)
    augment: bool = False  # random crop (4-px padding) and horizontal flip: the control run

    def train_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer="adam",
                           lr=self.lr, weight_decay=self.weight_decay, loss="cross_entropy",
                           seed=self.seed)

    def build_model(self) -> nn.Module:
        meta = info(self.dataset)
        return build_model(self.model, in_channels=meta.channels,
                           image_size=self.image_size or meta.size,
                           num_classes=meta.num_classes)

    def training_data(self) -> tuple[Data, Data]:
        return load_data(self)


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


def control_spec(spec: RunSpec) -> RunSpec:
    """The same run with weight decay and augmentation: the chapter's non-overfitting control."""
    return replace(spec, weight_decay=5e-4, augment=True)


def split_indices(y: torch.Tensor, n_per_class: int, n_val: int, seed: int,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, validation) positions: per class a seeded shuffle, the first ``n_per_class`` to
    train (0 = all but the validation images), the next ``n_val / classes`` to validate."""
    classes = torch.unique(y).tolist()
    if n_val < len(classes) or n_val % len(classes):
        raise ValueError(f"n_val must be a positive multiple of the {len(classes)} classes, "
                         f"got {n_val}")
    gen = torch.Generator().manual_seed(seed)
    per_val = n_val // len(classes)
    train, val = [], []
    for label in classes:
        where = torch.nonzero(y == label).squeeze(1)
        where = where[torch.randperm(len(where), generator=gen)]
        n_train = n_per_class or len(where) - per_val
        if n_train + per_val > len(where):
            raise ValueError(f"class {label} has {len(where)} training images: not enough for "
                             f"{n_train} to train and {per_val} to validate")
        val.append(where[:per_val])
        train.append(where[per_val:per_val + n_train])
    return torch.sort(torch.cat(train)).values, torch.sort(torch.cat(val)).values


def load_data(spec: RunSpec) -> tuple[Data, Data]:
    """Normalised (train, validation) tensors for the spec, resized when it asks; both come
    from the training split, disjoint."""
    full = load(spec.dataset, "train")
    train_idx, val_idx = split_indices(full.y, spec.n_per_class, spec.n_val, spec.seed)
    train, val = full.subset(train_idx), full.subset(val_idx)
    return ((_prepare(train.float(), spec), train.y), (_prepare(val.float(), spec), val.y))


def held_out(spec: RunSpec, n: int) -> Data:
    """The first ``n`` test images, normalised like the training data: never trained on and
    never used to pick an epoch (Exp. 2's held-out samples)."""
    test = load(spec.dataset, "test")
    if not 1 <= n <= len(test):
        raise ValueError(f"n must lie in 1..{len(test)} ({spec.dataset} test), got {n}")
    test = test.subset(torch.arange(n))
    return _prepare(test.float(), spec), test.y


def _prepare(x: torch.Tensor, spec: RunSpec) -> torch.Tensor:
    x = normalize(x, spec.dataset)
    if spec.image_size and spec.image_size != x.shape[-1]:
        x = torch.cat([nn.functional.interpolate(x[i:i + 256], size=spec.image_size,
                                                 mode="bicubic", align_corners=False)
                       for i in range(0, len(x), 256)])
    return x


def train_run(spec: RunSpec, progress: bool = True) -> TrainedModel:
    """Train (or load from the cache) the spec's model, keeping the weights of every epoch."""
    return train_cached(spec, keep_every=1, progress=progress,
                        augment=crop_flip if spec.augment else None)


def model_at(spec: RunSpec, run: TrainedModel, epoch: int) -> nn.Module:
    """A fresh model holding the weights kept after ``epoch`` (0 = initial weights)."""
    model = spec.build_model()
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
