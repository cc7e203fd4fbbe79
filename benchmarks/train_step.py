"""Training step of the simple CNN in the default (NCHW) layout vs channels-last, side by side.

Both sides run :func:`dataprints.train.train` with the same config, initial weights and
batches (CIFAR-10, Adam, batch 128); channels-last is ``train(..., memory_format=
torch.channels_last)``. Prints ms per step for both from one run (alternating, best of
``--repeats``), whether the two end with equal weights after ``--steps`` steps and how far
apart they are, then the machine, threads and versions. Both layouts compute the same
convolutions in a different summation order, so the weights differ in rounding first and in
trajectory later; ``--seeds`` trains both ways for ``--epochs`` and prints the test accuracy
of each seed, so that the layout's effect can be read against the seed spread.

    DATAPRINTS_DATA=/work/shared/data python benchmarks/train_step.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch

from dataprints import data
from dataprints.models import build_model
from dataprints.results import provenance
from dataprints.train import TrainConfig, evaluate, train

LAYOUTS = {"NCHW (default)": torch.contiguous_format, "channels-last": torch.channels_last}


def fresh(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("simple_cnn", in_channels=3, image_size=32, num_classes=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=2560)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="*", default=[])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    subset = data.balanced_subset(data.load("cifar10"), args.images // 10, seed=0)
    x, y = data.normalize(subset.float(), "cifar10"), subset.y
    batch = 128
    steps_per_epoch = -(-len(x) // batch)
    epochs = max(1, args.steps // steps_per_epoch)
    cfg = TrainConfig(epochs=epochs, batch_size=batch)
    steps = epochs * steps_per_epoch

    best = dict.fromkeys(LAYOUTS, float("inf"))
    weights = {}
    for _ in range(args.repeats):  # alternate, keep the best of each: warm-up and noise cancel
        for name, layout in LAYOUTS.items():
            model = fresh(0)
            start = time.perf_counter()
            train(model, cfg, (x, y), progress=False, memory_format=layout)
            best[name] = min(best[name], time.perf_counter() - start)
            weights[name] = torch.cat([p.detach().flatten() for p in model.parameters()])
    print(f"simple CNN, {len(x)} CIFAR-10 images, batch {batch}, {steps} steps, "
          f"{torch.get_num_threads()} torch threads; best of {args.repeats} alternating runs")
    for name, seconds in best.items():
        print(f"{name:15s}: {seconds / steps * 1e3:7.1f} ms/step")
    a, b = weights.values()
    print(f"ratio (NCHW / channels-last): {best['NCHW (default)'] / best['channels-last']:.2f}; "
          f"weights equal after {steps} steps: {torch.equal(a, b)} "
          f"(max |difference| {float((a - b).abs().max()):.2e}, "
          f"largest weight {float(a.abs().max()):.2e})")

    if args.seeds:
        test = data.load("cifar10", "test")
        tx, ty = data.normalize(test.float(), "cifar10"), test.y
        long_cfg = TrainConfig(epochs=args.epochs, batch_size=batch)
        for name, layout in LAYOUTS.items():
            accs = []
            for seed in args.seeds:
                model = fresh(seed)
                train(model, dataclasses.replace(long_cfg, seed=seed), (x, y), progress=False,
                      memory_format=layout)
                accs.append(evaluate(model, tx, ty)[1])
            print(f"{name:15s}: test accuracy after {args.epochs} epochs, seeds {args.seeds}: "
                  f"{', '.join(f'{a:.4f}' for a in accs)}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {provenance()}, load average {load}")


if __name__ == "__main__":
    main()
