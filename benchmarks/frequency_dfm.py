"""How fast are dominant frequency maps? Batched (masks x images) vs a naive per-mask loop.

One CIFAR-10 model (untrained weights: the cost does not depend on them), ``--images`` test
images of one class, single-frequency masks (``--patch 1``). Prints masks evaluated per second
for both methods, their ratio, and the projected time for a full 10-class DFM. Run:

    DATAPRINTS_DATA=/work/shared/data python benchmarks/frequency_dfm.py --images 10

On a GPU pass ``--device cuda`` and e.g. ``--images 100 --arch resnet18_cifar`` for full size.
"""

from __future__ import annotations

import argparse
import time

import torch

from dataprints.data import load, normalize
from dataprints.frequency.dfm import cull_masks, mask_losses, mask_losses_loop
from dataprints.frequency.trained import ARCHS, build_arch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="simple_cnn", choices=list(ARCHS))
    parser.add_argument("--images", type=int, default=10, help="test images of class 0")
    parser.add_argument("--patch", type=int, default=1, help="frequency block size")
    parser.add_argument("--masks", type=int, default=128, help="masks timed (of all)")
    parser.add_argument("--chunk", type=int, default=None,
                        help="images per forward pass (default: 64 on a CPU, 4096 on a GPU)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

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
