"""Speed of one reconstruction iteration at the paper's size (Haim et al.: n = 500, m = 1000,
d = 3072, width 1000), against a plain matmul of the same size timed in the same run, and
against computing the KKT sum with a Python loop over the candidates.

    python benchmarks/recovered_reconstruction.py [--dtype float32|float64] [--iterations 3]
        [--n-per-class 250] [--width 1000]

(``--n-per-class 50 --width 500`` is the reference profile's size; its notebooks record the time
each cached reconstruction actually took per step.)

FLOP model of one iteration: the five big matmuls of the forward pass and of the per-parameter
gradients (2m(d w + w^2) + 2m(2 w^2 + d w)), each counted once more for each of the two
products of its backward pass: 6 m (2 d w + 3 w^2) in all.
"""

from __future__ import annotations

import argparse
import time

import torch

from dataprints.models import build_model
from dataprints.recovered.reconstruction import (
    candidate_signs,
    kkt_terms,
    tuned_config,
    with_modified_relu,
)
from dataprints.train import DTYPES


def iteration_flops(m: int, d: int, w: int) -> float:
    return 6.0 * m * (2 * d * w + 3 * w * w)


def time_matmul(m: int, d: int, w: int, dtype: torch.dtype, repeats: int = 5) -> float:
    """Seconds per (m x d) @ (d x w) product (best of ``repeats``)."""
    a, b = torch.randn(m, d, dtype=dtype), torch.randn(d, w, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return best


def time_batched(net: torch.nn.Module, x: torch.Tensor, lam: torch.Tensor,
                 iterations: int) -> float:
    """Seconds per iteration (loss and its gradient) with the one-backward-pass KKT sum."""
    signs = candidate_signs(len(x), x.dtype)
    times = []
    for _ in range(iterations + 1):  # the first one warms up
        start = time.perf_counter()
        terms = kkt_terms(net, x, lam, signs, 0.5)
        sum(terms.values()).backward(inputs=[x, lam])
        times.append(time.perf_counter() - start)
    return min(times[1:])


def time_loop(net: torch.nn.Module, x: torch.Tensor, lam: torch.Tensor, m: int,
              samples: int) -> float:
    """Seconds per iteration when the KKT sum loops over candidates: ``samples`` of them are
    timed and the time is scaled to all ``m``."""
    params = list(net.parameters())
    signs = candidate_signs(m, x.dtype)
    start = time.perf_counter()
    total = [torch.zeros_like(p) for p in params]
    for i in range(samples):
        grads = torch.autograd.grad(net(x[i:i + 1]).sum() * lam[i] * signs[i] / m, params,
                                    create_graph=True)
        total = [t + g for t, g in zip(total, grads, strict=True)]
    loss = sum(((p.detach() - t) ** 2).sum() for p, t in zip(params, total, strict=True))
    loss.backward(inputs=[x, lam])
    return (time.perf_counter() - start) * m / samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--iterations", type=int, default=3, help="timed iterations")
    parser.add_argument("--loop-samples", type=int, default=40,
                        help="candidates timed in the per-sample loop (scaled to m)")
    parser.add_argument("--n-per-class", type=int, default=250, help="n per class (m = 4 n)")
    parser.add_argument("--width", type=int, default=1000, help="hidden units per layer")
    args = parser.parse_args()
    n, d, w = 2 * args.n_per_class, 3072, args.width
    m = 2 * n
    dtype = DTYPES[args.dtype]
    torch.manual_seed(0)
    model = build_model("mlp", in_channels=3, image_size=32, num_classes=2, width=w)
    net = with_modified_relu(model, tuned_config("cifar10").alpha).to(dtype)
    x = (torch.randn(m, 3, 32, 32, dtype=dtype) * 1e-3).requires_grad_(True)
    lam = torch.rand(m, dtype=dtype).requires_grad_(True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.dtype}; "
          f"n = {n}, m = {m}, d = {d}, width = {w}")
    mm = time_matmul(m, d, w, dtype)
    peak = 2.0 * m * d * w / mm / 1e9
    print(f"plain matmul ({m}x{d}) @ ({d}x{w}): {mm * 1e3:.1f} ms = {peak:.1f} GFLOP/s")
    per_it = time_batched(net, x, lam, args.iterations)
    achieved = iteration_flops(m, d, w) / per_it / 1e9
    print(f"reconstruction iteration (one backward pass over the batch): {per_it:.3f} s "
          f"= {1 / per_it:.2f} it/s, {achieved:.1f} GFLOP/s = {100 * achieved / peak:.0f}% of "
          f"the matmul")
    loop = time_loop(net, x, lam, m, args.loop_samples)
    print(f"per-sample gradient loop ({args.loop_samples} candidates timed, scaled to {m}): "
          f"{loop:.2f} s per iteration; the batched pass is {loop / per_it:.1f}x faster")
    mm_after = time_matmul(m, d, w, dtype)
    print(f"plain matmul again after the runs: {2.0 * m * d * w / mm_after / 1e9:.1f} GFLOP/s "
          f"(the spread shows the machine's load)")


if __name__ == "__main__":
    main()
