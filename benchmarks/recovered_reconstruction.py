"""Speed of one reconstruction iteration at the paper's size (Haim et al.: n = 500, m = 1000,
d = 3072, width 1000), against a plain matmul of the same size timed in the same run, and
against computing the KKT sum with a Python loop over the candidates.

    python benchmarks/recovered_reconstruction.py [--dtype float32|float64] [--iterations 5]
        [--n-per-class 250] [--width 1000] [--against OLD_RECONSTRUCTION_PY]

``--against`` times another copy's ``kkt_terms`` in the same rounds, alternating, e.g. the code
before issue 17: ``git show 9af4f73:src/dataprints/recovered/reconstruction.py > old.py``.

(``--n-per-class 50 --width 500`` is the reference profile's size; its notebooks record the time
each cached reconstruction actually took per step.)

FLOP model of one iteration: the matmuls the loss and its gradient with respect to (x, lambda)
cannot do without. The forward pass and the per-parameter gradients (the first backward, with
``create_graph``) make 2m(2 d w + 3 w^2): x W1^T, h1 W2^T, g1^T x, g2^T h1, g2 W2. The second
backward, to x and lambda only, differentiates each of them: the two weight gradients with
respect to both of their factors (2 x 2m(d w + w^2)), the other three with respect to their
input only (2m(d w + 2 w^2)). In all 2m(5 d w + 7 w^2); the script also counts the FLOPs that
torch actually runs in one step (``FlopCounterMode``), which must agree. (Before issue 17's work
the docstring counted every matmul three times, 6m(2 d w + 3 w^2), 23 % more at this size, so
the percentages it printed were 1.23x too high.)

Prints the machine, load average, threads and versions with the figures; both sides of the
ratio (the step and the plain matmul) come from the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from dataprints.models import build_model
from dataprints.recovered.reconstruction import (
    candidate_signs,
    kkt_terms,
    reconstruct,
    tuned_config,
    with_modified_relu,
)
from dataprints.results import provenance
from dataprints.train import DTYPES


def iteration_flops(m: int, d: int, w: int) -> float:
    """The step's necessary matmul FLOPs (module docstring)."""
    return 2.0 * m * (5 * d * w + 7 * w * w)


def step(terms_fn: Callable[..., dict[str, torch.Tensor]], net: torch.nn.Module,
         x: torch.Tensor, lam: torch.Tensor, signs: torch.Tensor) -> None:
    """The loss and its gradient with respect to (x, lambda): what each iteration computes."""
    terms = terms_fn(net, x, lam, signs, 0.5)
    sum(terms.values()).backward(inputs=[x, lam])


def clock(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def alternate(sides: dict[str, Callable[[], object]],
              rounds: int) -> dict[str, tuple[float, float]]:
    """Best wall and best CPU seconds of each side, the sides called in turn ``rounds`` times
    after one warm-up call each, so that a change in the machine's load hits all of them."""
    for fn in sides.values():
        fn()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            runs[name].append(clock(fn))
    return {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}


def load_terms(path: Path) -> Callable[..., dict[str, torch.Tensor]]:
    """``kkt_terms`` of another copy of ``reconstruction.py`` (e.g. an older commit's)."""
    spec = importlib.util.spec_from_file_location("reference_reconstruction", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.kkt_terms


def counted_flops(net: torch.nn.Module, x: torch.Tensor, lam: torch.Tensor) -> int:
    """FLOPs torch runs in one step (matmuls; elementwise ops are not counted)."""
    with FlopCounterMode(display=False) as counter:
        step(kkt_terms, net, x, lam, candidate_signs(len(x), x.dtype))
    return counter.get_total_flops()


def time_reconstruct(model: torch.nn.Module, m: int, dtype: str, iterations: int) -> float:
    """Mean seconds per iteration of :func:`reconstruct` itself (step, SGD updates, logging)."""
    cfg = tuned_config("cifar10", candidates=m, iterations=iterations, dtype=dtype)
    return reconstruct(model, (3, 32, 32), cfg, progress=False).seconds / iterations


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
    parser.add_argument("--iterations", type=int, default=5,
                        help="alternating rounds timed (and reconstruct() iterations)")
    parser.add_argument("--against", type=Path, default=None,
                        help="also time kkt_terms of this copy of reconstruction.py, e.g. "
                             "`git show REV:src/dataprints/recovered/reconstruction.py`")
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
    flops, counted = iteration_flops(m, d, w), counted_flops(net, x, lam)
    print(f"FLOPs per step: {flops / 1e9:.2f} G by the model, {counted / 1e9:.2f} G counted "
          f"in torch's matmuls")
    a, b = torch.randn(m, d, dtype=dtype), torch.randn(d, w, dtype=dtype)
    mm_flops = 2.0 * m * d * w
    signs = candidate_signs(m, dtype)
    sides: dict[str, Callable[[], object]] = {
        f"plain matmul ({m}x{d}) @ ({d}x{w})": lambda: a @ b,
        "step, this tree": lambda: step(kkt_terms, net, x, lam, signs)}
    if args.against:
        other = load_terms(args.against)
        sides[f"step, {args.against}"] = lambda: step(other, net, x, lam, signs)
    best = alternate(sides, args.iterations)
    mm_wall, mm_cpu = next(iter(best.values()))
    print(f"best of {args.iterations} alternating rounds, wall | CPU:")
    for name, (wall, cpu) in best.items():
        work = mm_flops if name.startswith("plain") else flops
        line = (f"  {name}: {wall:.3f} | {cpu:.3f} s = {work / wall / 1e9:.1f} | "
                f"{work / cpu / 1e9:.1f} GFLOP/s")
        if not name.startswith("plain"):
            line += (f" = {100 * work / wall / (mm_flops / mm_wall):.0f}% | "
                     f"{100 * work / cpu / (mm_flops / mm_cpu):.0f}% of the matmul")
        print(line)
    loop_it = time_reconstruct(model, m, args.dtype, args.iterations)
    print(f"reconstruct() itself, {args.iterations} iterations: {loop_it:.3f} s per iteration "
          f"(step, SGD updates, logging; mean, the first included)")
    loop = time_loop(net, x, lam, m, args.loop_samples)
    print(f"per-sample gradient loop ({args.loop_samples} candidates timed, scaled to {m}): "
          f"{loop:.2f} s per iteration; the batched step is "
          f"{loop / best['step, this tree'][0]:.1f}x faster")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {provenance()}, load average {load}")


if __name__ == "__main__":
    main()
