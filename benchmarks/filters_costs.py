"""Costs of the filter chapter's pieces on this machine: each metric, the property measures,
and one training step of each stand-in architecture with 1 and 2 torch threads.

Run: .venv/bin/python benchmarks/filters_costs.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from dataprints.filters.architectures import MINI_ARCHS, build_arch
from dataprints.filters.metrics import METRICS
from dataprints.filters.properties import laplacian_variance, wavelet_noise_sigma


def per_call(fn, repeats: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    bank = np.random.default_rng(0).standard_normal((64, 3, 7, 7)) * 0.01
    print("metric on a 64x3x7x7 bank (ms per call)")
    for name, fn in METRICS.items():
        print(f"  {name:>16}: {1e3 * per_call(lambda fn=fn: fn(bank), 10):7.2f}")
    image = np.random.default_rng(1).random((3, 32, 32))
    print("property of one 3x32x32 image (ms per call)")
    for name, fn in (("laplacian_var", laplacian_variance), ("wavelet_sigma", wavelet_noise_sigma)):
        print(f"  {name:>16}: {1e3 * per_call(lambda fn=fn: fn(image), 200):7.3f}")
    print("SGD step, batch 50 at 32 px (ms per step)")
    x, y = torch.randn(50, 3, 32, 32), torch.randint(0, 10, (50,))
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for arch in MINI_ARCHS:
            model = build_arch(arch, 10, 32)
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

            def step(model=model, opt=opt) -> None:
                loss = torch.nn.functional.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()

            print(f"  {threads} thread(s) {arch:>20}: {1e3 * per_call(step, 10):7.1f}")


if __name__ == "__main__":
    main()
