"""Haim et al.'s training recipe for reconstructable models, on (optionally biased) binary tasks.

Data: the first n images per binary class in dataset order, a bias applied to them (training
set only), the training-mean image subtracted from train and test. Model: the homogeneous MLP
d-1000-1000-1. Training: full-batch gradient descent on the logistic loss in float64 until zero
training error and loss < 1e-5 (Mehmanchi et al. §5.1), through the shared training loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dataprints.artifacts import TrainedModel, train_cached
from dataprints.data import BINARY_TASKS, binary_view, first_n_per_class, load
from dataprints.data.biases import apply_bias
from dataprints.models import build_model
from dataprints.train import TrainConfig, TrainState, evaluate


@dataclass(frozen=True)
class BinaryTrainingSet:
    """A reconstruction experiment's data: training images as trained on, and the clean test set."""

    task: str
    bias: str
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
        return BINARY_TASKS[self.task].dataset


def prepare(task: str, n_per_class: int, bias: str = "none", bias_seed: int = 0,
            ) -> BinaryTrainingSet:
    """The first ``n_per_class`` training images of each class of ``task`` with ``bias``.

    The test set is the task's whole (clean) test split available: all 10,000 MNIST test
    images, the mirror's first 1,000 CIFAR-10 test images, the 500 Tiny ImageNet val images.
    """
    if task not in BINARY_TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {sorted(BINARY_TASKS)}")
    dataset = BINARY_TASKS[task].dataset
    train_set = first_n_per_class(binary_view(load(dataset, "train"), task), n_per_class)
    test_set = binary_view(load(dataset, "test"), task)
    x = apply_bias(train_set.float().double(), train_set.y, bias, dataset, bias_seed)
    mean = x.mean(dim=0)
    return BinaryTrainingSet(task, bias, x - mean, train_set.y, mean,
                             test_set.float().double() - mean, test_set.y)


def unseen_images(task: str, after_per_class: int, n_per_class: int, bias: str = "none",
                  bias_seed: int = 0) -> torch.Tensor:
    """The first ``n_per_class`` images per class that come after a training set of the first
    ``after_per_class`` (so never trained on), in [0, 1] with the same bias: the "reconstructions"
    of the score's null baseline."""
    dataset = BINARY_TASKS[task].dataset
    view = binary_view(load(dataset, "train"), task)
    if after_per_class < 1:
        raise ValueError(f"after_per_class must be >= 1, got {after_per_class}")
    # position just after the last image of the training set (first n per class in order)
    cut = max(int(torch.nonzero(view.y == label).squeeze(1)[after_per_class - 1])
              for label in (0, 1)) + 1
    rest = view.subset(torch.arange(cut, len(view)))
    chosen = first_n_per_class(rest, n_per_class)
    return apply_bias(chosen.float().double(), chosen.y, bias, dataset, bias_seed)


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


def train_model(data: BinaryTrainingSet, n_per_class: int, recipe: HaimRecipe,
                bias_seed: int = 0, progress: bool = True) -> TrainedModel:
    """Train (or load from the cache) the MLP of ``recipe`` on ``data``."""
    c, h, w = data.x.shape[1:]
    spec = {"chapter": "recovered", "task": data.task, "n_per_class": n_per_class,
            "bias": data.bias, "bias_seed": bias_seed, "mean_subtracted": True,
            "model": "mlp", "width": recipe.width, "init_scale": recipe.init_scale,
            "stop_loss": recipe.stop_loss}

    def build() -> torch.nn.Module:
        return build_model("mlp", in_channels=c, image_size=h, num_classes=2,
                           width=recipe.width, init_scale=recipe.init_scale)

    if h != w:
        raise ValueError(f"expected square images, got {h}x{w}")
    return train_cached(spec, build, recipe.train_config(), (data.x, data.y),
                        callbacks=[StopAtLoss(recipe.stop_loss)], progress=progress)


def clean_test_accuracy(trained: TrainedModel, data: BinaryTrainingSet) -> float:
    """Accuracy on the clean binary test set."""
    return evaluate(trained.model, data.x_test.to(next(trained.model.parameters()).dtype),
                    data.y_test, loss="logistic")[1]

