"""Train classifiers on dataset variants and turn every kept checkpoint into 8 filter metrics.

One sample of the meta-model (Jorgenson et al. 2025, §4-5) is one checkpoint of one training
run: the eight metrics of Delta conv1 = conv1(epoch k) - conv1(epoch 0), labelled with the
measured sharpness and noisiness of the training set (and its object scale for the shapes
sets). Training goes through :func:`dataprints.artifacts.train_cached`, so reruns are loads.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data.shapes import SCALES, make_shapes
from dataprints.data.sources import ImageSet
from dataprints.data.variants import BASE_SETS, VARIANTS, base_images, make_variant
from dataprints.filters.architectures import build_arch
from dataprints.filters.metrics import filter_metrics
from dataprints.filters.properties import dataset_properties
from dataprints.models import first_conv
from dataprints.progress import progress as progress_bar
from dataprints.train import TrainConfig

# ImageNet channel statistics: every model sees inputs normalised as torchvision's weights expect
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class SweepConfig:
    """What to train. Defaults are the paper's scale (Jorgenson et al. 2025, §4-5)."""

    archs: tuple[str, ...] = ("resnet50", "resnet18", "mobilenet_v3_large", "convnext_tiny")
    bases: tuple[str, ...] = ("imagenette", "fashion_mnist")  # paper: ImageNette, WHOI-Plankton
    variants: tuple[str, ...] = tuple(VARIANTS)  # all 20
    scales: tuple[float, ...] = SCALES  # shapes object scales; () skips the object-scale rows
    scale_archs: tuple[str, ...] = ("resnet50", "resnet18")  # archs trained on the shapes sets
    n_per_class: int = 1000  # paper: 10k train images over 10 classes
    image_size: int = 224  # paper: 224 x 224
    trials: int = 3  # paper: 3 trials per run
    epochs: int = 30  # paper: 30 (ImageNette), 20 (WHOI), 25 (BlenderShapes)
    keep_every: int = 5  # paper: a checkpoint every 5 epochs
    optimizer: str = "sgd"  # paper: Adam 1e-4, or SGD with cosine annealing from 0.1
    lr: float = 0.1
    momentum: float = 0.9  # not given in the paper
    batch_size: int = 64  # not given in the paper
    pretrained: bool = False  # paper fine-tunes ImageNet weights; we train from scratch
    property_samples: int = 2000  # paper: properties averaged over 2,000 random images
    seed: int = 0  # data subsets, noise draws; trial t trains with seed + t

    def __post_init__(self) -> None:
        for base in self.bases:
            if base not in BASE_SETS:
                raise ValueError(f"unknown base set {base!r}; choose from {BASE_SETS}")
        for name in self.variants:
            if name not in VARIANTS:
                raise ValueError(f"unknown variant {name!r}; choose from {tuple(VARIANTS)}")
        if not set(self.scale_archs) <= set(self.archs):
            raise ValueError(f"scale_archs {self.scale_archs} must be among archs {self.archs}")
        if self.keep_every < 1 or self.keep_every > self.epochs:
            raise ValueError(f"keep_every must lie in 1..epochs={self.epochs}, "
                             f"got {self.keep_every}")
        if min(self.trials, self.n_per_class, self.property_samples) < 1:
            raise ValueError("trials, n_per_class and property_samples must be positive")

    def train_config(self, trial: int) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size,
                           optimizer=self.optimizer, lr=self.lr, momentum=self.momentum,
                           scheduler="cosine", seed=self.seed + trial)


def normalised(data: ImageSet) -> torch.Tensor:
    """Float inputs standardised with the ImageNet statistics."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (data.float() - mean) / std


def datasets(cfg: SweepConfig) -> Iterator[tuple[str, str, float, ImageSet]]:
    """(base, variant, object scale or NaN, images) for every training set of the sweep."""
    for base in cfg.bases:
        original = base_images(base, cfg.n_per_class, cfg.image_size, cfg.seed)
        for name in cfg.variants:
            yield base, name, math.nan, make_variant(original, name, cfg.seed)
    n_shapes = max(1, cfg.n_per_class * 10 // 6)  # six classes, as many images as the bases
    for scale in cfg.scales:
        yield "shapes", f"scale_{scale:g}", scale, make_shapes(n_shapes, scale, cfg.image_size,
                                                                 cfg.seed)


@dataclass(frozen=True)
class FilterRun:
    """One training run of the sweep: the images are named by the spec that built them
    (:class:`~dataprints.data.variants.VariantSpec` or
    :class:`~dataprints.data.shapes.ShapesSpec`) and rebuilt from it to train."""

    data: Any  # a frozen spec with build() -> ImageSet
    arch: str
    classes: int
    image_size: int
    pretrained: bool
    train: TrainConfig

    def build_model(self) -> torch.nn.Module:
        return build_arch(self.arch, self.classes, self.image_size, self.pretrained)

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor], None]:
        data = self.data.build()
        return (normalised(data), data.y), None


def train_on(cfg: SweepConfig, arch: str, data: ImageSet, trial: int,
             progress: bool = False) -> TrainedModel:
    """Train (or load) ``arch`` on ``data``, keeping weights every ``keep_every`` epochs.

    ``data`` must come from :func:`make_variant` of :func:`base_images`, or from
    :func:`make_shapes`: the spec they attach is the cache key and rebuilds the images.
    """
    if data.spec is None:
        raise TypeError(f"{data.name} carries no spec: build sweep images with base_images + "
                        f"make_variant or make_shapes, so that the cache can name them")
    if data.x.shape[-1] != cfg.image_size:
        raise ValueError(f"{data.name} has {data.x.shape[-1]}-px images, the sweep "
                         f"{cfg.image_size}-px")
    run = FilterRun(data.spec, arch, len(data.classes), cfg.image_size, cfg.pretrained,
                    cfg.train_config(trial))
    return train_cached(run, keep_every=cfg.keep_every, progress=progress)


def conv1_updates(trained: TrainedModel) -> dict[int, torch.Tensor]:
    """Delta conv1 (epoch k weights - initial weights) for every kept epoch k > 0."""
    target = first_conv(trained.model)
    key = next(f"{name}.weight" for name, mod in trained.model.named_modules()
               if mod is target)
    start = trained.epoch_weights(0)[key]
    return {k: trained.epoch_weights(k)[key] - start for k in trained.kept_epochs() if k > 0}


def run_sweep(cfg: SweepConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Every (dataset, architecture, trial, kept epoch) as one row of metrics and targets."""
    rows: list[dict[str, Any]] = []
    sets = list(datasets(cfg))
    total = sum(len(cfg.scale_archs if base == "shapes" else cfg.archs) for base, *_ in sets)
    bar = progress_bar(total=total * cfg.trials, enabled=progress, desc="train", unit="run")
    for base, name, scale, data in sets:
        props = dataset_properties(data, cfg.property_samples, cfg.seed)
        archs = cfg.scale_archs if base == "shapes" else cfg.archs
        for arch in archs:
            for trial in range(cfg.trials):
                trained = train_on(cfg, arch, data, trial)
                acc = trained.history.train_acc[-1]
                for epoch, delta in conv1_updates(trained).items():
                    rows.append({"arch": arch, "base": base, "variant": name, "trial": trial,
                                 "epoch": epoch, "train_acc": acc, **filter_metrics(delta),
                                 **props, "scale": scale})
                bar.update()
    bar.close()
    return rows


def sweep_params(cfg: SweepConfig) -> dict[str, Any]:
    """The config as plain values, for results files."""
    return asdict(cfg)
