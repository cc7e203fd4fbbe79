"""How fast are dominant frequency maps? Batched (masks x images) vs a naive per-mask loop.

One CIFAR-10 model (untrained weights: the cost does not depend on them), ``--images`` test
images of one class, single-frequency masks (``--patch 1``). Prints masks evaluated per second
for both methods, their ratio, and the projected time for a full 10-class DFM. Run:

    DATAPRINTS_DATA=/work/shared/data python benchmarks/frequency_dfm.py --images 10

On a GPU pass ``--device cuda`` and e.g. ``--images 100 --arch resnet18_cifar`` for full size.

``--hierarchical`` instead compares the coarse-to-fine search (``hierarchical_losses``) with the
exhaustive single-frequency search on the trained models of the reference profile (plain model,
every seed in the cache): masks evaluated by each, and the IoU of their top-5 % DFMs per class.
"""

from __future__ import annotations

import argparse
import time

import torch

from dataprints.data import load, normalize
from dataprints.frequency.dfm import (
    class_dfm_scores,
    cull_masks,
    dominant_frequency_maps,
    first_per_class,
    hierarchical_losses,
    mask_losses,
    mask_losses_loop,
)
from dataprints.frequency.shortcuts import iou
from dataprints.frequency.trained import ARCHS, build_arch, natural_model


def hierarchical(seeds: list[int], patches: tuple[int, ...], keep: float) -> None:
    """Coarse-to-fine against exhaustive, on the reference profile's plain models."""
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
        start = time.perf_counter()
        exhaustive = dominant_frequency_maps(class_dfm_scores(
            m.folder, m.model, x, y, k, p["dfm_images"], 1, progress=False), p["top"])
        cached = time.perf_counter() - start
        idx = first_per_class(y, p["dfm_images"], k)
        x, y = x[idx], y[idx]
        start, used, overlaps = time.perf_counter(), 0, []
        for c in range(k):
            scores, n = hierarchical_losses(m.model, x[y == c], c, patches, p["top"], keep)
            used += n
            overlaps.append(iou(dominant_frequency_maps(scores[None], p["top"])[0],
                                exhaustive[c]))
        full = len(cull_masks(x.shape[-1])[0]) * k
        print(f"seed {seed}: hierarchical {patches} keep {keep}: {used} masks vs {full} "
              f"exhaustive ({full / used:.2f}x fewer), {time.perf_counter() - start:.1f} s "
              f"(exhaustive read from cache in {cached:.1f} s); IoU per class "
              f"{[round(v, 3) for v in overlaps]}, mean {sum(overlaps) / k:.3f}, min "
              f"{min(overlaps):.3f}")


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
    parser.add_argument("--levels", type=int, nargs="+", default=[4, 2, 1],
                        help="patch sizes of the coarse-to-fine levels, ending at 1")
    parser.add_argument("--keep", type=float, default=3.0,
                        help="candidates kept per level, in multiples of the DFM's size")
    args = parser.parse_args()
    if args.hierarchical is not None:
        torch.set_num_threads(1)
        hierarchical(args.hierarchical or [0], tuple(args.levels), args.keep)
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
