"""Batched GMM scan vs the scikit-learn loop (one GaussianMixture per filter and K), side by side.

Same features (a simple CNN's second conv layer after ReLU, quick-profile model), K = 2..10,
K by the highest CH. Both run single-threaded. Prints both times, the speed-up and the agreement
of the chosen K (each side with its own k-means++ seeding, as a user would run it) and, from the
same start (scikit-learn given our initial parameters), K and anomaly-flag agreement.

    DATAPRINTS_DATA=/work/shared/data python benchmarks/anomaly_gmm.py [n_filters]
"""

from __future__ import annotations

import dataclasses
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.metrics import calinski_harabasz_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from dataprints.anomaly.criteria import criteria, evaluate_criteria
from dataprints.anomaly.features import capture
from dataprints.anomaly.gmm import fit_mixtures
from dataprints.anomaly.runs import RunSpec, load_data, model_at, train_run
from dataprints.anomaly.scan import K_RANGE, scan_maps


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


def main(n_filters: int = 64) -> None:
    torch.set_num_threads(1)
    spec = RunSpec()
    data = load_data(spec)
    run = train_run(spec, data, progress=False)
    model = model_at(spec, run, run.history.epoch[-1])
    maps = capture(model, data[0][0], ["features.4"])
    maps = {"features.4": maps["features.4"][:, :n_filters]}
    scan = scan_maps(maps, seed=0)[0]
    live = torch.nonzero(scan.live).flatten()
    pts = scan.points[live]
    print(f"{len(live)} live filters x {pts.shape[1]} samples, K = {K_RANGE[0]}..{K_RANGE[-1]}")

    start = time.perf_counter()
    fit = fit_mixtures(pts, K_RANGE, seed=0)
    ours_s = time.perf_counter() - start
    k_ours, _, _ = fit.best()

    with threadpool_limits(1):
        start = time.perf_counter()
        ref_k = [sklearn_best(p.numpy(), lambda k: GaussianMixture(k, random_state=0))[0]
                 for p in pts]
        sk_s = time.perf_counter() - start
        same_start = []
        for i, p in enumerate(pts):
            def make(k, i=i):
                w, m, s = (t[i].numpy() for t in fit.init[K_RANGE.index(k)])
                return GaussianMixture(k, weights_init=w / w.sum(), means_init=m,
                                       precisions_init=np.linalg.inv(s),
                                       init_params="random_from_data")
            same_start.append(sklearn_best(p.numpy(), make))
    ref = dataclasses.replace(scan, k=scan.k.clone(), labels=scan.labels.clone())
    for i, c in enumerate(live.tolist()):
        ref.k[c], ref.labels[c] = same_start[i][0], torch.from_numpy(same_start[i][2])
        ref.ch[c] = same_start[i][1]
    ours = dataclasses.replace(scan)
    ours.k[live], ours.ch[live], ours.labels[live] = fit.best()
    crit = criteria("exp1")
    flags = (evaluate_criteria(ours, crit)["anomaly"] == evaluate_criteria(ref, crit)["anomaly"])
    n = len(live)
    print(f"batched torch EM : {ours_s:8.2f} s")
    print(f"scikit-learn loop: {sk_s:8.2f} s")
    print(f"speed-up         : {sk_s / ours_s:8.1f} x")
    print(f"K agreement, each with its own seeding: "
          f"{int((k_ours == torch.tensor(ref_k)).sum())}/{n}")
    print(f"same start: K agreement {int((ours.k == ref.k)[live].sum())}/{n}, "
          f"anomaly-flag agreement (Table 1, exp 1) {int(flags[live].sum())}/{n}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
