"""Training-time augmentations as the ``augment(batch, generator)`` callable of the training loop.

Every variant starts from the authors' base augmentation (random crop after 4-pixel padding
and a horizontal flip, drawn from the loop's per-epoch generator); "autoaugment" and "augmix"
then apply torchvision's AutoAugment (CIFAR-10 policy) or AugMix. Those draw from torch's global
generator, which the training loop seeds per epoch, so runs are repeatable.

``group`` sets how many images share one draw of the policy: 1 is the textbook per-image form;
with ``group`` g the batch is cut into consecutive groups of g images and torchvision applies one
drawn operation chain to each group as one tensor (AugMix still draws its mixing weights per
image). Every image still gets an independent draw each epoch, so the distribution of what one
image sees over training is unchanged; only images of the same group share it within a step.
Measured at one thread on a batch of 64: AugMix 220 ms per image-wise batch, 22 ms with groups
of 16 (AutoAugment 32 vs 4 ms), against a training step of the small CNN of about 40-80 ms.

The per-image policies run on one intra-op thread: each op on a 32 x 32 image is far too small
to split, and opening a parallel region per op costs up to a hundred times the op itself when
the cores are shared (measured: AugMix 48 ms per image with 2 threads on a busy machine, 2 ms
with 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from dataprints.data.augment import crop_flip

AUGMENTATIONS = ("none", "autoaugment", "augmix")

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def make_augment(name: str, mean: Sequence[float], std: Sequence[float],
                 group: int = 1) -> Augment:
    """The augmentation ``name`` for batches normalised with ``mean`` / ``std``; ``group``
    images share each draw of the policy (see the module docstring)."""
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose one of: "
                         f"{', '.join(AUGMENTATIONS)}")
    if group < 1:
        raise ValueError(f"group is a number of images sharing one policy draw, >= 1; got "
                         f"{group}")
    if name == "none":
        return crop_flip
    import torchvision.transforms.v2 as T

    policy = (T.AutoAugment(T.AutoAugmentPolicy.CIFAR10) if name == "autoaugment"
              else T.AugMix())

    def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        x = crop_flip(x, gen)
        m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        pixels = ((x * s + m).clamp(0, 1) * 255).round().to(torch.uint8).cpu()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # see the module docstring
        try:
            mixed = torch.cat([policy(pixels[i:i + group])  # one random draw per group
                               for i in range(0, len(pixels), group)])
        finally:
            torch.set_num_threads(threads)
        return (mixed.to(device=x.device, dtype=x.dtype) / 255 - m) / s

    return augment
