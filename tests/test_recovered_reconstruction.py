"""The KKT reconstruction: modified ReLU, one-pass stationarity term, the optimisation itself."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from dataprints.artifacts import TrainedModel
from dataprints.models import build_model
from dataprints.recovered import reconstruction
from dataprints.recovered.reconstruction import (
    ModifiedReLU,
    ReconstructionConfig,
    ReconstructionRun,
    candidate_signs,
    kkt_terms,
    reconstruct,
    reconstruct_cached,
    tuned_config,
    tuned_source,
    with_modified_relu,
)
from dataprints.recovered.training import BinaryData, HaimRecipe, TrainingRun
from dataprints.train import History, TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")


def _mlp(width: int = 16, size: int = 4, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("mlp", in_channels=1, image_size=size, num_classes=2, width=width,
                       init_scale=0.1).double()


def test_modified_relu_forward_is_relu_backward_is_sigmoid_and_twice_differentiable() -> None:
    z = torch.linspace(-2, 2, 9, dtype=torch.float64, requires_grad=True)
    act = ModifiedReLU(alpha=3.0)
    out = act(z)
    assert torch.equal(out, z.clamp_min(0))
    (g,) = torch.autograd.grad(out.sum(), z, create_graph=True)
    assert torch.allclose(g, torch.sigmoid(3.0 * z))
    (gg,) = torch.autograd.grad(g.sum(), z)  # d/dz sigmoid(3z) = 3 s (1 - s)
    s = torch.sigmoid(3.0 * z)
    assert torch.allclose(gg, 3.0 * s * (1 - s))


def test_with_modified_relu_swaps_every_relu_and_leaves_the_original_alone() -> None:
    model = _mlp()
    swapped = with_modified_relu(model, 10.0)
    assert sum(isinstance(m, ModifiedReLU) for m in swapped.modules()) == 2
    assert not any(isinstance(m, torch.nn.ReLU) for m in swapped.modules())
    assert sum(isinstance(m, torch.nn.ReLU) for m in model.modules()) == 2
    x = torch.randn(5, 1, 4, 4, dtype=torch.float64)
    assert torch.allclose(swapped(x), model(x))  # same forward pass


def test_one_backward_pass_equals_the_per_sample_gradient_sum() -> None:
    model = with_modified_relu(_mlp(), alpha=20.0)
    gen = torch.Generator().manual_seed(1)
    m = 6
    x = torch.randn(m, 1, 4, 4, generator=gen, dtype=torch.float64)
    lam = torch.rand(m, generator=gen, dtype=torch.float64)
    signs = candidate_signs(m)
    assert signs.tolist() == [-1, -1, -1, 1, 1, 1]
    params = list(model.parameters())
    summed = [torch.zeros_like(p) for p in params]
    for i in range(m):  # the slow reference: one gradient per candidate
        grads = torch.autograd.grad(model(x[i:i + 1]).sum(), params)
        for acc, g in zip(summed, grads, strict=True):
            acc += lam[i] * signs[i] * g / m
    expected = sum(float(((p - g) ** 2).sum().detach())
                   for p, g in zip(params, summed, strict=True))
    terms = kkt_terms(model, x, lam, signs, lambda_min=0.5)
    terms = {k: float(v.detach()) for k, v in terms.items()}
    assert terms["stationarity"] == pytest.approx(expected, rel=1e-10)
    assert terms["dual"] == pytest.approx(5 * float(((0.5 - lam).clamp_min(0) ** 2).sum()))
    assert terms["prior"] == pytest.approx(
        float(((x.abs() - 1).clamp_min(0) ** 2).sum()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fused_terms_give_the_textbook_loss_and_gradients(dtype: torch.dtype) -> None:
    """The fused stationarity and box terms against their plain autograd formulas (the code
    before issue 17), on candidates with pixels outside [-1, 1] and multipliers below the floor."""
    model = with_modified_relu(_mlp(width=32, size=6), alpha=20.0).to(dtype)
    gen = torch.Generator().manual_seed(2)
    m = 10
    x0 = torch.randn(m, 1, 6, 6, generator=gen, dtype=torch.float64).to(dtype) * 1.5
    lam0 = torch.rand(m, generator=gen, dtype=torch.float64).to(dtype)
    assert (x0.abs() > 1).any() and (x0.abs() < 1).any() and (lam0 < 0.5).any()
    signs = candidate_signs(m, dtype)

    def textbook(x: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
        params = list(model.parameters())
        grads = torch.autograd.grad(model(x), params, grad_outputs=lam * signs / m,
                                    create_graph=True)
        stationarity = sum(((p.detach() - g) ** 2).sum()
                           for p, g in zip(params, grads, strict=True))
        prior = ((x - 1).clamp_min(0) ** 2).sum() + ((-1 - x).clamp_min(0) ** 2).sum()
        return stationarity + prior + 5 * ((0.5 - lam).clamp_min(0) ** 2).sum()

    def fused(x: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
        return sum(kkt_terms(model, x, lam, signs, lambda_min=0.5).values())

    results = []
    for loss_fn in (textbook, fused):
        x, lam = x0.clone().requires_grad_(True), lam0.clone().requires_grad_(True)
        loss = loss_fn(x, lam)
        results.append((loss.detach(), *torch.autograd.grad(loss, [x, lam])))
    for want, got in zip(*results, strict=True):
        assert float((got - want).norm() / want.norm()) < 1e-6


def test_reconstruction_lowers_the_kkt_loss_and_leaves_the_model_untouched() -> None:
    gen = torch.Generator().manual_seed(0)
    x_train = torch.rand(6, 1, 3, 3, generator=gen, dtype=torch.float64) * 1.6 - 0.8
    torch.manual_seed(0)
    model = build_model("mlp", in_channels=1, image_size=3, num_classes=2, width=50,
                        init_scale=1e-2)
    train(model, TrainConfig(epochs=100, batch_size=0, optimizer="sgd", lr=0.05,
                             scheduler="loss_normalized", loss="logistic", dtype="float64",
                             checkpoint_every=100), (x_train, torch.tensor([0, 1] * 3)),
          progress=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = ReconstructionConfig(candidates=12, iterations=30, lr=0.05, lambda_lr=1e-3,
                               init_scale=1e-2, lambda_min=0.1, alpha=50.0, log_every=10)
    result = reconstruct(model, (1, 3, 3), cfg, progress=False)
    assert result.iteration == [1, 10, 20, 30]
    assert all(a > b for a, b in zip(result.loss, result.loss[1:], strict=False))
    assert result.x.shape == (12, 1, 3, 3) and result.lam.shape == (12,)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    again = reconstruct(model, (1, 3, 3), cfg, progress=False)
    assert torch.equal(again.x, result.x)  # seeded: the same run twice


def test_cached_reconstruction_is_keyed_by_the_run_and_reused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = _mlp(size=8)
    trained = TrainedModel(model, History(), "k", Path("."), False)
    cfg = ReconstructionConfig(candidates=4, iterations=3, lr=0.01, init_scale=0.1,
                               lambda_min=0.1, alpha=10.0, log_every=1)
    run = ReconstructionRun(TrainingRun(BinaryData("digits", (0,), (1,), 2), HaimRecipe()), cfg)
    calls = []
    real = reconstruction.reconstruct

    def counted(*args: object, **kwargs: object) -> reconstruction.Reconstruction:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reconstruction, "reconstruct", counted)
    first = reconstruct_cached(run, trained, progress=False)
    second = reconstruct_cached(run, trained, progress=False)
    assert len(calls) == 1  # the second call loaded the artifact
    assert torch.equal(first.x, second.x) and second.iteration == [1, 2, 3]
    assert second.seconds == first.seconds > 0  # the run's time is kept with it
    other = reconstruct_cached(replace(run, cfg=replace(cfg, seed=1)), trained, progress=False)
    assert len(calls) == 2 and not torch.equal(other.x, first.x)
    mnist_task = replace(run, model=replace(run.model, data=BinaryData("digits", (0,), (2,), 2)))
    reconstruct_cached(mnist_task, trained, progress=False)
    assert len(calls) == 3  # the class lists are part of the key


def test_configs_reject_bad_values_with_the_valid_choices() -> None:
    assert tuned_config("mnist").alpha == pytest.approx(149.87)
    assert tuned_config("cifar10", iterations=10).iterations == 10
    with pytest.raises(ValueError, match="choose one of"):
        tuned_config("imagenet")
    # datasets without a tuned run: the stated default by colour
    assert tuned_source("tiny_imagenet") == tuned_source("cifar100") == "cifar10"
    assert tuned_source("fashion_mnist") == "mnist"
    assert tuned_config("fashion_mnist") == tuned_config("mnist")
    with pytest.raises(ValueError, match="even number"):
        ReconstructionConfig(candidates=3)
    with pytest.raises(ValueError, match="dtype must be one of"):
        ReconstructionConfig(dtype="float16")
    with pytest.raises(ValueError, match="one logit per candidate"):
        model = build_model("mlp", in_channels=1, image_size=4, num_classes=3, width=8)
        kkt_terms(model, torch.zeros(2, 1, 4, 4), torch.ones(2), candidate_signs(2), 0.1)
