"""Batched GMM scan vs the scikit-learn loop (one GaussianMixture per filter and K), side by side.

The workload is one epoch of Exp 1's scan: every conv layer's ReLU maps of the quick-profile
simple CNN, all live filters fitted together as ``scan_maps`` does, K = 2..10, K by the highest
CH. scikit-learn runs single-threaded (its fits are too small to use more); torch with the
given number of threads (``DATAPRINTS_THREADS``, default 1).
Prints both sides' wall and CPU times from the same run (on a loaded machine the CPU times
show the work, the wall times what a user waits), the speed-up, the agreement of the chosen K
(each side with its own k-means++ seeding, as a user would run it) and, from the same start
(scikit-learn given our initial parameters), K and anomaly-flag agreement; then the machine,
its load and the versions.

    DATAPRINTS_DATA=/work/shared/data python benchmarks/anomaly_gmm.py [threads]

``--threads 1 2`` instead times only the batched scan at each thread count, alternating in one
run (on a machine whose other cores are busy this shows whether more threads collapse).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.metrics import calinski_harabasz_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from dataprints.anomaly.criteria import criteria, evaluate_criteria
from dataprints.anomaly.features import capture, relu_after_conv
from dataprints.anomaly.gmm import fit_mixtures
from dataprints.anomaly.runs import RunSpec, load_data, model_at, train_run
from dataprints.anomaly.scan import K_RANGE, scan_maps
from dataprints.results import provenance
from dataprints.threads import THREADS_ENV


def sklearn_best(points: np.ndarray, make) -> tuple[int, float, np.ndarray]:
    best = (0, -np.inf, np.zeros(len(points), dtype=np.int64))
    for k in K_RANGE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = make(k).fit_predict(points)
        ch = calinski_harabasz_score(points, labels) if len(set(labels)) > 1 else -np.inf
        if ch > best[1]:
            best = (k, ch, labels)
    return best


def epoch_scan() -> tuple[list, list[torch.Tensor], torch.Tensor]:
    """The quick simple CNN's last-epoch scans, their live filters and those filters' points."""
    spec = RunSpec()
    data = load_data(spec)
    run = train_run(spec, progress=False)
    model = model_at(spec, run, run.history.epoch[-1])
    scans = scan_maps(capture(model, data[0][0], relu_after_conv(model)), seed=0)
    lives = [torch.nonzero(s.live).flatten() for s in scans]
    return scans, lives, torch.cat([s.points[lv] for s, lv in zip(scans, lives, strict=True)])


def machine() -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"machine: {provenance()}, load average {load}; numpy {np.__version__}, "
            f"scikit-learn {sklearn.__version__}")


def compare_threads(counts: list[int], repeats: int = 2) -> None:
    """The batched scan at each thread count, alternating, wall and CPU time per count."""
    *_, pts = epoch_scan()
    runs: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    for _ in range(repeats):
        for n in counts:
            os.environ[THREADS_ENV] = str(n)
            start, start_cpu = time.perf_counter(), time.process_time()
            fit_mixtures(pts, K_RANGE, seed=0)
            runs[n].append((time.perf_counter() - start, time.process_time() - start_cpu))
    print(f"one epoch's scan: {len(pts)} live filters x {pts.shape[1]} samples, "
          f"{os.cpu_count()} cores; {repeats} alternating runs per thread count")
    for n, times in runs.items():
        print(f"{n} thread(s): " + ", ".join(f"{w:.2f} s wall ({c:.2f} s CPU)" for w, c in times))
    print(machine())


def main(threads: int = 1) -> None:
    os.environ[THREADS_ENV] = str(threads)  # the setting the library's batched kernels read
    scans, lives, pts = epoch_scan()
    print(f"one epoch's scan: {len(pts)} live filters in {len(scans)} layers x {pts.shape[1]} "
          f"samples, K = {K_RANGE[0]}..{K_RANGE[-1]}; torch threads {threads}, sklearn 1 thread")

    times, cpu = [], []
    for _ in range(3):  # cheap: the median of three runs (scikit-learn's loop runs once)
        start, start_cpu = time.perf_counter(), time.process_time()
        fit = fit_mixtures(pts, K_RANGE, seed=0)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    ours_s, ours_cpu = sorted(times)[1], sorted(cpu)[1]
    k_ours, ch_ours, labels_ours = fit.best()

    with threadpool_limits(1):
        start, start_cpu = time.perf_counter(), time.process_time()
        ref_k = [sklearn_best(p.numpy(), lambda k: GaussianMixture(k, random_state=0))[0]
                 for p in pts]
        sk_s, sk_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        same_start = []
        for i, p in enumerate(pts):
            def make(k, i=i):
                w, m, s = (t[i].numpy() for t in fit.init[K_RANGE.index(k)])
                return GaussianMixture(k, weights_init=w / w.sum(), means_init=m,
                                       precisions_init=np.linalg.inv(s),
                                       init_params="random_from_data")
            same_start.append(sklearn_best(p.numpy(), make))
    crit = criteria("exp1")
    k_same = flags_same = row = 0
    for scan, live in zip(scans, lives, strict=True):
        ours = dataclasses.replace(scan, k=scan.k.clone(), ch=scan.ch.clone(),
                                   labels=scan.labels.clone())
        ref = dataclasses.replace(scan, k=scan.k.clone(), ch=scan.ch.clone(),
                                  labels=scan.labels.clone())
        for c in live.tolist():
            ours.k[c], ours.ch[c], ours.labels[c] = k_ours[row], ch_ours[row], labels_ours[row]
            ref.k[c], ref.ch[c] = same_start[row][0], same_start[row][1]
            ref.labels[c] = torch.from_numpy(same_start[row][2])
            row += 1
        k_same += int((ours.k == ref.k)[live].sum())
        flags = evaluate_criteria(ours, crit)["anomaly"] == evaluate_criteria(ref, crit)["anomaly"]
        flags_same += int(flags[live].sum())
    n = len(pts)
    print(f"batched torch EM : {ours_s:8.2f} s wall, {ours_cpu:6.2f} s CPU (median of "
          f"{', '.join(f'{t:.2f}' for t in times)} s wall)")
    print(f"scikit-learn loop: {sk_s:8.2f} s wall, {sk_cpu:6.2f} s CPU")
    print(f"speed-up         : {sk_s / ours_s:8.1f} x wall, {sk_cpu / ours_cpu:5.1f} x CPU")
    print(f"K agreement, each with its own seeding: "
          f"{int((k_ours == torch.tensor(ref_k)).sum())}/{n}")
    print(f"same start: K agreement {k_same}/{n}, "
          f"anomaly-flag agreement (Table 1, exp 1) {flags_same}/{n}")
    print(machine())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--threads"]:
        compare_threads([int(a) for a in sys.argv[2:]])
    else:
        main(*(int(a) for a in sys.argv[1:]))
