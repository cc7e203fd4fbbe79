"""The trained models this chapter analyses, cached so that every notebook gets the same ones.

* Synthetic: one model per Syn_Bb, trained with per-class probe accuracy tracked over its first
  steps (:func:`train_syn`), used for the learning order and the band-stop tests.
* Natural: CIFAR-10 or ImageNette classifiers (plain, +AutoAugment, +AugMix;
  :func:`train_natural`) standing in for the paper's ImageNet-10 models, used for the DFMs and
  the OOD test. Their validation set (plateau schedule) is held out of the training split; the
  test split is only ever used to report.
Both use the authors' optimiser (SGD, momentum 0.9, Nesterov, weight decay 1e-4; lr, epochs
and schedule are the caller's). Every model is named by a frozen spec (:class:`SynRun`,
:class:`NaturalRun`) that builds its own data, so a cached model cannot be paired with other data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, is_dataclass

import torch
from torch import nn

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import ImageSet, balanced_split, info, load, standardize
from dataprints.data.synthetic_bands import N_CLASSES
from dataprints.data.variants import load_imagenette
from dataprints.frequency.augment import AUGMENTATIONS, make_augment
from dataprints.frequency.balanced import GENERATORS, syn_set
from dataprints.frequency.learning_order import PerClassAccuracy
from dataprints.models import MODELS, build_model
from dataprints.train import TrainConfig, evaluate

Data = tuple[torch.Tensor, torch.Tensor]
ARCHS = (*MODELS, "simple_cnn_bn")  # dataprints.models plus this chapter's own


class SimpleCNNBN(nn.Module):
    """The simple CNN (3x3 convolutions of 32-64-64 filters, the first two max-pooled, a 64-unit
    hidden layer) with batch normalisation after each convolution, so that it trains at a
    higher rate in the few epochs a CPU allows; batch normalisation costs little per step.

    Inputs are taken in channels-last memory layout (same results up to float rounding): the
    CPU convolution kernels run the training step about a third faster so (measured at one
    thread on a batch of 64).
    """

    def __init__(self, in_channels: int, image_size: int, num_classes: int) -> None:
        super().__init__()

        def conv(i: int, o: int) -> list[nn.Module]:
            return [nn.Conv2d(i, o, 3), nn.BatchNorm2d(o), nn.ReLU()]

        self.features = nn.Sequential(*conv(in_channels, 32), nn.MaxPool2d(2), *conv(32, 64),
                                      nn.MaxPool2d(2), *conv(64, 64))
        side = ((image_size - 2) // 2 - 2) // 2 - 2
        if side < 1:
            raise ValueError(f"image size {image_size} is too small for simple_cnn_bn")
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * side * side, 64), nn.ReLU(),
                                        nn.Linear(64, num_classes))
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x.contiguous(memory_format=torch.channels_last)))


def build_arch(arch: str, in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """An architecture of :data:`ARCHS` by name."""
    if arch == "simple_cnn_bn":
        return SimpleCNNBN(in_channels, image_size, num_classes)
    if arch not in MODELS:
        raise ValueError(f"unknown model {arch!r}; choose one of: {', '.join(ARCHS)}")
    return build_model(arch, in_channels=in_channels, image_size=image_size,
                       num_classes=num_classes)


def paper_config(epochs: int, lr: float = 0.01, batch_size: int = 64, seed: int = 0,
                 scheduler: str = "plateau") -> TrainConfig:
    """Wang et al.'s train.py: SGD 0.9 Nesterov, wd 1e-4, ReduceLROnPlateau, batch 64
    (``scheduler`` "cosine" where the epochs are too few for a plateau to lower the rate)."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, optimizer="sgd", lr=lr,
                       momentum=0.9, nesterov=True, weight_decay=1e-4, scheduler=scheduler,
                       seed=seed)


@dataclass(frozen=True)
class SynData:
    """Names (and builds) a Syn_Bb dataset: band, images per class, seed, generator."""

    band: int
    n_train: int  # training images per class
    n_test: int  # test images per class
    seed: int = 0
    generator: str = "standard"  # or "balanced" (dataprints.frequency.balanced)

    def __post_init__(self) -> None:
        if self.generator not in GENERATORS:
            raise ValueError(f"unknown Syn generator {self.generator!r}; choose one of: "
                             f"{', '.join(GENERATORS)}")

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
    tr = syn_set(spec.band, "train", spec.n_train, spec.seed, spec.generator)
    te = syn_set(spec.band, "test", spec.n_test, spec.seed, spec.generator)
    x = tr.float()
    mean, std = x.mean(dim=(0, 2, 3), keepdim=True), x.std(dim=(0, 2, 3), keepdim=True)
    return SynSplits(((x - mean) / std, tr.y), ((te.float() - mean) / std, te.y), mean, std, spec)


def syn_splits(band: int, n_train: int, n_test: int, seed: int = 0,
               generator: str = "standard") -> SynSplits:
    """Train and test images of Syn_B``band``, float, standardised by the train statistics."""
    return SynData(band, n_train, n_test, seed, generator).build()


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
        return build_arch(self.arch, 3, 32, N_CLASSES)

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
              max_steps: int, n_train: int, seed: int = 0, generator: str = "standard",
              progress: bool = True) -> tuple[TrainedModel, dict[str, list]]:
    """A model for Syn_B``band`` and its per-class test accuracy over the first steps.

    ``band``, ``n_train``, ``seed`` and ``generator`` must be those ``data`` was built with.
    """
    named = SynData(band, n_train, data.spec.n_test, seed, generator)
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
    """A classifier of a natural-image subset trained with one of :data:`AUGMENTATIONS`
    (``augment_group`` images sharing each policy draw, see :mod:`augment`)."""

    data: NaturalData
    arch: str
    augment: str
    train: TrainConfig
    augment_group: int = 1

    def __post_init__(self) -> None:
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augment!r}; choose one of "
                             f"{', '.join(AUGMENTATIONS)}")
        if self.arch not in ARCHS:
            raise ValueError(f"unknown model {self.arch!r}; choose one of: {', '.join(ARCHS)}")
        if self.augment_group < 1:
            raise ValueError(f"augment_group must be >= 1, got {self.augment_group}")

    def build_model(self) -> torch.nn.Module:
        splits = self.data.build()
        return build_arch(self.arch, 3, splits.image_size, len(splits.train.classes))

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[Data, Data]:
        """The training subset and the held-out validation set; never the test split."""
        s = self.data.build()
        return (s.standardise(s.train), s.train.y), (s.standardise(s.val), s.val.y)


def train_natural(splits: NaturalSplits, arch: str, augment: str, cfg: TrainConfig,
                  progress: bool = True, augment_group: int = 1) -> TrainedModel:
    """A classifier of ``splits`` trained with one of :data:`augment.AUGMENTATIONS`; its
    history's validation curves are on the held-out part of the training split."""
    run = NaturalRun(splits.spec, arch, augment, cfg, augment_group)
    _same(splits, run.data.build(), "natural splits")
    return train_cached(run, augment=make_augment(augment, splits.mean, splits.std,
                                                  augment_group), progress=progress)


def accuracy_on_test(trained: TrainedModel, splits: NaturalSplits) -> float:
    """Accuracy on the test split, the only number reported from it."""
    return evaluate(trained.model, splits.standardise(splits.test), splits.test.y)[1]


def natural_model(dataset: str, n_per_class: int, n_val_per_class: int, seed: int,
                  image_size: int, arch: str, augment: str, epochs: int, lr: float,
                  schedule: str, augment_group: int, progress: bool = True,
                  ) -> tuple[NaturalSplits, TrainedModel]:
    """The splits and the (cached) model of one training seed, as the natural-image and OOD
    notebooks name it from their parameters; ``seed`` draws the held-out validation part, the
    initialisation and the batch order."""
    splits = natural_splits(dataset, n_per_class, seed, image_size, n_val_per_class)
    cfg = paper_config(epochs, lr=lr, seed=seed, scheduler=schedule)
    return splits, train_natural(splits, arch, augment, cfg, progress, augment_group)


def syn_models(archs: list[str], generators: list[str], seeds: list[int], bands: tuple[int, ...],
               n_train: int, n_test: int, epochs: int, lr: float, batch_size: int, every: int,
               max_steps: int, progress: bool = True,
               ) -> dict[tuple[str, str, int, int], tuple[TrainedModel, dict[str, list]]]:
    """(arch, generator, seed, band) -> the (cached) Syn model and its learning curves, as the
    learning-order and band-stop notebooks name them; ``seed`` draws the data and the run."""
    runs = {}
    for arch in archs:
        for g in generators:
            for seed in seeds:
                cfg = paper_config(epochs, lr=lr, batch_size=batch_size, seed=seed)
                for b in bands:
                    data = syn_splits(b, n_train, n_test, seed, g)
                    runs[arch, g, seed, b] = train_syn(
                        b, arch, data, cfg, every=every, max_steps=max_steps, n_train=n_train,
                        seed=seed, generator=g, progress=progress)
    return runs
