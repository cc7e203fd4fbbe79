"""Views every chapter needs: the papers' binary tasks, per-class subsets, splits, normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from dataprints.data.catalog import TINY_DOGS, TINY_FOOD, info
from dataprints.data.sources import ImageSet


@dataclass(frozen=True)
class BinaryTask:
    """Which original classes become label 0 and which become label 1."""

    dataset: str
    negative: tuple[int, ...]  # original labels mapped to 0
    positive: tuple[int, ...]  # original labels mapped to 1
    names: tuple[str, str]


BINARY_TASKS: dict[str, BinaryTask] = {
    # Haim et al. 2022, problems/mnist_odd_even.py: even digits -> 0, odd -> 1
    "mnist_even_odd": BinaryTask("mnist", (0, 2, 4, 6, 8), (1, 3, 5, 7, 9), ("even", "odd")),
    # Haim et al. 2022, problems/cifar10_vehicles_animals.py: vehicles -> 0, animals -> 1
    "cifar10_vehicles_animals": BinaryTask(
        "cifar10", (0, 1, 8, 9), (2, 3, 4, 5, 6, 7), ("vehicles", "animals")
    ),
    # Mehmanchi et al., Appendix B: food vs animals on the Tiny ImageNet subset
    "tiny_food_dogs": BinaryTask(
        "tiny_imagenet", tuple(sorted(TINY_FOOD)), tuple(sorted(TINY_DOGS)), ("food", "dogs")
    ),
}


def binary_view(data: ImageSet, task: str) -> ImageSet:
    """Keep the images of the task's classes and relabel them 0 / 1, order preserved."""
    try:
        spec = BINARY_TASKS[task]
    except KeyError:
        raise ValueError(f"unknown binary task {task!r}; choose one of: "
                         f"{', '.join(sorted(BINARY_TASKS))}") from None
    if data.name != spec.dataset:
        raise ValueError(f"task {task!r} is defined on {spec.dataset!r}, not {data.name!r}")
    neg = torch.isin(data.y, torch.tensor(spec.negative))
    pos = torch.isin(data.y, torch.tensor(spec.positive))
    keep = torch.nonzero(neg | pos).squeeze(1)
    return ImageSet(data.x[keep], pos[keep].long(), spec.names, f"{data.name}:{task}",
                    data.source)


def first_n_per_class(data: ImageSet, n: int) -> ImageSet:
    """The first ``n`` images of each class in dataset order (Haim et al.'s choice of train set)."""
    return data.subset(_per_class(data, n, generator=None))


def balanced_subset(data: ImageSet, n: int, seed: int = 0) -> ImageSet:
    """``n`` images per class drawn at random, the same for the same seed; sorted by position."""
    return data.subset(_per_class(data, n, generator=torch.Generator().manual_seed(seed)))


def balanced_split(data: ImageSet, n: int, n_held_out: int, seed: int = 0,
                   ) -> tuple[ImageSet, ImageSet]:
    """``balanced_subset(data, n, seed)`` and, disjoint from it, ``n_held_out`` more images per
    class from the same random order: a validation set carved out of a training split."""
    if n_held_out <= 0:
        raise ValueError(f"n_held_out per class must be positive, got {n_held_out}")
    kept = _per_class(data, n, torch.Generator().manual_seed(seed), reserve=n_held_out)
    held = _per_class(data, n_held_out, torch.Generator().manual_seed(seed), skip=n)
    return (data.subset(kept), data.subset(held, f"{data.name}[held out]"))


def _per_class(data: ImageSet, n: int, generator: torch.Generator | None, skip: int = 0,
               reserve: int = 0) -> torch.Tensor:
    """Per class, images ``skip .. skip + n`` of the (seeded) order; ``reserve`` more must
    exist after them."""
    if n <= 0:
        raise ValueError(f"n per class must be positive, got {n}")
    chosen = []
    for label in torch.unique(data.y).tolist():
        where = torch.nonzero(data.y == label).squeeze(1)
        if len(where) < skip + n + reserve:
            raise ValueError(f"{data.name}: class {label} has only {len(where)} images, "
                             f"{skip + n + reserve} requested")
        if generator is not None:
            where = where[torch.randperm(len(where), generator=generator)]
        chosen.append(where[skip:skip + n])
    return torch.sort(torch.cat(chosen)).values


def train_val_split(data: ImageSet, val_fraction: float = 0.1, seed: int = 0,
                    ) -> tuple[ImageSet, ImageSet]:
    """Split a training set into train and validation parts, stratified by class, seeded."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    generator = torch.Generator().manual_seed(seed)
    val_idx, train_idx = [], []
    for label in torch.unique(data.y).tolist():
        where = torch.nonzero(data.y == label).squeeze(1)
        where = where[torch.randperm(len(where), generator=generator)]
        k = max(1, round(val_fraction * len(where)))
        val_idx.append(where[:k])
        train_idx.append(where[k:])
    train = torch.sort(torch.cat(train_idx)).values
    val = torch.sort(torch.cat(val_idx)).values
    return data.subset(train, f"{data.name}[train]"), data.subset(val, f"{data.name}[val]")


def normalize(x: torch.Tensor, dataset: str) -> torch.Tensor:
    """Standardise float images in [0, 1] with the dataset's per-channel training statistics."""
    meta = info(dataset.split(":")[0])
    if x.ndim != 4 or x.shape[1] != meta.channels:
        raise ValueError(f"expected (N, {meta.channels}, H, W) images for {meta.name}, "
                         f"got {tuple(x.shape)}")
    return standardize(x, meta.mean, meta.std)


def standardize(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(x - mean) / std per channel of (N, C, H, W) images."""
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - m) / s
