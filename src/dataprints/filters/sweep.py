"""Train classifiers on dataset variants and turn every kept checkpoint into 8 filter metrics.

One sample of the meta-model (Jorgenson et al. 2025, §4-5) is one checkpoint of one training
run: the eight metrics of Delta conv1 = conv1(epoch k) - conv1(epoch 0), labelled with the
measured sharpness and noisiness of the training set (and its object scale for the shapes
sets). The paper fine-tunes ImageNet-pretrained networks with nothing frozen; pretrained
weights cannot be downloaded here, so each architecture is pretrained once on clean images
(:func:`pretrain_run`) and fine-tuned from there, Delta conv1 then being read from the
pretrained weights. Training goes through :func:`dataprints.artifacts.train_cached`, so
reruns are loads.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import torch
from torch import nn

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data.shapes import SCALES, ShapesSpec
from dataprints.data.sources import ImageSet
from dataprints.data.variants import (
    BASE_SETS,
    VARIANTS,
    BaseImagesSpec,
    VariantSpec,
    make_variant,
)
from dataprints.filters.architectures import build_arch
from dataprints.filters.metrics import filter_metrics
from dataprints.filters.properties import dataset_properties
from dataprints.models import first_conv
from dataprints.progress import progress as progress_bar
from dataprints.train import TrainConfig

# ImageNet channel statistics: every model sees inputs normalised as torchvision's weights expect
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# How a run starts and what it optimises with (Jorgenson et al. §5.1: fine-tuned ImageNet models,
# nothing frozen, Adam at 1e-4 or SGD with cosine annealing from 0.1)
SETTINGS = {
    "finetune_adam": "fine-tuned from the clean pretraining with Adam (lr adam_lr, constant)",
    "finetune_sgd": "fine-tuned from the clean pretraining with SGD (cosine from lr)",
    "scratch": "trained from a random initialisation with SGD (cosine from lr)",
}
GREY_BASES = ("fashion_mnist",)  # stored grey, fed as three equal channels


@dataclass(frozen=True)
class SweepConfig:
    """What to train. Defaults are the paper's scale (Jorgenson et al. 2025, §4-5)."""

    archs: tuple[str, ...] = ("resnet50", "resnet18", "mobilenet_v3_large", "convnext_tiny")
    bases: tuple[str, ...] = ("imagenette", "fashion_mnist")  # paper: ImageNette, WHOI-Plankton
    variants: tuple[str, ...] = tuple(VARIANTS)  # all 20
    scales: tuple[float, ...] = SCALES  # shapes object scales; () skips the object-scale rows
    scale_archs: tuple[str, ...] = ("resnet50", "resnet18")  # archs trained on the shapes sets
    grey_base: str = "none"  # a grey set trained on its original only (colour claims), or none
    settings: tuple[str, ...] = ("finetune_adam", "finetune_sgd")  # paper: both recipes
    n_per_class: int = 1000  # paper: 10k train images over 10 classes
    image_size: int = 224  # paper: 224 x 224
    trials: int = 3  # paper: 3 trials per run
    epochs: int = 30  # paper: 30 (ImageNette), 20 (WHOI), 25 (BlenderShapes)
    keep_every: int = 5  # paper: a checkpoint every 5 epochs
    lr: float = 0.1  # SGD's initial rate, cosine-annealed (paper: from 0.1)
    adam_lr: float = 1e-4  # paper: Adam 1e-4
    momentum: float = 0.9  # not given in the paper
    batch_size: int = 64  # not given in the paper
    pretrain_base: str = "cifar10"  # clean images each architecture is pretrained on, once
    pretrain_per_class: int = 500  # (ImageNet in the paper, which cannot be downloaded here)
    pretrain_epochs: int = 10
    property_samples: int = 2000  # paper: properties averaged over 2,000 random images
    seed: int = 0  # data subsets, noise draws, pretraining; trial t trains with seed + t

    def __post_init__(self) -> None:
        for base in (*self.bases, self.pretrain_base):
            if base not in BASE_SETS:
                raise ValueError(f"unknown base set {base!r}; choose from {BASE_SETS}")
        if self.grey_base not in ("none", *GREY_BASES):
            raise ValueError(f"grey_base must be one of the grey sets {GREY_BASES} or 'none', "
                             f"got {self.grey_base!r}")
        for name in self.variants:
            if name not in VARIANTS:
                raise ValueError(f"unknown variant {name!r}; choose from {tuple(VARIANTS)}")
        unknown = [s for s in self.settings if s not in SETTINGS]
        if unknown or not self.settings:
            raise ValueError(f"settings must be among {tuple(SETTINGS)}, got {self.settings}")
        if not set(self.scale_archs) <= set(self.archs):
            raise ValueError(f"scale_archs {self.scale_archs} must be among archs {self.archs}")
        if self.keep_every < 1 or self.keep_every > self.epochs:
            raise ValueError(f"keep_every must lie in 1..epochs={self.epochs}, "
                             f"got {self.keep_every}")
        if min(self.trials, self.n_per_class, self.property_samples, self.pretrain_per_class,
               self.pretrain_epochs) < 1:
            raise ValueError("trials, n_per_class, property_samples, pretrain_per_class and "
                             "pretrain_epochs must be positive")

    def train_config(self, setting: str, trial: int) -> TrainConfig:
        """The recipe of one setting; trial t changes the shuffling (and, from scratch, the
        initialisation) through seed + t."""
        if setting == "finetune_adam":
            return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer="adam",
                               lr=self.adam_lr, seed=self.seed + trial)
        return TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer="sgd",
                           lr=self.lr, momentum=self.momentum, scheduler="cosine",
                           seed=self.seed + trial)

    def pretrain_config(self) -> TrainConfig:
        return TrainConfig(epochs=self.pretrain_epochs, batch_size=self.batch_size,
                           optimizer="sgd", lr=self.lr, momentum=self.momentum,
                           scheduler="cosine", seed=self.seed)


def normalised(data: ImageSet) -> torch.Tensor:
    """Float inputs standardised with the ImageNet statistics."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (data.float() - mean) / std


@lru_cache(maxsize=8)
def images(spec: Any) -> ImageSet:
    """The images a frozen spec names, built once per process: the sweep trains every
    architecture, setting and trial on a set before the next, and every variant of a base
    derives from one loaded base set (the same images as ``spec.build()``)."""
    if isinstance(spec, VariantSpec):
        return make_variant(images(spec.base), spec.variant, spec.seed)
    return spec.build()


def datasets(cfg: SweepConfig) -> list[tuple[str, str, float, Any]]:
    """(base, variant, object scale or NaN, spec of the images) for every training set."""
    out: list[tuple[str, str, float, Any]] = []
    for base in cfg.bases:
        original = BaseImagesSpec(base, cfg.n_per_class, cfg.image_size, cfg.seed)
        out += [(base, name, math.nan, VariantSpec(original, name, cfg.seed))
                for name in cfg.variants]
    if cfg.grey_base != "none" and cfg.grey_base not in cfg.bases:
        grey = BaseImagesSpec(cfg.grey_base, cfg.n_per_class, cfg.image_size, cfg.seed)
        out.append((cfg.grey_base, "original", math.nan, VariantSpec(grey, "original",
                                                                     cfg.seed)))
    n_shapes = max(1, cfg.n_per_class * 10 // 6)  # six classes, as many images as the bases
    out += [("shapes", f"scale_{scale:g}", scale, ShapesSpec(n_shapes, scale, cfg.image_size,
                                                             cfg.seed)) for scale in cfg.scales]
    return out


def load_pretrained(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy pretrained weights into ``model``; only the classifier (the last linear layer) may
    differ in shape (another class count), and it keeps its fresh initialisation."""
    own = model.state_dict()
    head = [name for name, mod in model.named_modules() if isinstance(mod, nn.Linear)][-1]
    differ = {k for k in own if k in state and own[k].shape != state[k].shape}
    if set(own) != set(state) or not differ <= {f"{head}.weight", f"{head}.bias"}:
        raise ValueError(f"pretrained weights do not fit the model: keys differ "
                         f"{sorted(set(own) ^ set(state))[:5]}, shapes differ {sorted(differ)}")
    model.load_state_dict({k: own[k] if k in differ else v for k, v in state.items()})


@dataclass(frozen=True)
class FilterRun:
    """One training run of the sweep: the images are named by the spec that built them
    (:class:`~dataprints.data.variants.VariantSpec`,
    :class:`~dataprints.data.variants.BaseImagesSpec` or
    :class:`~dataprints.data.shapes.ShapesSpec`) and rebuilt from it to train; ``init`` is the
    pretraining run whose final weights it starts from (None: from scratch)."""

    data: Any  # a frozen spec with build() -> ImageSet
    arch: str
    classes: int
    image_size: int
    init: FilterRun | None
    train: TrainConfig

    def build_model(self) -> nn.Module:
        model = build_arch(self.arch, self.classes, self.image_size)
        if self.init is not None:
            load_pretrained(model, train_cached(self.init, progress=False).model.state_dict())
        return model

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor], None]:
        data = images(self.data)
        return (normalised(data), data.y), None


def pretrain_run(cfg: SweepConfig, arch: str) -> FilterRun:
    """The one clean pretraining of ``arch`` that every fine-tuning run of it starts from:
    ``pretrain_per_class`` images per class of ``pretrain_base``, drawn with seed + 1 (another
    subset than the variants'; the two may share images)."""
    data = BaseImagesSpec(cfg.pretrain_base, cfg.pretrain_per_class, cfg.image_size,
                          cfg.seed + 1)
    return FilterRun(data, arch, 10, cfg.image_size, None, cfg.pretrain_config())


def train_on(cfg: SweepConfig, arch: str, data: ImageSet, trial: int,
             setting: str = "scratch", progress: bool = False) -> TrainedModel:
    """Train (or load) ``arch`` on ``data`` in one of :data:`SETTINGS`, keeping weights every
    ``keep_every`` epochs (epoch 0 holds the starting weights: the pretrained ones when
    fine-tuning).

    ``data`` must come from :func:`~dataprints.data.variants.make_variant` of
    :func:`~dataprints.data.variants.base_images`, or from
    :func:`~dataprints.data.shapes.make_shapes`: the spec they attach is the cache key and
    rebuilds the images.
    """
    if data.spec is None:
        raise TypeError(f"{data.name} carries no spec: build sweep images with base_images + "
                        f"make_variant or make_shapes, so that the cache can name them")
    if data.x.shape[-1] != cfg.image_size:
        raise ValueError(f"{data.name} has {data.x.shape[-1]}-px images, the sweep "
                         f"{cfg.image_size}-px")
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; choose from {tuple(SETTINGS)}")
    init = pretrain_run(cfg, arch) if setting.startswith("finetune") else None
    run = FilterRun(data.spec, arch, len(data.classes), cfg.image_size, init,
                    cfg.train_config(setting, trial))
    return train_cached(run, keep_every=cfg.keep_every, progress=progress)


def conv1_updates(trained: TrainedModel) -> dict[int, torch.Tensor]:
    """Delta conv1 (epoch k weights - starting weights) for every kept epoch k > 0."""
    target = first_conv(trained.model)
    key = next(f"{name}.weight" for name, mod in trained.model.named_modules()
               if mod is target)
    start = trained.epoch_weights(0)[key]
    return {k: trained.epoch_weights(k)[key] - start for k in trained.kept_epochs() if k > 0}


def kind_of(base: str, variant: str) -> str:
    """original / dilate / resize / blur / noise, or "scale" for the shapes sets."""
    return "scale" if base == "shapes" else VARIANTS[variant].kind


def run_sweep(cfg: SweepConfig, progress: bool = True) -> list[dict[str, Any]]:
    """Every (dataset, setting, architecture, trial, kept epoch) as one row of metrics and
    targets. Pretraining comes first (one run per architecture that is fine-tuned)."""
    sets = datasets(cfg)
    if any(s.startswith("finetune") for s in cfg.settings):
        for arch in progress_bar(cfg.archs, enabled=progress, desc="pretrain", unit="arch"):
            train_cached(pretrain_run(cfg, arch), progress=False)
    rows: list[dict[str, Any]] = []
    total = sum(len(cfg.scale_archs if base == "shapes" else cfg.archs) for base, *_ in sets)
    bar = progress_bar(total=total * cfg.trials * len(cfg.settings), enabled=progress,
                       desc="train", unit="run")
    for base, name, scale, spec in sets:
        data = images(spec)
        props = dataset_properties(data, cfg.property_samples, cfg.seed)
        logs = {f"log10_{k}": math.log10(v) if v > 0 else math.nan for k, v in props.items()}
        for setting in cfg.settings:
            for arch in cfg.scale_archs if base == "shapes" else cfg.archs:
                for trial in range(cfg.trials):
                    trained = train_on(cfg, arch, data, trial, setting)
                    acc = trained.history.train_acc[-1]
                    for epoch, delta in conv1_updates(trained).items():
                        rows.append({"setting": setting, "arch": arch, "base": base,
                                     "variant": name, "kind": kind_of(base, name),
                                     "trial": trial, "epoch": epoch, "train_acc": acc,
                                     **filter_metrics(delta), **props, **logs, "scale": scale})
                    bar.update()
    bar.close()
    return rows


def sweep_params(cfg: SweepConfig) -> dict[str, Any]:
    """The config as plain values, for results files."""
    return asdict(cfg)
