"""The claims the cross-method chapter tests: each paper's own diagnostic should detect the
property that paper plants (the matrix's "home" cells), judged seed by seed; and no diagnostic
should flag the control, a clean model that differs from the reference only by its training
seed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dataprints.crossmethod.agreement import MIN_EFFECT, per_seed_beyond
from dataprints.crossmethod.family import ANOMALY_COUNT, SHORTCUT_STRENGTH, SSIM_ABOVE_NULLS
from dataprints.results import Claim, Results

VARIES = ("training seed (its images, the plant's random draws, initialisation and batch "
          "order), paired with the clean model of the same seed")


@dataclass(frozen=True)
class Home:
    """A paper's diagnostic on the property that paper studies, with the paper's direction."""

    prop: str
    diagnostic: str
    reading: str
    direction: int  # +1: the paper expects a higher reading than the clean model's
    claim: Claim


def _claim(name: str, paper: str, where: str, statement: str) -> Claim:
    return Claim(f"crossmethod.home.{name}", paper, where,
                 f"{statement}, by at least {MIN_EFFECT:g} clean seed spreads in the seed's "
                 f"pair", kind="holds", central=True)


HOMES = (
    Home("blur", "early", "roughness", -1, _claim(
        "blur_smoother_filters", "Jorgenson et al. 2025", "§2 consequence 2, §3.2",
        "a CNN trained on blurred images has a smoother first-layer update (lower roughness) "
        "than the clean model")),
    Home("noise", "early", "noise_sigma", +1, _claim(
        "noise_noisier_filters", "Jorgenson et al. 2025", "§2 consequence 3, §3.2",
        "a CNN trained on noisy images has a noisier first-layer update (higher wavelet noise "
        "estimate) than the clean model")),
    Home("label_noise", "anomaly", ANOMALY_COUNT, +1, _claim(
        "overfit_more_anomaly_filters", "Dou et al. 2024", "§4.1, Table 2",
        "a CNN that overfits (30 % flipped labels) has more anomaly filters than the clean "
        "model")),
    Home("frequency", "frequency", SHORTCUT_STRENGTH, +1, _claim(
        "grating_is_frequency_shortcut", "Wang et al.", "§4.2",
        "a CNN whose label-1 images carry a single-frequency grating has a stronger DFM "
        "shortcut (max TPR − FPR of DFM-filtered images) than the clean model")),
    Home("trigger1", "reconstruction", SSIM_ABOVE_NULLS, -1, _claim(
        "corner_trigger_lowers_score", "Mehmanchi et al.", "§5.3.1, Figs. 5-6",
        "an MLP trained with the corner trigger has a lower best-k SSIM (above the null "
        "baselines) than the clean model")),
)
CONTROL = Claim(
    "crossmethod.control.not_detected", "cross-method chapter", "detection rule (our check)",
    "no diagnostic detects the control, a clean model that differs from the reference only by "
    "its training seed (a false positive of the rule would show here)", kind="sanity")


def record_claims(res: Results, values: Mapping[str, Any], matrix: Mapping[str, Any],
                  seeds: Sequence[int]) -> None:
    """Record the home claims (one replicate per seed) and the control check; a property or
    diagnostic missing from this run is recorded as not run."""
    clean = values["clean"]
    for home in HOMES:
        if home.prop not in values:
            res.claim(home.claim, None, note=f"{home.prop} is not among this run's properties")
            continue
        ours = per_seed_beyond(values[home.prop][home.diagnostic][home.reading],
                               clean[home.diagnostic][home.reading], home.direction)
        res.claim(home.claim, ours if len(ours) > 1 else ours[0], varies=VARIES,
                  note=f"the matrix cell: {matrix[home.prop][home.diagnostic]['verdict']} over "
                       f"{len(seeds)} seed(s)")
    if "control" not in matrix:
        res.claim(CONTROL, None, note="the control is not among this run's properties")
        return
    cells = matrix["control"]
    if any(c["verdict"] == "too few seeds" for c in cells.values()):
        res.claim(CONTROL, None, note="too few seeds for the rule")
        return
    flagged = [d for d, c in cells.items() if c["verdict"] == "detected"]
    res.claim(CONTROL, not flagged,
              note=f"flagged by {', '.join(flagged)}" if flagged else "")
