"""The trained models this chapter analyses, cached so that every notebook gets the same ones.

* Synthetic: one model per Syn_Bb, trained with per-class probe accuracy tracked over its first
  steps (:func:`train_syn`), used for the learning order and the band-stop tests.
* Natural: CIFAR-10 or ImageNette classifiers (plain, +AutoAugment, +AugMix;
  :func:`train_natural`) standing in for the paper's ImageNet-10 models, used for the DFMs and
  the OOD test.
Both use the authors' optimiser (SGD, momentum 0.9, Nesterov, weight decay 1e-4; lr and epochs
are the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import ImageSet, balanced_subset, info, load, standardize
from dataprints.data.synthetic_bands import N_CLASSES, syn_bands
from dataprints.data.variants import load_imagenette
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


NATURAL_SETS = ("cifar10", "imagenette")


@dataclass(frozen=True)
class NaturalSplits:
    """A natural-image training subset and test set (uint8) with the statistics to standardise
    them: the catalogue's for CIFAR-10, the training subset's own for ImageNette."""

    name: str
    train: ImageSet
    test: ImageSet
    mean: tuple[float, ...]
    std: tuple[float, ...]
    seed: int  # the seed that drew the training subset

    def standardise(self, data: ImageSet) -> torch.Tensor:
        """Float images of ``data`` (e.g. a style-shifted test set) with these statistics."""
        return standardize(data.float(), self.mean, self.std)

    @property
    def image_size(self) -> int:
        return int(self.train.x.shape[-1])


def natural_splits(dataset: str, n_per_class: int, seed: int = 0,
                   image_size: int = 32) -> NaturalSplits:
    """The class-balanced training subset and the test set of ``dataset``.

    CIFAR-10 comes from the data mirror (its test split there is the first 1,000 images) and is
    32 px only; ImageNette (the paper's ImageNet-10 is not public) is loaded through
    torchvision, centre-cropped to ``image_size``, its validation split used as the test set.
    """
    if dataset not in NATURAL_SETS:
        raise ValueError(f"unknown natural-image set {dataset!r}; choose one of: "
                         f"{', '.join(NATURAL_SETS)}")
    if dataset == "cifar10":
        if image_size != 32:
            raise ValueError(f"CIFAR-10 images are 32 px; got image_size={image_size}")
        meta = info("cifar10")
        train = balanced_subset(load("cifar10", "train"), n_per_class, seed)
        return NaturalSplits("cifar10", train, load("cifar10", "test"), meta.mean, meta.std,
                             seed)
    train = balanced_subset(load_imagenette("train", image_size), n_per_class, seed)
    x = train.float()
    mean, std = x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))
    return NaturalSplits("imagenette", train, load_imagenette("test", image_size),
                         tuple(mean.tolist()), tuple(std.tolist()), seed)


def train_natural(splits: NaturalSplits, arch: str, augment: str, cfg: TrainConfig,
                  progress: bool = True) -> TrainedModel:
    """A classifier of ``splits`` trained with one of :data:`augment.AUGMENTATIONS`."""
    n_per_class = len(splits.train) // len(splits.train.classes)
    spec = {"data": splits.name, "n_per_class": n_per_class, "subset_seed": splits.seed,
            "model": arch,
            "augment": augment}
    if splits.name != "cifar10":
        spec["image_size"] = splits.image_size
    train = (splits.standardise(splits.train), splits.train.y)
    test = (splits.standardise(splits.test), splits.test.y)
    classes = len(splits.train.classes)
    return train_cached(
        spec, lambda: build_model(arch, in_channels=3, image_size=splits.image_size,
                                  num_classes=classes), cfg,
        train, test, augment=make_augment(augment, splits.mean, splits.std), progress=progress)
