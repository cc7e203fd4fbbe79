"""Bias injection (Mehmanchi et al. §4.1): square triggers at three levels, contrast."""

from __future__ import annotations

import pytest
import torch

from dataprints.data.biases import (
    add_square_trigger,
    apply_bias,
    contrast_bias,
    trigger_positions,
)


def _images(n: int = 12, channels: int = 3, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(n, channels, size, size, generator=gen) * 0.5 + 0.25  # never exactly 0 or 1
    y = torch.tensor([0, 1] * (n // 2))
    return x, y


def test_level_one_is_the_top_left_corner_with_the_class_value() -> None:
    x, y = _images()
    out = add_square_trigger(x, y, level=1)
    assert torch.all(out[y == 0][:, :, :3, :3] == 0.0)
    assert torch.all(out[y == 1][:, :, :3, :3] == 1.0)
    assert torch.equal(out[:, :, 3:, :], x[:, :, 3:, :])  # nothing else changed
    assert torch.equal(out[:, :, :, 3:], x[:, :, :, 3:])
    assert not torch.equal(out, x) and torch.all(x[:, :, :3, :3] != 0)  # input untouched


@pytest.mark.parametrize(("level", "k"), [(2, 3), (3, 5)])
def test_higher_levels_draw_distinct_diagonal_positions_per_class(level: int, k: int) -> None:
    neg, pos = trigger_positions(level, 32, seed=0)
    assert len(neg) == len(pos) == k
    assert len(set(neg) | set(pos)) == 2 * k  # six (ten) positions in all
    assert all(1 <= p <= 28 for p in neg + pos)  # the authors' range on 32 px
    assert trigger_positions(level, 32, seed=0) == (neg, pos)  # drawn once, reproducibly
    assert trigger_positions(level, 32, seed=1) != (neg, pos)
    x, y = _images(n=4 * k)
    out = add_square_trigger(x, y, level)
    for j, i in enumerate(torch.nonzero(y == 1).squeeze(1).tolist()):
        p = pos[j % k]  # positions cycle through the class in dataset order
        assert torch.all(out[i, :, p:p + 3, p:p + 3] == 1.0)
        assert int((out[i] != x[i]).sum()) == 3 * 9


def test_mnist_uses_quarter_values_and_bad_inputs_say_what_to_do() -> None:
    x, y = _images(channels=1, size=28)
    out = apply_bias(x, y, "square1", "mnist")
    assert torch.all(out[y == 0][:, :, :3, :3] == 0.25)
    assert torch.all(out[y == 1][:, :, :3, :3] == 0.75)
    assert torch.equal(apply_bias(x, y, "none", "mnist"), x)
    with pytest.raises(ValueError, match="choose one of"):
        apply_bias(x, y, "square4", "mnist")
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        trigger_positions(0, 28)
    with pytest.raises(ValueError, match="binary_view"):
        add_square_trigger(x, y + 1, 1)
    with pytest.raises(ValueError, match="float images"):
        add_square_trigger((x * 255).to(torch.uint8), y, 1)


def test_contrast_halves_and_doubles_the_spread_around_the_grey_mean() -> None:
    x, y = _images()
    out = contrast_bias(x, y)
    # torchvision's grey level (ITU-R 601-2 luma), averaged over the image
    grey = (0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).mean(dim=(1, 2))
    low = out[y == 0] - grey[y == 0].view(-1, 1, 1, 1)
    assert torch.allclose(low, 0.5 * (x[y == 0] - grey[y == 0].view(-1, 1, 1, 1)), atol=1e-6)
    high = out[y == 1]
    expected = (2.0 * x[y == 1] - grey[y == 1].view(-1, 1, 1, 1)).clamp(0, 1)
    assert torch.allclose(high, expected, atol=1e-6)
