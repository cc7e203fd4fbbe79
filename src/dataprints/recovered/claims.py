"""The claims of Mehmanchi et al. that the chapter tests, and how ours are computed from a list
of :class:`~dataprints.recovered.experiment.Outcome` (one per model and seed).

Every holds claim is evaluated once per seed, so the verdict rule of :mod:`dataprints.results`
sees one replicate per seed; value claims take one value per seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dataprints.evidence import bootstrap_spearman, spearman, t_interval, wilson
from dataprints.recovered.experiment import CORNER_CUE, Outcome, corner_contrast
from dataprints.results import Claim, Results

PAPER = "Mehmanchi et al."
VARIES = "seed of the initialisation and of the reconstruction's start (training images fixed)"
CONVERGED_STEPS = 2000  # fewer reconstruction steps leave MNIST reconstructions mean-like blobs
RANK_TOLERANCE = 0.3  # rho >= 0.7 over five models: at most Sum d^2 = 6 (e.g. two adjacent swaps)
TRIGGER_MODELS = ("M_base", "M_1", "M_2", "M_3")

RANK = Claim(
    "mehmanchi.cifar_bias.rank_correlation", PAPER, "§5.3, eq. 8, Fig. 6",
    "the best-10 SSIM orders the CIFAR-10 models (M_base, M_1, M_2, M_3, contrast) as their "
    "clean test accuracy does: Spearman rho = 1 in the paper's Fig. 6 and §5.3.2",
    paper_value=1.0, tolerance=RANK_TOLERANCE, central=True)
M1_LOWEST_SCORE = Claim(
    "mehmanchi.cifar_bias.m1_lowest_score", PAPER, "§5.3.1, Figs. 5-6",
    "M_1 (corner trigger) has the lowest best-10 SSIM of M_base, M_1, M_2, M_3", kind="holds",
    central=True)
M1_LOWEST_ACC = Claim(
    "mehmanchi.cifar_bias.m1_lowest_accuracy", PAPER, "§5.3.1, Fig. 6",
    "M_1 has the lowest clean test accuracy of M_base, M_1, M_2, M_3", kind="holds",
    central=True)
M1_FOLLOWS = Claim(
    "mehmanchi.cifar_bias.m1_follows_trigger", PAPER, "§4.1 (premise), tested directly",
    "M_1 learns the shortcut: on clean test images carrying the other class's corner trigger it "
    "predicts the trigger's label for more than half of them, and more often than M_base",
    kind="holds")
M1_SHOWS = Claim(
    "mehmanchi.cifar_bias.m1_reconstructions_show_trigger", PAPER, "Abstract, §5.3.1 Fig. 5",
    "M_1's reconstructions show the trigger: their corner contrast (dark corner on label-0 "
    "candidates, bright on label-1) exceeds that of M_base's reconstructions", kind="holds")
ABOVE = {
    (m, what): Claim(
        f"mehmanchi.cifar_bias.{m.lower()}_{what}_above_base", PAPER, "§5.3.1, Fig. 6",
        f"{m} has a higher {'best-10 SSIM' if what == 'score' else 'clean test accuracy'} "
        f"than M_base", kind="holds")
    for m in ("M_2", "M_3") for what in ("score", "accuracy")
}
ABOVE_NULL = Claim(
    "mehmanchi.cifar_bias.scores_above_null", PAPER, "§4.3 (our check of the score)",
    "every model's best-10 SSIM exceeds both null baselines (the training mean alone; unseen "
    "images of the task)", kind="sanity")
CONTRAST_ACC = Claim(
    "mehmanchi.contrast.test_acc", PAPER, "§5.3.2",
    "contrast-biased model (factors 0.5 / 2), 100 images: test accuracy 0.691",
    paper_value=0.691, tolerance=0.05)
CONTRAST_SCORE = Claim(
    "mehmanchi.contrast.score", PAPER, "§5.3.2, Fig. 4",
    "contrast-biased model: mean SSIM of the best 10 reconstructions 0.5774",
    paper_value=0.5774, tolerance=0.05)
CONTRAST_ABOVE_NULL = Claim(
    "mehmanchi.contrast.score_above_null", PAPER, "§4.3 (our check of the score)",
    "the contrast model's best-10 SSIM exceeds both null baselines", kind="sanity")
MNIST_LOWEST = Claim(
    "mehmanchi.mnist_bias.lowest_acc_lowest_score", PAPER, "§5.4, Fig. 7",
    "the MNIST model with the lowest test accuracy also has the lowest best-10 SSIM",
    kind="holds")
MNIST_CLOSE = Claim(
    "mehmanchi.mnist_bias.others_close", PAPER, "§5.4, Fig. 7",
    "the other three MNIST models' test accuracies are very close (we read: within 0.02)",
    kind="holds")
MNIST_MISLEADS = Claim(
    "mehmanchi.mnist_bias.ssim_misleads", PAPER, "§5.4",
    "on MNIST, SSIM is a poor guide: unseen real digits score at least as high as converged "
    "reconstructions (our operationalisation)", kind="holds")
TABLE1 = {
    ("MNIST", "test_acc"): 0.898, ("CIFAR-10", "test_acc"): 0.771,
    ("MNIST", "score"): 0.1862, ("CIFAR-10", "score"): 0.5182,
}
TABLE2 = {"M_base": (0.692, 0.68), "M_1": (0.65, 0.635), "M_3": (0.682, 0.698)}
TINY_M3_ABOVE = Claim(
    "mehmanchi.tiny.m3_score_above_base", PAPER, "App. B, Table 2",
    "M_3's best-10 SSIM is slightly above M_base's (the paper: easily reconstructed squares)",
    kind="holds")


def by_seed(outcomes: Sequence[Outcome]) -> dict[int, dict[str, Outcome]]:
    """{seed: {label: outcome}}, seeds ascending; every seed must hold the same models."""
    table: dict[int, dict[str, Outcome]] = defaultdict(dict)
    for o in outcomes:
        if o.label in table[o.seed]:
            raise ValueError(f"two outcomes for {o.label} with seed {o.seed}")
        table[o.seed][o.label] = o
    labels = {frozenset(models) for models in table.values()}
    if len(labels) > 1:
        raise ValueError(f"the seeds hold different models: {[sorted(x) for x in labels]}")
    return dict(sorted(table.items()))


def per_seed(outcomes: Sequence[Outcome], fn: Callable[[dict[str, Outcome]], Any]) -> list[Any]:
    """``fn`` of each seed's {label: outcome}, in seed order: one replicate per seed."""
    return [fn(models) for models in by_seed(outcomes).values()]


def _score(o: Outcome) -> float:
    if o.score is None:
        raise ValueError(f"{o.label} (seed {o.seed}) was not reconstructed")
    return o.score


def is_lowest(values: dict[str, float], label: str) -> bool:
    """``label`` strictly below every other entry."""
    return all(values[label] < v for k, v in values.items() if k != label)


def rank_correlation(models: dict[str, Outcome]) -> float:
    """Spearman rho of the score with the clean test accuracy over one seed's models."""
    labels = sorted(models)
    return spearman([_score(models[m]) for m in labels], [models[m].test_acc for m in labels])


def follows_trigger(models: dict[str, Outcome]) -> bool:
    m1, base = models["M_1"].cues[CORNER_CUE], models["M_base"].cues[CORNER_CUE]
    return m1["follows"] > 0.5 and m1["follows"] > base["follows"]


def shows_trigger(models: dict[str, Outcome]) -> bool:
    return corner(models["M_1"]) > corner(models["M_base"])


def corner(o: Outcome) -> float:
    """The corner contrast of ``o``'s reconstructions (see :func:`corner_contrast`)."""
    if o.recon01 is None:
        raise ValueError(f"{o.label} (seed {o.seed}) was not reconstructed")
    return corner_contrast(o.recon01)


def above_null(o: Outcome) -> bool:
    assert o.nulls is not None
    return _score(o) > max(o.nulls.values())


def summary(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per model over seeds: S mean ± s.d. with its t-interval, both null baselines, the clean
    accuracy's mean ± s.d. and the Wilson interval of the pooled test predictions, the
    corner-trigger test and (when reconstructed) the KKT loss and time per step."""
    out: dict[str, dict[str, Any]] = {}
    for label in dict.fromkeys(o.label for o in outcomes):
        runs = [o for o in outcomes if o.label == label]
        acc = [o.test_acc for o in runs]
        n_test = runs[0].data.y_test.numel()
        correct = round(sum(acc) * n_test)
        row: dict[str, Any] = {
            "seeds": [o.seed for o in runs],
            "test_acc": t_interval(acc).as_dict(),
            "test_acc_wilson": list(wilson(correct, n_test * len(runs))),
            "n_test": n_test,
            "corner_cue_follows": t_interval(
                [o.cues[CORNER_CUE]["follows"] for o in runs]).as_dict(),
        }
        if all(o.result is not None for o in runs):
            assert runs[0].nulls is not None
            row.update({
                "score": t_interval([_score(o) for o in runs]).as_dict(),
                "null_mean_image": runs[0].nulls["mean_image"],
                "null_other_images": runs[0].nulls["other_images"],
                "corner_contrast": t_interval([corner(o) for o in runs]).as_dict(),
                "kkt_drop": t_interval([1 - o.reconstruction.loss[-1] / o.reconstruction.loss[0]
                                        for o in runs if o.reconstruction]).as_dict(),
                "seconds_per_step": t_interval([o.reconstruction.seconds
                                                / o.reconstruction.iteration[-1]
                                                for o in runs if o.reconstruction]).as_dict(),
            })
        out[label] = row
    return out


def bias_level_claims(res: Results, outcomes: Sequence[Outcome],
                      contrast: Sequence[Outcome] = ()) -> None:
    """The §5.3 claims on the trigger models (and the contrast model for the rank
    correlation, when given): one replicate per seed."""
    trig = [o for o in outcomes if o.label in TRIGGER_MODELS]
    every = [*trig, *contrast]
    rhos = per_seed(every, rank_correlation)
    labels = list(dict.fromkeys(o.label for o in every))
    s = np.array([[_score(o) for o in every if o.label == m] for m in labels])
    a = np.array([[o.test_acc for o in every if o.label == m] for m in labels])
    rho_means, lo, hi = bootstrap_spearman(s, a) if s.shape[1] >= 2 else (
        spearman(s.mean(1), a.mean(1)), float("nan"), float("nan"))
    res.record("rank_correlation", {"per_seed": rhos, "models": labels,
                                    "of_means": rho_means, "bootstrap_95": [lo, hi]})
    res.claim(RANK, ours=rhos, varies=VARIES,
              note=f"over {len(labels)} models; rho of the per-model means {rho_means:.2f}"
                   + (f", bootstrap over seeds [{lo:.2f}, {hi:.2f}]" if s.shape[1] >= 2
                      else " (one seed: no bootstrap)"))
    res.claim(M1_LOWEST_SCORE, ours=per_seed(
        trig, lambda ms: is_lowest({m: _score(o) for m, o in ms.items()}, "M_1")), varies=VARIES)
    res.claim(M1_LOWEST_ACC, ours=per_seed(
        trig, lambda ms: is_lowest({m: o.test_acc for m, o in ms.items()}, "M_1")),
        varies=VARIES)
    res.claim(M1_FOLLOWS, ours=per_seed(trig, follows_trigger), varies=VARIES)
    res.claim(M1_SHOWS, ours=per_seed(trig, shows_trigger), varies=VARIES)
    for (m, what), claim in ABOVE.items():
        key: Callable[[Outcome], float] = _score if what == "score" else (lambda o: o.test_acc)
        res.claim(claim, ours=per_seed(trig, lambda ms, m=m, key=key: key(ms[m])
                                       > key(ms["M_base"])), varies=VARIES)
    res.claim(ABOVE_NULL, ours=per_seed(trig, lambda ms: all(map(above_null, ms.values()))),
              varies=VARIES)


def contrast_claims(res: Results, outcomes: Sequence[Outcome]) -> None:
    res.claim(CONTRAST_ACC, ours=[o.test_acc for o in outcomes], varies=VARIES)
    res.claim(CONTRAST_SCORE, ours=[_score(o) for o in outcomes], varies=VARIES)
    res.claim(CONTRAST_ABOVE_NULL, ours=[above_null(o) for o in outcomes], varies=VARIES)


def mnist_claims(res: Results, outcomes: Sequence[Outcome], recon_iterations: int) -> None:
    def lowest_is_lowest(ms: dict[str, Outcome]) -> bool:
        acc = {m: o.test_acc for m, o in ms.items()}
        return is_lowest({m: _score(o) for m, o in ms.items()}, min(acc, key=acc.get))

    def others_close(ms: dict[str, Outcome]) -> bool:
        acc = sorted(o.test_acc for o in ms.values())[1:]
        return acc[-1] - acc[0] <= 0.02

    res.claim(MNIST_LOWEST, ours=per_seed(outcomes, lowest_is_lowest), varies=VARIES)
    res.claim(MNIST_CLOSE, ours=per_seed(outcomes, others_close), varies=VARIES)
    if recon_iterations < CONVERGED_STEPS:
        res.claim(MNIST_MISLEADS, ours=None,
                  note=f"needs converged reconstructions (>= {CONVERGED_STEPS} steps); this "
                       f"profile runs {recon_iterations}, whose MNIST reconstructions are "
                       f"mean-like blobs that any digit outscores")
        return
    res.claim(MNIST_MISLEADS, varies=VARIES, ours=per_seed(outcomes, lambda ms: all(
        o.nulls is not None and o.nulls["other_images"] >= _score(o) for o in ms.values())))


def table1_claims(res: Results, outcomes: Sequence[Outcome]) -> None:
    """Table 1 per dataset; the score claims are 'not run' when nothing was reconstructed."""
    for (name, what), paper_value in TABLE1.items():
        label = "score" if what == "score" else "test accuracy"
        claim = Claim(f"mehmanchi.recovery.{name.lower().replace('-', '')}_{what}", PAPER,
                      "Table 1", f"{name}, 500 images: {label} {paper_value}",
                      paper_value=paper_value, tolerance=0.05)
        runs = [o for o in outcomes if o.label == name]
        if what == "score" and any(o.result is None for o in runs):
            res.claim(claim, ours=None, note="no reconstruction at this profile "
                                             "(recon_iterations = 0)")
            continue
        values = [_score(o) if what == "score" else o.test_acc for o in runs]
        res.claim(claim, ours=values, varies=VARIES)
    above = Claim("mehmanchi.recovery.cifar_above_mnist", PAPER, "§5.2, Table 1",
                  "CIFAR-10 reconstructions score higher than MNIST ones", kind="holds")
    if any(o.result is None for o in outcomes):
        res.claim(above, ours=None, note="no reconstruction at this profile")
        return
    res.claim(above, ours=per_seed(outcomes, lambda ms: _score(ms["CIFAR-10"])
                                   > _score(ms["MNIST"])), varies=VARIES)


def tiny_claims(res: Results, outcomes: Sequence[Outcome]) -> None:
    """App. B, Table 2: values per model, M_1 lowest on both, M_3 slightly above M_base."""
    for m, (paper_acc, paper_ssim) in TABLE2.items():
        runs = [o for o in outcomes if o.label == m]
        res.claim(Claim(f"mehmanchi.tiny.{m.lower()}_test_acc", PAPER, "App. B, Table 2",
                        f"Tiny ImageNet {m}: test accuracy {paper_acc}", paper_value=paper_acc,
                        tolerance=0.05), ours=[o.test_acc for o in runs], varies=VARIES)
        res.claim(Claim(f"mehmanchi.tiny.{m.lower()}_score", PAPER, "App. B, Table 2",
                        f"Tiny ImageNet {m}: mean best-10 SSIM {paper_ssim}",
                        paper_value=paper_ssim, tolerance=0.05),
                  ours=[_score(o) for o in runs], varies=VARIES)
    res.claim(Claim("mehmanchi.tiny.m1_lowest_score", PAPER, "App. B, Table 2",
                    "M_1 has the lowest best-10 SSIM", kind="holds"), varies=VARIES,
              ours=per_seed(outcomes, lambda ms: is_lowest(
                  {m: _score(o) for m, o in ms.items()}, "M_1")))
    res.claim(Claim("mehmanchi.tiny.m1_lowest_accuracy", PAPER, "App. B, Table 2",
                    "M_1 has the lowest test accuracy", kind="holds"), varies=VARIES,
              ours=per_seed(outcomes, lambda ms: is_lowest(
                  {m: o.test_acc for m, o in ms.items()}, "M_1")))
    res.claim(TINY_M3_ABOVE, varies=VARIES,
              ours=per_seed(outcomes, lambda ms: _score(ms["M_3"]) > _score(ms["M_base"])))
    res.claim(Claim("mehmanchi.tiny.scores_above_null", PAPER, "§4.3 (our check of the score)",
                    "every model's best-10 SSIM exceeds both null baselines", kind="sanity"),
              ours=per_seed(outcomes, lambda ms: all(map(above_null, ms.values()))),
              varies=VARIES)
