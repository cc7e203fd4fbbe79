"""The trained models this chapter analyses, cached so that every notebook gets the same ones.

* Synthetic: one model per Syn_Bb, trained with per-class probe accuracy tracked over its first
  steps (:func:`train_syn`), used for the learning order and the band-stop tests.
* Natural: CIFAR-10 classifiers (plain, +AutoAugment, +AugMix; :func:`train_cifar`) standing in
  for the paper's ImageNet-10 models, used for the DFMs and the OOD test.
Both use the authors' optimiser (SGD, momentum 0.9, Nesterov, weight decay 1e-4; lr and epochs
are the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import balanced_subset, info, load, normalize
from dataprints.data.synthetic_bands import N_CLASSES, syn_bands
from dataprints.frequency.augment import make_augment
from dataprints.frequency.learning_order import train_tracked
from dataprints.models import build_model
from dataprints.train import TrainConfig


def paper_config(epochs: int, lr: float = 0.01, batch_size: int = 64, seed: int = 0,
                 ) -> TrainConfig:
    """Wang et al.'s train.py: SGD 0.9 Nesterov, wd 1e-4, ReduceLROnPlateau, batch 64."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, optimizer="sgd", lr=lr,
                       momentum=0.9, nesterov=True, weight_decay=1e-4, scheduler="plateau",
                       seed=seed)


@dataclass(frozen=True)
class SynSplits:
    """A Syn_Bb dataset standardised with its training-set channel statistics."""

    train: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    mean: torch.Tensor  # (1, 3, 1, 1)
    std: torch.Tensor


def syn_splits(band: int, n_train: int, n_test: int, seed: int = 0) -> SynSplits:
    """Train and test images of Syn_B``band``, float, standardised by the train statistics."""
    tr, te = syn_bands(band, "train", n_train, seed), syn_bands(band, "test", n_test, seed)
    x = tr.float()
    mean, std = x.mean(dim=(0, 2, 3), keepdim=True), x.std(dim=(0, 2, 3), keepdim=True)
    return SynSplits(((x - mean) / std, tr.y), ((te.float() - mean) / std, te.y), mean, std)


def train_syn(band: int, arch: str, data: SynSplits, cfg: TrainConfig, *, every: int,
              max_steps: int, n_train: int, seed: int = 0, progress: bool = True,
              ) -> tuple[TrainedModel, dict[str, list]]:
    """A model for Syn_B``band`` and its per-class test accuracy over the first steps."""
    spec = {"data": "syn_bands", "band": band, "n_train_per_class": n_train, "data_seed": seed,
            "model": arch}
    return train_tracked(
        spec, lambda: build_model(arch, in_channels=3, image_size=32, num_classes=N_CLASSES),
        cfg, data.train, data.test, N_CLASSES, every=every, max_steps=max_steps,
        progress=progress)


def cifar_splits(n_per_class: int, seed: int = 0,
                 ) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """A class-balanced CIFAR-10 training subset and the mirror's 1,000 test images, normalised."""
    train = balanced_subset(load("cifar10", "train"), n_per_class, seed)
    test = load("cifar10", "test")
    return ((normalize(train.float(), "cifar10"), train.y),
            (normalize(test.float(), "cifar10"), test.y))


def train_cifar(arch: str, augment: str, n_per_class: int, cfg: TrainConfig, seed: int = 0,
                progress: bool = True) -> TrainedModel:
    """A CIFAR-10 classifier trained with one of :data:`augment.AUGMENTATIONS`."""
    meta = info("cifar10")
    train, test = cifar_splits(n_per_class, seed)
    spec = {"data": "cifar10", "n_per_class": n_per_class, "subset_seed": seed, "model": arch,
            "augment": augment}
    return train_cached(
        spec, lambda: build_model(arch, in_channels=3, image_size=32, num_classes=10), cfg,
        train, test, augment=make_augment(augment, meta.mean, meta.std), progress=progress)
