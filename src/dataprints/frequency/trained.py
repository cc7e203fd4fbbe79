"""The trained models this chapter analyses, cached so that every notebook gets the same ones.

* Synthetic: one model per Syn_Bb, trained with per-class probe accuracy tracked over its first
  steps (:func:`train_syn`), used for the learning order and the band-stop tests.
* Natural: CIFAR-10 or ImageNette classifiers (plain, +AutoAugment, +AugMix;
  :func:`train_natural`) standing in for the paper's ImageNet-10 models, used for the DFMs and
  the OOD test. Their validation set (plateau schedule) is held out of the training split; the
  test split is only ever used to report.
Both use the authors' optimiser (SGD, momentum 0.9, Nesterov, weight decay 1e-4; lr and epochs
are the caller's). Every model is named by a frozen spec (:class:`SynRun`, :class:`NaturalRun`)
that builds its own data, so a cached model cannot be paired with other data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, is_dataclass

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import ImageSet, balanced_split, info, load, standardize
from dataprints.data.synthetic_bands import N_CLASSES, syn_bands
from dataprints.data.variants import load_imagenette
from dataprints.frequency.augment import AUGMENTATIONS, make_augment
from dataprints.frequency.learning_order import PerClassAccuracy
from dataprints.models import build_model
from dataprints.train import TrainConfig, evaluate

Data = tuple[torch.Tensor, torch.Tensor]


def paper_config(epochs: int, lr: float = 0.01, batch_size: int = 64, seed: int = 0,
                 ) -> TrainConfig:
    """Wang et al.'s train.py: SGD 0.9 Nesterov, wd 1e-4, ReduceLROnPlateau, batch 64."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, optimizer="sgd", lr=lr,
                       momentum=0.9, nesterov=True, weight_decay=1e-4, scheduler="plateau",
                       seed=seed)


@dataclass(frozen=True)
class SynData:
    """Names (and builds) a Syn_Bb dataset: band, images per class, seed."""

    band: int
    n_train: int  # training images per class
    n_test: int  # test images per class
    seed: int = 0

    def build(self) -> SynSplits:
        return _syn_splits(self)


@dataclass(frozen=True)
class SynSplits:
    """A Syn_Bb dataset standardised with its training-set channel statistics."""

    train: Data
    test: Data
    mean: torch.Tensor  # (1, 3, 1, 1)
    std: torch.Tensor
    spec: SynData  # what these tensors are


@functools.lru_cache(maxsize=4)
def _syn_splits(spec: SynData) -> SynSplits:
    tr = syn_bands(spec.band, "train", spec.n_train, spec.seed)
    te = syn_bands(spec.band, "test", spec.n_test, spec.seed)
    x = tr.float()
    mean, std = x.mean(dim=(0, 2, 3), keepdim=True), x.std(dim=(0, 2, 3), keepdim=True)
    return SynSplits(((x - mean) / std, tr.y), ((te.float() - mean) / std, te.y), mean, std, spec)


def syn_splits(band: int, n_train: int, n_test: int, seed: int = 0) -> SynSplits:
    """Train and test images of Syn_B``band``, float, standardised by the train statistics."""
    return SynData(band, n_train, n_test, seed).build()


@dataclass(frozen=True)
class SynRun:
    """A model trained on a Syn_Bb set, with per-class test accuracy tracked over its first
    ``max_steps`` steps (every ``every``)."""

    data: SynData
    arch: str
    train: TrainConfig
    every: int
    max_steps: int

    def build_model(self) -> torch.nn.Module:
        return build_model(self.arch, in_channels=3, image_size=32, num_classes=N_CLASSES)

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[Data, None]:
        return self.data.build().train, None

    def tracker(self) -> PerClassAccuracy:
        x, y = self.data.build().test
        return PerClassAccuracy(x, y, N_CLASSES, self.every, self.max_steps)


def _equal(a: object, b: object) -> bool:
    if a is b:
        return True
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    if is_dataclass(a):
        return type(a) is type(b) and all(_equal(getattr(a, f.name), getattr(b, f.name))
                                          for f in fields(a))
    if isinstance(a, tuple | list):
        return isinstance(b, tuple | list) and len(a) == len(b) and all(map(_equal, a, b))
    return a == b


def _same(given: object, built: object, what: str) -> None:
    """A caller's data object must be the one the spec builds (it is what gets trained on)."""
    if not _equal(given, built):
        raise ValueError(f"the {what} passed in are not those its spec builds; build them with "
                         f"the spec (syn_splits / natural_splits) and pass them unchanged")


def train_syn(band: int, arch: str, data: SynSplits, cfg: TrainConfig, *, every: int,
              max_steps: int, n_train: int, seed: int = 0, progress: bool = True,
              ) -> tuple[TrainedModel, dict[str, list]]:
    """A model for Syn_B``band`` and its per-class test accuracy over the first steps.

    ``band``, ``n_train`` and ``seed`` must be those ``data`` was built with.
    """
    named = SynData(band, n_train, data.spec.n_test, seed)
    if data.spec != named:
        raise ValueError(f"data were built as {data.spec}, but train_syn was asked for {named}")
    run = SynRun(data.spec, arch, cfg, every, max_steps)
    _same(data, run.data.build(), "Syn splits")
    tracker = run.tracker()
    trained = train_cached(run, step_callbacks=[tracker], progress=progress)
    return trained, tracker.curves()


NATURAL_SETS = ("cifar10", "imagenette")


@dataclass(frozen=True)
class NaturalData:
    """Names (and builds) a natural-image training subset, its held-out validation part and the
    test set."""

    dataset: str
    n_per_class: int  # training images per class
    n_val_per_class: int  # validation images per class, held out of the training split
    seed: int = 0  # draws both subsets
    image_size: int = 32

    def __post_init__(self) -> None:
        if self.dataset not in NATURAL_SETS:
            raise ValueError(f"unknown natural-image set {self.dataset!r}; choose one of: "
                             f"{', '.join(NATURAL_SETS)}")
        if self.dataset == "cifar10" and self.image_size != 32:
            raise ValueError(f"CIFAR-10 images are 32 px; got image_size={self.image_size}")
        if self.n_per_class < 1 or self.n_val_per_class < 1:
            raise ValueError(f"n_per_class and n_val_per_class must be >= 1, got "
                             f"{self.n_per_class}, {self.n_val_per_class}")

    def build(self) -> NaturalSplits:
        return _natural_splits(self)


@dataclass(frozen=True)
class NaturalSplits:
    """A natural-image training subset, validation set (held out of the training split) and test
    set (uint8) with the statistics to standardise them: the catalogue's for CIFAR-10, the
    training subset's own for ImageNette."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    mean: tuple[float, ...]
    std: tuple[float, ...]
    spec: NaturalData

    @property
    def name(self) -> str:
        return self.spec.dataset

    @property
    def seed(self) -> int:
        return self.spec.seed

    def standardise(self, data: ImageSet) -> torch.Tensor:
        """Float images of ``data`` (e.g. a style-shifted test set) with these statistics."""
        return standardize(data.float(), self.mean, self.std)

    @property
    def image_size(self) -> int:
        return int(self.train.x.shape[-1])


@functools.lru_cache(maxsize=2)
def _natural_splits(spec: NaturalData) -> NaturalSplits:
    if spec.dataset == "cifar10":
        meta = info("cifar10")
        train, val = balanced_split(load("cifar10", "train"), spec.n_per_class,
                                    spec.n_val_per_class, spec.seed)
        return NaturalSplits(train, val, load("cifar10", "test"), meta.mean, meta.std, spec)
    train, val = balanced_split(load_imagenette("train", spec.image_size), spec.n_per_class,
                                spec.n_val_per_class, spec.seed)
    x = train.float()
    mean, std = x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))
    return NaturalSplits(train, val, load_imagenette("test", spec.image_size),
                         tuple(mean.tolist()), tuple(std.tolist()), spec)


def natural_splits(dataset: str, n_per_class: int, seed: int = 0, image_size: int = 32,
                   n_val_per_class: int | None = None) -> NaturalSplits:
    """The class-balanced training subset, a validation set held out of the training split
    (``n_val_per_class``, default a tenth of ``n_per_class``, at least 1) and the test set.

    CIFAR-10 comes from the data mirror (its test split there is the first 1,000 images) and is
    32 px only; ImageNette (the paper's ImageNet-10 is not public) is loaded through
    torchvision, centre-cropped to ``image_size``, its validation split used as the test set.
    """
    n_val = max(1, n_per_class // 10) if n_val_per_class is None else n_val_per_class
    return NaturalData(dataset, n_per_class, n_val, seed, image_size).build()


@dataclass(frozen=True)
class NaturalRun:
    """A classifier of a natural-image subset trained with one of :data:`AUGMENTATIONS`."""

    data: NaturalData
    arch: str
    augment: str
    train: TrainConfig

    def __post_init__(self) -> None:
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augment!r}; choose one of "
                             f"{', '.join(AUGMENTATIONS)}")

    def build_model(self) -> torch.nn.Module:
        splits = self.data.build()
        return build_model(self.arch, in_channels=3, image_size=splits.image_size,
                           num_classes=len(splits.train.classes))

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[Data, Data]:
        """The training subset and the held-out validation set; never the test split."""
        s = self.data.build()
        return (s.standardise(s.train), s.train.y), (s.standardise(s.val), s.val.y)


def train_natural(splits: NaturalSplits, arch: str, augment: str, cfg: TrainConfig,
                  progress: bool = True) -> TrainedModel:
    """A classifier of ``splits`` trained with one of :data:`augment.AUGMENTATIONS`; its
    history's validation curves are on the held-out part of the training split."""
    run = NaturalRun(splits.spec, arch, augment, cfg)
    _same(splits, run.data.build(), "natural splits")
    return train_cached(run, augment=make_augment(augment, splits.mean, splits.std),
                        progress=progress)


def accuracy_on_test(trained: TrainedModel, splits: NaturalSplits) -> float:
    """Accuracy on the test split, the only number reported from it."""
    return evaluate(trained.model, splits.standardise(splits.test), splits.test.y)[1]
