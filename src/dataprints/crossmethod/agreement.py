"""The detection rule and the agreement matrix: does a diagnostic's reading of a planted model
differ from its reading of the clean model, consistently over seeds?

Seed s trains a planted model and a clean model on the same images (before planting) with the
same initialisation and batch order, so the paired difference d_s = reading(planted_s) −
reading(clean_s) removes what the seed alone moves. A reading *detects* a property when, over
n ≥ :data:`MIN_SEEDS` seeds,

1. the effect size mean(d) / sd(clean readings over seeds) is at least :data:`MIN_EFFECT` in
   size (the planted models lie that many of the clean models' own seed spreads away), and
2. the two-sided t-interval of mean(d) excludes 0, at level 1 − 0.05 / R for a diagnostic of R
   readings (Bonferroni: the early filters give eight metrics, and any of them may detect).

Either direction counts: a user comparing with a clean reference sees an abnormal reading either
way; the effect's sign is kept. Nothing here knows which property is planted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dataprints.evidence import sign_test, t_interval

MIN_EFFECT = 2.0  # |mean paired difference| in clean seed spreads (sd over the clean models)
LEVEL = 0.95  # family-wise, per diagnostic (Bonferroni over its readings)
MIN_SEEDS = 3  # fewer paired seeds give no verdict (the t-interval at n = 2 spans ±12.7 sd)
VERDICTS = ("detected", "not detected", "too few seeds")


@dataclass(frozen=True)
class Comparison:
    """One reading of one property against the clean models, over paired seeds."""

    reading: str
    n: int
    planted_mean: float
    clean_mean: float
    clean_sd: float  # sd of the clean models' reading over seeds: the effect's unit
    mean_diff: float
    sd_diff: float
    effect: float  # mean_diff / clean_sd (±inf when the clean models never vary)
    lo: float  # t-interval of mean_diff at ``level``
    hi: float
    level: float
    positive: int  # seeds with d_s > 0
    negative: int
    sign_p: float  # one-sided sign test in the direction of the mean
    verdict: str

    @property
    def detected(self) -> bool:
        return self.verdict == "detected"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def effect_size(mean_diff: float, clean_sd: float) -> float:
    """``mean_diff`` in clean seed spreads; 0 for no difference, ±inf when the clean models'
    reading never varies but the planted ones differ."""
    if mean_diff == 0:
        return 0.0
    if clean_sd == 0 or math.isnan(clean_sd):
        return math.copysign(math.inf, mean_diff)
    return mean_diff / clean_sd


def compare(reading: str, planted: Sequence[float | None], clean: Sequence[float | None],
            tests: int = 1, min_effect: float = MIN_EFFECT, level: float = LEVEL) -> Comparison:
    """The rule for one reading; ``planted[s]`` and ``clean[s]`` come from seed s. A seed where
    either reading is undefined (None or NaN) is left out of the pairs."""
    if len(planted) != len(clean):
        raise ValueError(f"{reading}: {len(planted)} planted and {len(clean)} clean readings; "
                         f"they pair seed by seed")
    if tests < 1:
        raise ValueError(f"tests must be >= 1, got {tests}")
    pairs = [(float(p), float(c)) for p, c in zip(planted, clean, strict=True)
             if p is not None and c is not None and math.isfinite(p) and math.isfinite(c)]
    n = len(pairs)
    nan = math.nan
    if n == 0:
        return Comparison(reading, 0, nan, nan, nan, nan, nan, nan, nan, nan, level, 0, 0,
                          1.0, "too few seeds")
    p_arr, c_arr = np.array([p for p, _ in pairs]), np.array([c for _, c in pairs])
    diffs = p_arr - c_arr
    clean_sd = float(c_arr.std(ddof=1)) if n > 1 else nan
    level_adj = 1 - (1 - level) / tests
    interval = t_interval(diffs.tolist(), level_adj)
    effect = effect_size(interval.mean, clean_sd)
    up = sign_test(diffs.tolist())
    down = sign_test((-diffs).tolist())
    sign_p = up.p if interval.mean >= 0 else down.p
    if n < MIN_SEEDS:
        verdict = "too few seeds"
    else:
        excludes_zero = interval.lo > 0 or interval.hi < 0 or (
            interval.sd == 0 and interval.mean != 0)
        verdict = ("detected" if excludes_zero and abs(effect) >= min_effect
                   else "not detected")
    return Comparison(reading, n, float(p_arr.mean()), float(c_arr.mean()), clean_sd,
                      interval.mean, interval.sd, effect, interval.lo, interval.hi, level_adj,
                      up.positive, up.negative, sign_p, verdict)


def diagnostic_cell(planted: Mapping[str, Sequence[float | None]],
                    clean: Mapping[str, Sequence[float | None]],
                    min_effect: float = MIN_EFFECT, level: float = LEVEL) -> dict[str, Any]:
    """One cell of the matrix: every reading of a diagnostic compared (Bonferroni over them);
    detected when any reading is. ``shown`` is the reading the cell displays: the detected one
    with the largest effect, else the largest effect of all."""
    if set(planted) != set(clean):
        raise ValueError(f"planted readings {sorted(planted)} and clean readings "
                         f"{sorted(clean)} differ")
    if not planted:
        raise ValueError("a diagnostic needs at least one reading")
    tests = len(planted)
    rows = [compare(name, planted[name], clean[name], tests, min_effect, level)
            for name in planted]

    def size(c: Comparison) -> float:
        return -1.0 if math.isnan(c.effect) else abs(c.effect)

    detected = [c for c in rows if c.detected]
    shown = max(detected or rows, key=size)
    if detected:
        verdict = "detected"
    elif all(c.verdict == "too few seeds" for c in rows):
        verdict = "too few seeds"
    else:
        verdict = "not detected"
    return {"verdict": verdict, "shown": shown.reading, "effect": shown.effect,
            "n": shown.n, "tests": tests, "detected_by": [c.reading for c in detected],
            "readings": {c.reading: c.as_dict() for c in rows}}


Readings = Mapping[str, Mapping[str, Sequence[float | None]]]  # diagnostic -> reading -> seeds


def agreement_matrix(planted: Mapping[str, Readings], clean: Readings,
                     min_effect: float = MIN_EFFECT, level: float = LEVEL,
                     ) -> dict[str, dict[str, dict[str, Any]]]:
    """property -> diagnostic -> :func:`diagnostic_cell`, every property against ``clean``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for prop, by_diagnostic in planted.items():
        if set(by_diagnostic) != set(clean):
            raise ValueError(f"{prop}: diagnostics {sorted(by_diagnostic)} differ from the "
                             f"clean models' {sorted(clean)}")
        out[prop] = {d: diagnostic_cell(by_diagnostic[d], clean[d], min_effect, level)
                     for d in clean}
    return out


def per_seed_beyond(planted: Sequence[float | None], clean: Sequence[float | None],
                    direction: int, min_effect: float = MIN_EFFECT) -> list[bool]:
    """Per seed: the planted reading lies at least ``min_effect`` clean seed spreads beyond the
    same seed's clean reading in ``direction`` (+1 higher, −1 lower); the replicates of a
    'holds' claim. Seeds with an undefined reading count as not holding."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction}")
    values = [float(c) for c in clean if c is not None and math.isfinite(c)]
    if len(values) < 2:
        raise ValueError("the clean models' spread needs at least 2 defined readings")
    sd = float(np.std(values, ddof=1))
    out = []
    for p, c in zip(planted, clean, strict=True):
        if p is None or c is None or not (math.isfinite(p) and math.isfinite(c)):
            out.append(False)
            continue
        d = direction * (float(p) - float(c))
        out.append(d > 0 and (d >= min_effect * sd))
    return out


def counts(matrix: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, int]:
    """How many properties each diagnostic detects (0 included), and in all."""
    out: dict[str, int] = {}
    for cells in matrix.values():
        for diagnostic, cell in cells.items():
            out[diagnostic] = out.get(diagnostic, 0) + (cell["verdict"] == "detected")
    out["all"] = sum(out.values())
    return out
