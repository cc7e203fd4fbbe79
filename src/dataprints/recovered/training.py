"""Haim et al.'s training recipe for reconstructable models, on (optionally biased) binary tasks.

Data: the first n images per binary class in dataset order, a bias applied to them (training
set only), the training-mean image subtracted from train and test. Model: the homogeneous MLP
d-1000-1000-1. Training: full-batch gradient descent on the logistic loss in float64 until zero
training error and loss < 1e-5 (Mehmanchi et al. §5.1), through the shared training loop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import BINARY_TASKS, DATASETS, first_n_per_class, load
from dataprints.data.biases import BIASES, apply_bias
from dataprints.data.sources import ImageSet
from dataprints.models import build_model
from dataprints.train import TrainConfig, TrainState, evaluate


@dataclass(frozen=True)
class BinaryData:
    """Which images a reconstruction experiment trains on; frozen, it is also the cache key.

    Any supported dataset and any two disjoint lists of its class indices make a task, e.g.
    cats (3) against dogs (5) on CIFAR-10: ``BinaryData("cifar10", (3,), (5,), 50)``. The
    training set is the first ``n_per_class`` images of each side in dataset order (Haim et
    al.'s choice), with ``bias`` applied to it (never to the test set).
    """

    dataset: str
    negative: tuple[int, ...]  # original class indices that become label 0
    positive: tuple[int, ...]  # original class indices that become label 1
    n_per_class: int
    bias: str = "none"
    bias_seed: int = 0  # draws the trigger positions of levels 2 and 3

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}; choose one of {sorted(DATASETS)}")
        classes = DATASETS[self.dataset].num_classes
        for side, labels in (("negative", self.negative), ("positive", self.positive)):
            if not labels or not all(isinstance(c, int) and 0 <= c < classes for c in labels):
                raise ValueError(f"{side} classes must be a non-empty tuple of class indices in "
                                 f"0..{classes - 1} of {self.dataset}, got {labels!r}")
        both = sorted(set(self.negative) & set(self.positive))
        if both:
            raise ValueError(f"classes {both} are on both sides of the task")
        if self.n_per_class < 1:
            raise ValueError(f"n_per_class must be >= 1, got {self.n_per_class}")
        if self.bias not in BIASES:
            raise ValueError(f"unknown bias {self.bias!r}; choose one of {BIASES}")

    @classmethod
    def of_task(cls, task: str, n_per_class: int, bias: str = "none",
                bias_seed: int = 0) -> BinaryData:
        """The data of one of the papers' named tasks (:data:`BINARY_TASKS`)."""
        if task not in BINARY_TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {sorted(BINARY_TASKS)} or "
                             f"give the dataset and class lists to BinaryData")
        spec = BINARY_TASKS[task]
        return cls(spec.dataset, tuple(spec.negative), tuple(spec.positive), n_per_class, bias,
                   bias_seed)

    def view(self, split: str) -> ImageSet:
        """The split's images of the two sides, relabelled 0 / 1, dataset order kept."""
        return _binary_split(self.dataset, self.negative, self.positive, split)


@functools.lru_cache(maxsize=4)
def _binary_split(dataset: str, negative: tuple[int, ...], positive: tuple[int, ...],
                  split: str) -> ImageSet:
    """Kept in memory: one experiment reads its splits several times (training, test, the null
    baseline's unseen images), and a CIFAR-10 train split takes seconds to load."""
    data = load(dataset, split)
    neg = torch.isin(data.y, torch.tensor(negative))
    pos = torch.isin(data.y, torch.tensor(positive))
    keep = torch.nonzero(neg | pos).squeeze(1)
    return ImageSet(data.x[keep], pos[keep].long(), ("label 0", "label 1"),
                    f"{data.name}:{negative}v{positive}", data.source)


@dataclass(frozen=True)
class BinaryTrainingSet:
    """A reconstruction experiment's data: training images as trained on, and the clean test set."""

    spec: BinaryData
    x: torch.Tensor  # (n, C, H, W) float64, training mean subtracted
    y: torch.Tensor  # (n,) 0/1
    mean: torch.Tensor  # (C, H, W) the training mean that was subtracted
    x_test: torch.Tensor  # clean test images, the same mean subtracted
    y_test: torch.Tensor

    @property
    def images01(self) -> torch.Tensor:
        """The training images in [0, 1] (with their bias), as the score compares them."""
        return self.x + self.mean

    @property
    def dataset(self) -> str:
        return self.spec.dataset

    @property
    def bias(self) -> str:
        return self.spec.bias


def prepare(spec: BinaryData) -> BinaryTrainingSet:
    """The training images of ``spec`` with their bias, mean-subtracted, and the clean test set.

    The test set is the whole test split available for the two sides: all MNIST test images,
    the mirror's first 1,000 CIFAR-10 test images, the Tiny ImageNet val images.
    """
    train_set = first_n_per_class(spec.view("train"), spec.n_per_class)
    test_set = spec.view("test")
    x = apply_bias(train_set.float().double(), train_set.y, spec.bias, spec.dataset,
                   spec.bias_seed)
    mean = x.mean(dim=0)
    return BinaryTrainingSet(spec, x - mean, train_set.y, mean, test_set.float().double() - mean,
                             test_set.y)


def unseen_images(spec: BinaryData, n_per_class: int) -> torch.Tensor:
    """The first ``n_per_class`` images per side after the training set of ``spec`` (so never
    trained on), in [0, 1] with the same bias: the "reconstructions" of the null baseline."""
    view = spec.view("train")
    # position just after the last image of the training set (first n per class in order)
    cut = max(int(torch.nonzero(view.y == label).squeeze(1)[spec.n_per_class - 1])
              for label in (0, 1)) + 1
    chosen = first_n_per_class(view.subset(torch.arange(cut, len(view))), n_per_class)
    return apply_bias(chosen.float().double(), chosen.y, spec.bias, spec.dataset,
                      spec.bias_seed)


@dataclass(frozen=True)
class HaimRecipe:
    """Training hyperparameters; defaults are the paper's (Haim et al., Mehmanchi et al. §5.1)."""

    max_steps: int = 1_000_000  # full-batch GD steps at most (Haim: train_epochs)
    lr: float = 0.01  # SGD step (Haim: train_cifar.txt), no momentum, no weight decay
    schedule: str = "none"  # "none" (paper) or "loss_normalized" (lr * L_1 / L_t, quick profile)
    stop_loss: float = 1e-5  # stop at zero training error and loss below this (Mehmanchi §5.1)
    width: int = 1000  # hidden units in both hidden layers
    init_scale: float = 1e-4  # first layer ~ N(0, 1) * 1e-4 (Haim: model_init_list)
    dtype: str = "float64"  # Haim: --precision double
    seed: int = 0

    def train_config(self) -> TrainConfig:
        if self.schedule not in ("none", "loss_normalized"):
            raise ValueError(f"schedule must be 'none' or 'loss_normalized', got "
                             f"{self.schedule!r}")
        if not self.stop_loss > 0:
            raise ValueError(f"stop_loss must be positive, got {self.stop_loss}")
        return TrainConfig(epochs=self.max_steps, batch_size=0, optimizer="sgd", lr=self.lr,
                           scheduler=self.schedule, loss="logistic", dtype=self.dtype,
                           seed=self.seed, eval_every=self.max_steps,
                           checkpoint_every=max(1, min(self.max_steps, 2000)))


class StopAtLoss:
    """Epoch callback: stop once every training image is classified right and loss < threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, state: TrainState) -> None:
        h = state.history
        if h.train_acc[-1] == 1.0 and h.train_loss[-1] < self.threshold:
            state.stop = True


@dataclass(frozen=True)
class TrainingRun:
    """One model of the chapter, named by its data and recipe (the model cache's key)."""

    data: BinaryData
    recipe: HaimRecipe

    def build_model(self) -> torch.nn.Module:
        meta = DATASETS[self.data.dataset]
        return build_model("mlp", in_channels=meta.channels, image_size=meta.size,
                           num_classes=2, width=self.recipe.width,
                           init_scale=self.recipe.init_scale)

    def train_config(self) -> TrainConfig:
        return self.recipe.train_config()

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor], None]:
        data = prepare(self.data)
        return (data.x, data.y), None


def train_model(data: BinaryTrainingSet, recipe: HaimRecipe,
                progress: bool = True) -> TrainedModel:
    """Train (or load from the cache) the MLP of ``recipe`` on ``data``."""
    return train_cached(TrainingRun(data.spec, recipe), callbacks=[StopAtLoss(recipe.stop_loss)],
                        progress=progress)


def clean_test_accuracy(trained: TrainedModel, data: BinaryTrainingSet) -> float:
    """Accuracy on the clean binary test set."""
    return evaluate(trained.model, data.x_test.to(next(trained.model.parameters()).dtype),
                    data.y_test, loss="logistic")[1]

