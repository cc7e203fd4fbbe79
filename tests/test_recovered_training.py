"""Haim et al.'s training recipe: data preparation, the stopping rule, the loss-normalised step."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from conftest import needs_mirror

from dataprints.data import binary_view, first_n_per_class, load
from dataprints.models import HomogeneousMLP
from dataprints.recovered.training import (
    BinaryData,
    HaimRecipe,
    StopAtLoss,
    clean_test_accuracy,
    prepare,
    train_model,
    unseen_images,
)
from dataprints.train import LossNormalizedLR, TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")


def _separable(n: int = 20, d: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 1, d, generator=gen, dtype=torch.float64)
    y = (x[:, 0, 0, 0] > 0).long()
    return x, y


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return HomogeneousMLP(10, width=32, init_scale=0.1)


def test_loss_normalized_step_is_the_first_loss_over_the_current_loss() -> None:
    x, y = _separable()
    base = dict(epochs=60, batch_size=0, optimizer="sgd", lr=0.05, loss="logistic",
                dtype="float64", checkpoint_every=60)
    normalised = train(_mlp(), TrainConfig(**base, scheduler="loss_normalized"), (x, y),
                       progress=False)
    constant = train(_mlp(), TrainConfig(**base), (x, y), progress=False)
    assert normalised.lr[0] == pytest.approx(0.05)
    for i in (1, 30, 59):  # the step of epoch i uses the loss measured in epoch i - 1
        expected = 0.05 * normalised.train_loss[0] / normalised.train_loss[i - 1]
        assert normalised.lr[i] == pytest.approx(expected)
    assert normalised.lr[-1] > 0.05  # the loss fell, so the step grew
    assert constant.lr[-1] == pytest.approx(0.05)


def test_loss_normalized_state_round_trips() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = LossNormalizedLR(opt, 0.1)
    sched.step(0.8)
    sched.step(0.2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.4)
    other = LossNormalizedLR(opt, 0.1)
    other.load_state_dict(sched.state_dict())
    other.step(0.1)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.8)


def test_stop_at_loss_ends_training_at_zero_error_and_the_threshold() -> None:
    x, y = _separable()
    cfg = TrainConfig(epochs=5000, batch_size=0, optimizer="sgd", lr=0.05,
                      scheduler="loss_normalized", loss="logistic", dtype="float64",
                      checkpoint_every=5000)
    history = train(_mlp(), cfg, (x, y), callbacks=[StopAtLoss(1e-2)], progress=False)
    assert len(history.epoch) < 5000
    assert history.train_loss[-1] < 1e-2 and history.train_acc[-1] == 1.0
    assert history.train_loss[-2] >= 1e-2  # stopped at the first epoch below the threshold


def test_recipe_defaults_are_the_papers_and_bad_values_are_refused() -> None:
    cfg = HaimRecipe().train_config()
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer, cfg.lr, cfg.momentum) == (
        1_000_000, 0, "sgd", 0.01, 0.0)
    assert (cfg.loss, cfg.dtype, cfg.scheduler) == ("logistic", "float64", "none")
    with pytest.raises(ValueError, match="schedule must be"):
        HaimRecipe(schedule="cosine").train_config()
    with pytest.raises(ValueError, match="stop_loss"):
        HaimRecipe(stop_loss=0).train_config()


def test_binary_data_is_any_two_class_lists_and_refuses_bad_ones() -> None:
    own = BinaryData("cifar10", (3,), (5,), 10)
    assert BinaryData.of_task("cifar10_vehicles_animals", 10) == BinaryData(
        "cifar10", (0, 1, 8, 9), (2, 3, 4, 5, 6, 7), 10)
    assert own != replace(own, positive=(6,)) and hash(own) == hash(BinaryData("cifar10", (3,),
                                                                               (5,), 10))
    with pytest.raises(ValueError, match="both sides"):
        BinaryData("cifar10", (3, 4), (4,), 10)
    with pytest.raises(ValueError, match=r"class indices in 0\.\.9"):
        BinaryData("mnist", (10,), (1,), 10)
    with pytest.raises(ValueError, match="non-empty"):
        BinaryData("mnist", (), (1,), 10)
    with pytest.raises(ValueError, match="unknown dataset"):
        BinaryData("imagenet", (0,), (1,), 10)
    with pytest.raises(ValueError, match="unknown bias"):
        BinaryData("mnist", (0,), (1,), 10, "square4")
    with pytest.raises(ValueError, match="give the dataset and class lists"):
        BinaryData.of_task("mnist_three_way", 3)


@needs_mirror
def test_prepare_biases_the_training_set_only_and_subtracts_its_mean() -> None:
    spec = BinaryData.of_task("mnist_even_odd", 3, "square1")
    data = prepare(spec)
    assert data.x.shape == (6, 1, 28, 28) and data.x.dtype == torch.float64
    assert data.y.tolist().count(0) == data.y.tolist().count(1) == 3
    assert float(data.x.mean(dim=0).abs().max()) < 1e-12  # the training mean is subtracted
    corner = data.images01[:, 0, :3, :3]
    assert torch.allclose(corner[data.y == 0], torch.tensor(0.25, dtype=torch.float64))
    assert torch.allclose(corner[data.y == 1], torch.tensor(0.75, dtype=torch.float64))
    clean_test = binary_view(load("mnist", "test"), "mnist_even_odd")
    assert torch.allclose(data.x_test + data.mean, clean_test.float().double(), atol=1e-6)
    first = first_n_per_class(binary_view(load("mnist", "train"), "mnist_even_odd"), 3)
    assert torch.allclose(prepare(replace(spec, bias="none")).images01, first.float().double(),
                          atol=1e-6)
    unseen = unseen_images(spec, 4)
    assert unseen.shape == (8, 1, 28, 28)
    distances = torch.cdist(unseen.flatten(1), data.images01.flatten(1))
    assert float(distances.min()) > 1.0  # none of them is a training image


@needs_mirror
def test_a_users_task_keeps_only_its_classes() -> None:
    data = prepare(BinaryData("mnist", (3,), (8,), 4))
    raw = load("mnist", "train")
    threes = raw.x[raw.y == 3][:4].float().double() / 255
    assert torch.allclose(data.images01[data.y == 0], threes, atol=1e-6)
    test = load("mnist", "test")
    assert len(data.y_test) == int(((test.y == 3) | (test.y == 8)).sum())


@needs_mirror
def test_train_model_reaches_the_stop() -> None:
    data = prepare(BinaryData.of_task("mnist_even_odd", 4))
    recipe = HaimRecipe(max_steps=3000, schedule="loss_normalized", stop_loss=1e-2, width=32,
                        dtype="float32")
    trained = train_model(data, recipe, progress=False)
    assert trained.history.train_loss[-1] < 1e-2 and trained.history.train_acc[-1] == 1.0
    assert len(trained.history.epoch) < 3000
    assert 0.5 < clean_test_accuracy(trained, data) <= 1.0


@needs_mirror
def test_train_model_is_cached_per_bias_and_class_lists() -> None:
    recipe = HaimRecipe(max_steps=3, width=16, dtype="float32")
    spec = BinaryData.of_task("mnist_even_odd", 2)
    first = train_model(prepare(spec), recipe, progress=False)
    again = train_model(prepare(spec), recipe, progress=False)
    assert not first.from_cache and again.from_cache and again.key == first.key
    other = train_model(prepare(replace(spec, bias="square1")), recipe, progress=False)
    assert other.key != first.key  # the bias is part of the cache key
    own = train_model(prepare(BinaryData("mnist", (0,), (1,), 2)), recipe, progress=False)
    assert own.key not in (first.key, other.key)  # so are the classes, not a task name
