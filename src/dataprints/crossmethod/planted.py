"""Planted properties: each one turns a clean binary training set into one that carries a known
cue, with the settings of the chapter that studies that cue.

Every property is applied to the training images *and* to the held-out images the diagnostics
read (a user's data carries its quirks in both splits), except label noise, which only touches
the training labels. Images stay uint8, as a dataset on disk would.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from dataprints.data import BINARY_TASKS, ImageSet, balanced_subset, binary_view, load
from dataprints.data.biases import apply_bias
from dataprints.data.synthetic_bands import (
    DISTINCTIVE,
    DISTINCTIVE_AMPLITUDE,
    SIZE,
    _waves,
    special_frequencies,
)
from dataprints.data.variants import apply_variant

# property -> what is planted, in words (the chapter's rows, in this order)
PROPERTIES: dict[str, str] = {
    "control": "nothing: the clean images, another training seed (a false-positive check)",
    "trigger1": "3x3 label-revealing square, fixed corner (Mehmanchi et al. §4.1, level 1)",
    "trigger2": "3x3 label-revealing square, 3 positions per class (level 2)",
    "trigger3": "3x3 label-revealing square, 5 positions per class (level 3)",
    "contrast": "contrast x0.5 on label 0, x2 on label 1 (Mehmanchi et al. §5.3.2)",
    "blur": "every image blurred, kernel 7, sigma 2 (Jorgenson et al. §4.1, blur_7_2)",
    "noise": "Gaussian noise sigma 0.5 on every image (Jorgenson et al. §4.1, noise_0.5)",
    "frequency": "a single-frequency grating on label 1 only (Syn_B2's distinctive class, "
                 "Wang et al. §3)",
    "label_noise": "30 % of the training labels flipped: a model that must memorise (overfit)",
}
CLEAN = "clean"  # the reference every property is compared with
BLUR, NOISE = "blur_7_2", "noise_0.5"  # the variants the filters chapter's orderings compare
FREQUENCY_BAND = 2  # Syn_B2: a mid-frequency ring (radius 4-8 cycles per image)
LABEL_NOISE = 0.3  # share of training labels flipped
CONTROL_SEED_OFFSET = 1000  # the control model trains with seed + this on the clean images


def grating(x: torch.Tensor, seed: int) -> torch.Tensor:
    """``x`` (N, 3, 32, 32) in [0, 1] plus Syn_B2's distinctive frequency (C3's one special
    frequency, at its amplitude), with a random phase and colour per image, clipped."""
    if x.shape[1:] != (3, SIZE, SIZE):
        raise ValueError(f"the grating is drawn on 3x{SIZE}x{SIZE} images, got "
                         f"{tuple(x.shape[1:])}")
    freq = np.array(special_frequencies(FREQUENCY_BAND)[DISTINCTIVE])  # (1, 2)
    rng = np.random.default_rng([seed, 29])
    n = len(x)
    waves = _waves(rng, np.broadcast_to(freq, (n, 1, 2)),
                   np.full((n, 1), DISTINCTIVE_AMPLITUDE))
    return (x + torch.from_numpy(waves).to(x.dtype)).clamp(0, 1)


def plant(images: ImageSet, prop: str, seed: int, train: bool) -> ImageSet:
    """``images`` (0/1 labels) with ``prop`` planted: a new uint8 ImageSet. ``train`` says
    whether these are training images (label noise touches those only)."""
    if prop not in PROPERTIES and prop != CLEAN:
        raise ValueError(f"unknown property {prop!r}; choose one of {CLEAN}, "
                         f"{', '.join(PROPERTIES)}")
    x, y = images.float(), images.y.clone()
    split_seed = seed * 2 + (0 if train else 1)  # noise and phases differ between the splits
    if prop.startswith("trigger"):
        x = apply_bias(x, y, f"square{prop[-1]}", "cifar10", seed=0)
    elif prop == "contrast":
        x = apply_bias(x, y, "contrast", "cifar10")
    elif prop == "blur":
        x = apply_variant(x, BLUR)
    elif prop == "noise":
        x = apply_variant(x, NOISE, seed=split_seed)
    elif prop == "frequency":
        ones = y == 1
        x[ones] = grating(x[ones], split_seed)
    elif prop == "label_noise" and train:
        gen = torch.Generator().manual_seed(seed)
        flip = torch.randperm(len(y), generator=gen)[:round(LABEL_NOISE * len(y))]
        y[flip] = 1 - y[flip]
    pixels = (x * 255).round().clamp(0, 255).to(torch.uint8)
    return ImageSet(pixels, y, images.classes, f"{images.name}+{prop}", images.source)


@functools.lru_cache(maxsize=4)
def _view(task: str, split: str) -> ImageSet:
    """Kept in memory: every model of the family reads the same two splits."""
    return binary_view(load("cifar10", split), task)


@dataclass(frozen=True)
class PlantedSet:
    """A training set and a held-out set of a binary task with one property planted; frozen,
    it names the data in the model cache. The training images are ``n_per_class`` per side,
    drawn with ``seed`` (so each seed trains on other images); the held-out images are the
    first ``n_held_out`` per side of the test split, the same for every seed."""

    prop: str
    n_per_class: int
    n_held_out: int
    seed: int
    task: str = "cifar10_vehicles_animals"  # Haim et al.'s task, the recovered chapter's

    def __post_init__(self) -> None:
        if self.prop not in PROPERTIES and self.prop != CLEAN:
            raise ValueError(f"unknown property {self.prop!r}; choose one of {CLEAN}, "
                             f"{', '.join(PROPERTIES)}")
        if BINARY_TASKS.get(self.task) is None or BINARY_TASKS[self.task].dataset != "cifar10":
            raise ValueError(f"the planted family is defined on CIFAR-10 tasks, got "
                             f"{self.task!r}")
        if min(self.n_per_class, self.n_held_out) < 1:
            raise ValueError(f"n_per_class and n_held_out must be >= 1, got "
                             f"{self.n_per_class}, {self.n_held_out}")

    @property
    def images_prop(self) -> str:
        """What is planted in the images: the control trains on the clean ones."""
        return CLEAN if self.prop == "control" else self.prop

    def train(self) -> ImageSet:
        return plant(balanced_subset(_view(self.task, "train"), self.n_per_class, self.seed),
                     self.images_prop, self.seed, train=True)

    def held_out(self) -> ImageSet:
        view = _view(self.task, "test")
        first = torch.cat([torch.nonzero(view.y == c).squeeze(1)[:self.n_held_out]
                           for c in (0, 1)])
        return plant(view.subset(torch.sort(first).values), self.images_prop, self.seed,
                     train=False)
