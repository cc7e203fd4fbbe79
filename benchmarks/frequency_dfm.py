"""How fast are dominant frequency maps? Batched (masks x images) vs a naive per-mask loop.

One CIFAR-10 model (untrained weights: the cost does not depend on them), ``--images`` test
images of one class, single-frequency masks (``--patch 1``). Prints masks evaluated per second
for both methods, their ratio, and the projected time for a full 10-class DFM. Run:

    DATAPRINTS_DATA=/work/shared/data python benchmarks/frequency_dfm.py --images 10

On a GPU pass ``--device cuda`` and e.g. ``--images 100 --arch resnet18_cifar`` for full size.

``--hierarchical SEED ...`` instead compares the coarse-to-fine search (``hierarchical_losses``)
with the exhaustive single-frequency search on the trained models of the reference profile
(plain CIFAR-10 model, every seed in the cache), and ``--tiny-imagenet SIZE ...`` on the
10-class Tiny ImageNet subset of the data mirror resized to each size (a small model per size,
trained once through the model cache), to see how the count grows with the image size. Both
print the masks each search evaluates and, per class, three IoUs of top-``top`` maps:
hierarchical vs exhaustive on the same images (set A), and, as the yardstick, the exhaustive map
of set A vs that of a disjoint set B of as many images of the class, and the hierarchical map
of A vs the exhaustive map of B. A top-5 % map whose weaker members lie within sampling noise
cannot be matched more closely by any cheaper search than it matches itself on other images.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import torch

from dataprints.artifacts import train_cached
from dataprints.data import load, normalize
from dataprints.frequency.dfm import (
    class_dfm_scores,
    cull_masks,
    dfm_scores,
    dominant_frequency_maps,
    first_per_class,
    hierarchical_losses,
    mask_losses,
    mask_losses_loop,
)
from dataprints.frequency.shortcuts import iou
from dataprints.frequency.trained import (
    ARCHS,
    accuracy_on_test,
    build_arch,
    natural_model,
    paper_config,
)
from dataprints.results import provenance
from dataprints.train import TrainConfig, evaluate


def compare(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, k: int, n: int,
            patches: tuple[int, ...], top: float, keep: float,
            exhaustive_a: torch.Tensor | None = None) -> str:
    """One line: masks and IoUs (module docstring) with sets A = the first ``n`` images of each
    class and B = the next ``n``; ``exhaustive_a`` is A's exhaustive (K, H, W) scores if cached."""
    first = first_per_class(y, 2 * n, k)
    a = torch.cat([first[y[first] == c][:n] for c in range(k)])
    b = torch.cat([first[y[first] == c][n:] for c in range(k)])
    if exhaustive_a is None:
        exhaustive_a = dfm_scores(model, x[a], y[a], k, progress=False)
    ex_a = dominant_frequency_maps(exhaustive_a, top)
    ex_b = dominant_frequency_maps(dfm_scores(model, x[b], y[b], k, progress=False), top)
    used, same, ceiling, across = 0, [], [], []
    start = time.perf_counter()
    for c in range(k):
        xc = x[a][y[a] == c]
        scores, count = hierarchical_losses(model, xc, c, patches, top, keep)
        used += count
        hier = dominant_frequency_maps(scores[None], top)[0]
        same.append(iou(hier, ex_a[c]))
        ceiling.append(iou(ex_a[c], ex_b[c]))
        across.append(iou(hier, ex_b[c]))
    seconds = time.perf_counter() - start
    full = len(cull_masks(x.shape[-1])[0]) * k

    def summary(values: list[float]) -> str:
        return f"mean {sum(values) / k:.3f} (min {min(values):.3f})"

    return (f"{x.shape[-1]} px, {n} images/class: hierarchical {patches} keep {keep}: {used} "
            f"masks vs {full} exhaustive ({full / used:.2f}x fewer, {seconds:.0f} s); IoU "
            f"hierarchical-A vs exhaustive-A {summary(same)}; exhaustive A vs B "
            f"{summary(ceiling)}; hierarchical-A vs exhaustive-B {summary(across)}")


def reference_models(seeds: list[int], patches: tuple[int, ...], keep: float) -> None:
    """Coarse-to-fine against exhaustive, on the reference profile's plain CIFAR-10 models."""
    from dataprints.notebooks import parameters, profile_overrides
    from dataprints.paths import repo_root

    path = repo_root() / "notebooks" / "frequency" / "natural_dfm.py"
    p = {k: v.default for k, v in parameters(path).items()}
    p.update(profile_overrides(path, "reference", repo_root()))
    for seed in seeds:
        splits, m = natural_model(p["dataset"], p["n_per_class"], p["n_val_per_class"], seed,
                                  p["image_size"], p["arch"], p["augments"][0], p["epochs"],
                                  p["lr"], p["schedule"], p["augment_group"], progress=False)
        if not m.from_cache:
            raise SystemExit("train the reference models first (the notebook or its fill)")
        x, y = splits.standardise(splits.test), splits.test.y
        k = len(splits.test.classes)
        cached = class_dfm_scores(m.folder, m.model, x, y, k, p["dfm_images"], 1,
                                  progress=False)
        print(f"CIFAR-10 reference model, seed {seed} (test accuracy "
              f"{accuracy_on_test(m, splits):.3f}): "
              + compare(m.model, x, y, k, p["dfm_images"], patches, p["top"], keep, cached),
              flush=True)


def _tiny_imagenet(split: str, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The mirror's 10-class Tiny ImageNet subset, standardised, resized to ``size`` (area
    averaging, so no frequency above the new Nyquist limit aliases in), labels 0..9."""
    data = load("tiny_imagenet", split)
    x = normalize(data.float(), "tiny_imagenet")
    if size != x.shape[-1]:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="area")
    return x, torch.unique(data.y, return_inverse=True)[1]


@dataclass(frozen=True)
class TinyImageNetRun:
    """A small classifier of the 10-class Tiny ImageNet subset at one image size (a training
    spec for the model cache): the reference profile's architecture and schedule."""

    image_size: int
    seed: int = 0
    epochs: int = 10
    arch: str = "simple_cnn_bn"
    held_out: int = 25  # validation images per class, out of the 250 training ones

    def build_model(self) -> torch.nn.Module:
        return build_arch(self.arch, 3, self.image_size, 10)

    def train_config(self) -> TrainConfig:
        return paper_config(self.epochs, lr=0.05, seed=self.seed, scheduler="cosine")

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                     tuple[torch.Tensor, torch.Tensor]]:
        x, y = _tiny_imagenet("train", self.image_size)
        val = torch.cat([torch.nonzero(y == c).squeeze(1)[:self.held_out] for c in range(10)])
        train = torch.ones(len(y), dtype=torch.bool)
        train[val] = False
        return (x[train], y[train]), (x[val], y[val])


def tiny_imagenet(sizes: list[int], n: int, patches: tuple[int, ...], keep: float,
                  top: float) -> None:
    """Coarse-to-fine against exhaustive on Tiny ImageNet models at each image size."""
    for size in sizes:
        trained = train_cached(TinyImageNetRun(size), progress=False)
        x, y = _tiny_imagenet("test", size)
        acc = evaluate(trained.model, x, y)[1]
        print(f"Tiny ImageNet (10 classes), simple_cnn_bn, test accuracy {acc:.3f}: "
              + compare(trained.model, x, y, 10, n, patches, top, keep), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="simple_cnn", choices=list(ARCHS))
    parser.add_argument("--images", type=int, default=10, help="test images of class 0")
    parser.add_argument("--patch", type=int, default=1, help="frequency block size")
    parser.add_argument("--masks", type=int, default=128, help="masks timed (of all)")
    parser.add_argument("--chunk", type=int, default=None,
                        help="images per forward pass (default: 64 on a CPU, 4096 on a GPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--hierarchical", type=int, nargs="*", metavar="SEED",
                        help="compare the coarse-to-fine search on these reference seeds")
    parser.add_argument("--tiny-imagenet", type=int, nargs="*", metavar="SIZE",
                        help="compare the coarse-to-fine search on Tiny ImageNet at these sizes")
    parser.add_argument("--tiny-images", type=int, default=10,
                        help="Tiny ImageNet test images per class in each of sets A and B")
    parser.add_argument("--levels", type=int, nargs="+", default=[4, 2, 1],
                        help="patch sizes of the coarse-to-fine levels, ending at 1")
    parser.add_argument("--keep", type=float, default=3.0,
                        help="candidates kept per level, in multiples of the DFM's size")
    args = parser.parse_args()
    if args.hierarchical is not None or args.tiny_imagenet is not None:
        torch.set_num_threads(1)
        if args.hierarchical is not None:
            reference_models(args.hierarchical or [0], tuple(args.levels), args.keep)
        if args.tiny_imagenet is not None:
            tiny_imagenet(args.tiny_imagenet or [32, 64], args.tiny_images, tuple(args.levels),
                          args.keep, 0.05)
        load_avg = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"machine: {provenance()}, load average {load_avg}")
        return

    torch.manual_seed(0)
    test = load("cifar10", "test")
    x = normalize(test.float(), "cifar10")[test.y == 0][:args.images].to(args.device)
    model = build_arch(args.arch, 3, 32, 10)
    model = model.to(args.device).eval()
    masks, _ = cull_masks(32, args.patch)
    timed = masks[:args.masks]

    def clock(fn) -> float:
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start

    mask_losses(model, x, 0, timed[:4], args.chunk)  # warm-up
    batched = clock(lambda: mask_losses(model, x, 0, timed, args.chunk))
    loop = clock(lambda: mask_losses_loop(model, x, 0, timed))
    rate_b, rate_l = len(timed) / batched, len(timed) / loop
    full = len(masks) * 10 / rate_b  # 10 classes, same images per class
    print(f"device {args.device}, threads {torch.get_num_threads()}, arch {args.arch}, "
          f"{args.images} images/class, patch {args.patch}: {len(masks)} distinct masks")
    print(f"batched : {rate_b:9.1f} masks/s ({rate_b * args.images:9.0f} images/s)")
    print(f"per-mask: {rate_l:9.1f} masks/s ({rate_l * args.images:9.0f} images/s)")
    print(f"speed-up of batched over per-mask loop: {rate_b / rate_l:.2f}x")
    print(f"projected full 10-class DFM: {full:.1f} s")


if __name__ == "__main__":
    main()
