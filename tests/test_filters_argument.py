"""The gradient-is-a-multiple-of-the-patch argument and the toy one-layer demonstration."""

import pytest
import torch

from dataprints.filters.argument import (
    TOY_KINDS,
    filter_gradient,
    patch_multiple,
    toy_images,
    train_toy_layer,
)


@pytest.mark.parametrize("loss", [lambda h: (h - 1.0) ** 2, torch.sigmoid, lambda h: h.abs()])
def test_filter_gradient_is_a_multiple_of_the_patch(loss):
    gen = torch.Generator().manual_seed(1)
    filt = torch.randn(3, 7, 7, generator=gen, dtype=torch.float64)
    patch = torch.randn(3, 7, 7, generator=gen, dtype=torch.float64)
    grad = filter_gradient(filt, patch, loss)
    c, residual = patch_multiple(grad, patch)
    assert residual < 1e-12
    h = (filt * patch).sum().requires_grad_(True)
    loss(h).backward()
    assert c == pytest.approx(float(h.grad))  # the multiple is g'(A.B)


def test_patch_multiple_detects_an_update_that_is_not_a_multiple():
    patch = torch.arange(9.0).view(3, 3) + 1
    _, residual = patch_multiple(torch.eye(3), patch)
    assert residual > 0.5
    with pytest.raises(ValueError, match="all zeros"):
        patch_multiple(torch.ones(3, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="same shape"):
        filter_gradient(torch.ones(3, 3), torch.ones(2, 2), torch.sigmoid)


def test_toy_images_have_the_promised_structure():
    grey = toy_images("grey_noise", 4, 16, seed=0)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    solid = toy_images("solid_colour", 4, 16, seed=0)
    assert torch.equal(solid, solid[..., :1, :1].expand_as(solid))
    weak = toy_images("blurred_noise_weak", 8, 32, seed=0)
    strong = toy_images("blurred_noise_strong", 8, 32, seed=0)
    # stronger blur: neighbouring pixels agree more
    def step(x):
        return (x[..., 1:] - x[..., :-1]).abs().mean()

    assert step(strong) < step(weak)
    assert torch.equal(toy_images("grey_noise", 4, 16, seed=3), toy_images("grey_noise", 4, 16,
                                                                          seed=3))
    with pytest.raises(ValueError, match="choose one of"):
        toy_images("stripes", 4)
    assert set(TOY_KINDS) == {"grey_noise", "blurred_noise_weak", "blurred_noise_strong",
                              "solid_colour"}


def test_toy_layer_update_copies_colour_and_flatness_of_the_data():
    init, final = train_toy_layer(toy_images("grey_noise", 16, 12), steps=5, batch_size=4)
    delta = final - init
    assert delta.shape == (64, 3, 7, 7) and delta.abs().max() > 0
    # grey inputs: every channel of every filter moves by the same amount
    assert torch.allclose(delta[:, 0], delta[:, 1], atol=1e-6)
    init, final = train_toy_layer(toy_images("solid_colour", 16, 12), steps=5, batch_size=4)
    delta = final - init
    # constant images: the update is constant over each filter channel
    flat = delta - delta.mean(dim=(2, 3), keepdim=True)
    assert flat.abs().max() < 1e-5 * delta.abs().max() + 1e-7
    with pytest.raises(ValueError, match="images"):
        train_toy_layer(torch.zeros(2, 1, 8, 8))
