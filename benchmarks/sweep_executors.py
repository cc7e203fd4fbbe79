"""The same tiny sweep through the three executors (and in this process): wall time, and whether
every artifact is byte-identical (the manifests' sha256).

The sweep is the frequency chapter's Syn models at a tiny size (one generator, four bands, one
epoch): real chapter specs that need no dataset mirror. Each executor gets its own empty cache;
Ray's start is timed apart. Workers train on one thread (OMP_NUM_THREADS=1) so that the float
results, and so the files, can be compared.

    OMP_NUM_THREADS=1 python benchmarks/sweep_executors.py [n_train]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from dataprints.artifacts import MANIFEST
from dataprints.paths import CACHE_ENV
from dataprints.sweep import execute, run_specs, sweep_specs
from dataprints.sweep.run import record_path, start_ray


def files(specs: list[Any]) -> dict[str, dict[str, str]]:
    """Per artifact, the sha256 of every file its manifest lists."""
    out = {}
    for spec in specs:
        name = json.loads(record_path(spec).read_text())["artifact"]
        manifest = Path(os.environ[CACHE_ENV]) / "artifacts" / name / MANIFEST
        out[name] = {k: v["sha256"] for k, v in json.loads(manifest.read_text())["files"].items()}
    return out


def main(n_train: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    specs = sweep_specs("notebooks/frequency/learning_order.py", "quick", {
        "archs": "['simple_cnn']", "generators": "['standard']", "n_train": str(n_train),
        "n_test": "10", "epochs": "1", "every": "2", "max_steps": "4"})
    root = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    results: dict[str, tuple[float, dict[str, dict[str, str]]]] = {}

    def timed(name: str, run: Any) -> None:
        os.environ[CACHE_ENV] = str(root / name)
        start = time.perf_counter()
        report = run()
        if not getattr(report, "ok", True):
            raise SystemExit(report.summary())
        results[name] = (time.perf_counter() - start, files(specs))
        print(f"{name}: {results[name][0]:.1f} s", file=sys.stderr, flush=True)

    timed("in-process", lambda: [execute(s) for s in specs])
    timed("local (2 workers)", lambda: run_specs(specs, "local", workers=2, poll=0.2))
    timed("submitit (local)", lambda: run_specs(specs, "submitit", cluster="local", poll=0.2))
    import ray

    start = time.perf_counter()
    start_ray(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20,
              log_to_driver=False)
    ray_start = time.perf_counter() - start
    try:
        timed("ray (2 CPUs)", lambda: run_specs(specs, "ray", poll=0.2))
    finally:
        ray.shutdown()
    reference = results["in-process"][1]
    print(f"{len(specs)} SynRun specs (n_train {n_train}/class, 1 epoch); cpus: {os.cpu_count()}")
    for name, (seconds, found) in results.items():
        same = "identical" if found == reference else "DIFFERENT"
        print(f"  {name:18s} {seconds:6.1f} s   artifacts {same} to in-process")
    print(f"  (ray.init: {ray_start:.1f} s, not included above)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
