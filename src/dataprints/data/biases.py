"""Spurious cues injected into a binary training set (Mehmanchi et al. §4.1 and their code).

A 3x3 square trigger whose value gives the label away, at three levels of difficulty, and a
per-class contrast change. Apply them to the training images only; the test set stays clean.
All functions take float images in [0, 1], shape (N, C, H, W), and labels 0 / 1.
"""

from __future__ import annotations

import torch
from torchvision.transforms.functional import adjust_contrast

SQUARE = 3  # side of the trigger, pixels
# Trigger value for label 0 and label 1. MNIST uses 0.25 / 0.75 because its background is 0
# (the authors' mnist_odd_even_noisy_background.py); the other datasets use 0 / 1.
TRIGGER_VALUES = {"mnist": (0.25, 0.75)}
DEFAULT_TRIGGER_VALUES = (0.0, 1.0)
POSITIONS_PER_CLASS = {2: 3, 3: 5}  # level -> trigger positions drawn per class (§4.1)
CONTRAST_FACTORS = (0.5, 2.0)  # label 0 (vehicles) and label 1 (animals), §5.3.2
BIASES = ("none", "square1", "square2", "square3", "contrast")


def trigger_positions(level: int, image_size: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """Diagonal positions (top-left corner at (p, p)) of the trigger for label 0 and label 1.

    Level 1 is the fixed top-left corner. Levels 2 and 3 draw 3 or 5 distinct positions per
    class, once, with ``seed``, from 1 .. image_size - 4 (the authors' range: 1-28 on 32 px).
    """
    if level == 1:
        return [0], [0]
    if level not in POSITIONS_PER_CLASS:
        raise ValueError(f"trigger level must be 1, 2 or 3, got {level!r}")
    k = POSITIONS_PER_CLASS[level]
    candidates = image_size - 4  # positions 1 .. image_size - 4
    if candidates < 2 * k:
        raise ValueError(f"images of {image_size} px are too small for {2 * k} trigger positions")
    draw = torch.randperm(candidates, generator=torch.Generator().manual_seed(seed))[:2 * k] + 1
    return draw[:k].tolist(), draw[k:].tolist()


def add_square_trigger(x: torch.Tensor, y: torch.Tensor, level: int,
                       values: tuple[float, float] = DEFAULT_TRIGGER_VALUES,
                       seed: int = 0) -> torch.Tensor:
    """A copy of ``x`` with the label-revealing 3x3 square of the given level in every image.

    The j-th image of a class (in dataset order) gets that class's position j mod k, so the
    positions cycle through the class as in the authors' ``non_fixed_squares`` mode.
    """
    _check(x, y)
    out = x.clone()
    per_label = trigger_positions(level, x.shape[-1], seed)
    for label in (0, 1):
        where = torch.nonzero(y == label).squeeze(1)
        spots = per_label[label]
        for j, i in enumerate(where.tolist()):
            p = spots[j % len(spots)]
            out[i, :, p:p + SQUARE, p:p + SQUARE] = values[label]
    return out


def contrast_bias(x: torch.Tensor, y: torch.Tensor,
                  factors: tuple[float, float] = CONTRAST_FACTORS) -> torch.Tensor:
    """A copy of ``x`` with label 0's contrast scaled by ``factors[0]``, label 1's by ``factors[1]``
    (torchvision's ``adjust_contrast``: blend with the image's mean grey level, clip to [0, 1])."""
    _check(x, y)
    if min(factors) < 0:
        raise ValueError(f"contrast factors must be non-negative, got {factors}")
    out = x.clone()
    for label in (0, 1):
        where = y == label
        if where.any():
            out[where] = adjust_contrast(x[where], factors[label])
    return out


def apply_bias(x: torch.Tensor, y: torch.Tensor, bias: str, dataset: str,
               seed: int = 0) -> torch.Tensor:
    """Apply a bias by name (one of :data:`BIASES`) with the paper's settings for ``dataset``."""
    if bias not in BIASES:
        raise ValueError(f"unknown bias {bias!r}; choose one of {BIASES}")
    if bias == "none":
        return x.clone()
    if bias == "contrast":
        return contrast_bias(x, y)
    values = TRIGGER_VALUES.get(dataset, DEFAULT_TRIGGER_VALUES)
    return add_square_trigger(x, y, int(bias[-1]), values, seed)


def _check(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"expected float images (N, C, H, W) in [0, 1], got {x.dtype} "
                         f"{tuple(x.shape)}; use ImageSet.float()")
    if y.shape != (x.shape[0],) or not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("expected one 0/1 label per image (use data.binary_view first)")
