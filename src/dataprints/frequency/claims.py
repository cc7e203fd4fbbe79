"""The claims of Wang et al. (ICCV 2023) that the frequency chapter tests, and how ours are
computed from each experiment's outcome.

Only the paper's abstract was available; its findings come from the authors' code and from
secondary summaries, marked [S] in each claim's ``where``. The ADCS checks hold by construction
and the checks of our generator test our data, not the paper: they are *sanity* claims. A claim
whose premise is absent from our runs (e.g. "augmentation does not remove the shortcuts" when no
class is a shortcut) is *not applicable*; :func:`claim_or_not_applicable` records either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from dataprints.data.synthetic_bands import CLASSES, DISTINCTIVE
from dataprints.frequency.balanced import special_frequencies
from dataprints.frequency.spectra import band_index
from dataprints.results import Claim, Results

PAPER = "Wang et al."
SHORTCUT_TPR = 0.6  # a "strong" shortcut: TPR on DFM-filtered images at least this (HFSS [S])
SHORTCUT_FPR = 0.1  # ... with an FPR at most this (class-specific)
TRANSFER_TPR = 0.5  # a shortcut "transfers" when its class keeps this TPR on shifted images
SHORTCUT_CLASS = "C2"  # the paper's band-stop survivor
# CIFAR-10 stand-ins for the paper's two IN-10 shortcut classes (the horse images lack stripes)
PAPER_SHORTCUTS = {"ship": "container ship", "horse": "zebra"}
# What the paper reports augmentation does to them [S]: AugMix worsens container ship and
# mitigates zebra, AutoAugment partially mitigates both
AUGMENT_EFFECTS = (("augmix", "ship", "worse"), ("augmix", "horse", "mitigated"),
                   ("autoaugment", "ship", "mitigated"), ("autoaugment", "horse", "mitigated"))
ADCS_SHARE = 2 / 3  # a class's ADCS is "mostly positive" (negative) on this share of positions

# --- ADCS and our synthetic generator (sanity) ---
ADCS_RANGE = Claim(
    "wang.adcs.range", PAPER, "ADCS equation",
    "ADCS^c lies in [1-|C|, |C|-1] (a sum of |C|-1 signs: true by construction).",
    kind="sanity")
ADCS_CODE_OFFSET = Claim(
    "wang.adcs.code_offset", "Wang et al. (code)", "Evaluation/compute_ADCS.py",
    "The authors' code, which includes c'=c, gives the paper's ADCS minus 1 (a check of our "
    "reading of the code).", kind="sanity")
SPECIALS_IN_BAND = Claim(
    "wang.synthetic.specials_in_band", PAPER, "§3 (our generator)",
    "Every special frequency of our Syn_Bb lies in ring B_b (a check of our generator).",
    kind="sanity")
C3_TOPS_ADCS = Claim(
    "wang.synthetic.c3_tops_adcs", PAPER, "§3 (our generator)",
    "The distinctive class C3 has the maximal ADCS at its special frequency in every Syn_Bb (a "
    "check of our generator).", kind="sanity")

# --- Synthetic learning order and band-stop (holds) ---
C3_FIRST_NOTE = {
    "standard": "our standard generator gives C3 one unique special frequency at a larger "
                "amplitude than C0-C2's, so C3-first is partly designed into the data",
    "balanced": "balanced generator: every class has three special frequencies at the same "
                "amplitude and the same image count; C3's are its own, C0-C2 share one with a "
                "neighbour",
}


def _suffix(generator: str) -> str:
    return "" if generator == "standard" else f"_{generator}"


def c3_first_claim(arch: str, generator: str = "standard") -> Claim:
    where = ("" if generator == "standard" else
             ", on our balanced generator (C3 not strongest by construction)")
    return Claim(f"wang.synthetic.c3_first{_suffix(generator)}.{arch}", PAPER,
                 "§3, learning dynamics on Syn_B1-B4 [S]",
                 f"The most distinctive class (C3) is learned first in all four synthetic "
                 f"datasets, also when it is purely high-frequency{where}.", kind="holds",
                 central=generator == "balanced")


def bandstop_claim(arch: str, generator: str = "standard") -> Claim:
    where = "" if generator == "standard" else " (our balanced generator)"
    return Claim(f"wang.synthetic.bandstop_shortcut{_suffix(generator)}.{arch}", PAPER,
                 "§3, band-stop tests [S]",
                 f"{SHORTCUT_CLASS} keeps good accuracy on band-stop test sets: the network "
                 f"recognises it from only part of its special frequencies (a frequency "
                 f"shortcut){where}.", kind="holds")


# --- Natural images: DFMs (the chapter's central claim), augmentation, OOD ---
SHORTCUT_EXISTS = Claim(
    "wang.natural.shortcut_exists", PAPER, "TPR/FPR table, Fig. 7 [S]",
    f"Some classes have a frequency shortcut: their top-5 % DFM alone gives a high TPR with a "
    f"low FPR (ResNet-18 on IN-10: zebra 0.96 / 0.022, container ship 0.94 / 0.013); we count "
    f"TPR >= {SHORTCUT_TPR} with FPR <= {SHORTCUT_FPR}.", kind="holds", central=True)
ADCS_PATTERN = Claim(
    "wang.natural.adcs_pattern", PAPER, "ADCS figure (zebra, humming bird) [P]",
    f"Natural classes differ in where they carry energy: some class's ADCS is positive over "
    f"most of the plane (zebra in IN-10: more energy than every other class almost everywhere) "
    f"and another's negative over most of it (humming bird); we count 'most' as at least "
    f"{ADCS_SHARE:.0%} of the positions other than DC.", kind="holds")


def class_shortcut_claim(cls: str) -> Claim:
    """The paper's shortcut class ``PAPER_SHORTCUTS[cls]``, tested on its CIFAR-10 stand-in."""
    paper_cls = PAPER_SHORTCUTS[cls]
    return Claim(f"wang.natural.shortcut.{cls}", PAPER, "TPR/FPR table, Fig. 7 [S]",
                 f"{paper_cls.capitalize()} is a frequency shortcut class (here CIFAR-10's "
                 f"{cls}): TPR >= {SHORTCUT_TPR} with FPR <= {SHORTCUT_FPR} on images filtered "
                 f"to its DFM.", kind="holds")


def augment_effect_claim(augment: str, cls: str, effect: str) -> Claim:
    """What the paper says ``augment`` does to the shortcut of ``cls`` (worse / mitigated)."""
    name = {"augmix": "AugMix", "autoaugment": "AutoAugment"}[augment]
    verb = {"worse": "worsens", "mitigated": "mitigates"}[effect]
    sign = "rises above" if effect == "worse" else "falls below"
    return Claim(f"wang.natural.{augment}.{cls}_{effect}", PAPER, "TPR/FPR table [S]",
                 f"{name} {verb} the {PAPER_SHORTCUTS[cls]} shortcut (here {cls}): its "
                 f"DFM-filtered TPR {sign} the plain model's.", kind="holds")
MEAN_TPR = Claim(
    "wang.natural.mean_tpr_resnet18", "He et al. (NeurIPS 2024) re-run", "Table 3 [S]",
    "Average TPR over classes on DFM-filtered IN-10 for a ResNet-18.", paper_value=0.286,
    tolerance=0.1)
MEAN_FPR = Claim(
    "wang.natural.mean_fpr_resnet18", "He et al. (NeurIPS 2024) re-run", "Table 3 [S]",
    "Average FPR over classes on DFM-filtered IN-10 for a ResNet-18.", paper_value=0.041,
    tolerance=0.03)
AUGMENT_NOT_REMOVED = Claim(
    "wang.natural.augment_not_removed", PAPER, "TPR/FPR table [S]",
    "Data augmentation (AutoAugment, AugMix) does not remove all frequency shortcuts: each "
    "augmented model still has a strong shortcut (the same class or another one).",
    kind="holds")
OOD_TPR_DROPS = Claim(
    "wang.ood.tpr_drops", PAPER, "OOD test on IN-SCT [S]",
    "Every model's average TPR drops on the style-shifted test set (here a check that our style "
    "set is a shift at all: any style shift lowers a weak CNN's TPR, so it cannot test the "
    "paper).", kind="sanity")
OOD_SHORTCUT_TRANSFERS = Claim(
    "wang.ood.shortcut_transfers", PAPER, "OOD test on IN-SCT [S]",
    f"A shortcut class keeps a high TPR on style-shifted images filtered to its DFM (the "
    f"shortcut transfers, an 'illusion of generalisation'); we count TPR >= {TRANSFER_TPR} with "
    f"FPR <= {SHORTCUT_FPR}, averaged over the styles.", kind="holds")


def claim_or_not_applicable(res: Results, claim: Claim, ours: Any, absent: str = "",
                            **kwargs: Any) -> str:
    """Record ``claim`` on ``ours``, or as not applicable when ``absent`` names the missing
    premise (computed by the caller from the run, never typed)."""
    if absent:
        return res.not_applicable(claim, why=absent)
    return res.claim(claim, ours=ours, **kwargs)


def adcs_in_range(maps: Sequence[torch.Tensor], n_classes: int) -> bool:
    """Every ADCS map lies within ±(|C| - 1)."""
    return all(float(m.abs().max()) <= n_classes - 1 for m in maps)


def offset_is_minus_one(offsets: Mapping[Any, float], tol: float = 1e-6) -> bool:
    """The authors' map minus the paper's is -1 (within ``tol``) for every dataset."""
    if not offsets:
        raise ValueError("no dataset was compared")
    return all(abs(v + 1.0) <= tol for v in offsets.values())


def special_band_rows(maps: Mapping[int, torch.Tensor], seed: int, size: int = 32,
                      generator: str = "standard") -> list[dict[str, Any]]:
    """Per Syn_Bb and class: its special frequencies, the bands they lie in and the class's
    mean ADCS there (``maps``: band -> (4, H, W) ADCS, centred spectrum)."""
    bands, centre = band_index(size), size // 2
    rows = []
    for b, m in maps.items():
        for c, freqs in enumerate(special_frequencies(b, seed, generator)):
            rows.append({"generator": generator, "dataset": f"Syn_B{b}", "band": b,
                         "class": CLASSES[c],
                         "special (k_row, k_col)": freqs,
                         "bands": sorted({int(bands[centre + kr, centre + kc])
                                          for kr, kc in freqs}),
                         "mean ADCS there": float(sum(m[c, centre + kr, centre + kc]
                                                      for kr, kc in freqs) / len(freqs))})
    return rows


def specials_in_band(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Every class's special frequencies lie in its dataset's band only."""
    return all(list(r["bands"]) == [r["band"]] for r in rows)


def c3_tops_adcs(maps: Mapping[int, torch.Tensor], seed: int, size: int = 32,
                 generator: str = "standard") -> bool:
    """C3's ADCS is the maximum, |C| - 1, at each of its special frequencies."""
    centre = size // 2
    return all(float(m[DISTINCTIVE, centre + kr, centre + kc]) == len(m) - 1
               for b, m in maps.items()
               for kr, kc in special_frequencies(b, seed, generator)[DISTINCTIVE])


def c3_first(first_per_dataset: Sequence[int]) -> bool:
    """C3 was the class learned first in every dataset."""
    if not first_per_dataset:
        raise ValueError("no dataset was tracked")
    return all(c == DISTINCTIVE for c in first_per_dataset)


def shortcut_class_survives(survivors: Sequence[Mapping[str, Any]]) -> bool:
    """The paper's class (C2) is among the band-stop survivors (see
    :func:`dataprints.frequency.bandstop.survivors`)."""
    return any(r["class"] == SHORTCUT_CLASS for r in survivors)


def is_shortcut(row: Mapping[str, Any]) -> bool:
    """The rule: DFM-filtered TPR >= SHORTCUT_TPR with FPR <= SHORTCUT_FPR (point values)."""
    return row["TPR DFM"] >= SHORTCUT_TPR and row["FPR DFM"] <= SHORTCUT_FPR


def strong_shortcuts(rows: Sequence[Mapping[str, Any]], model: str,
                     seed: int | None = None) -> list[str]:
    """Classes of ``model`` (of one training ``seed``, or of rows without seeds) whose
    DFM-filtered TPR and FPR make a strong shortcut."""
    return [r["class"] for r in rows if r["model"] == model and is_shortcut(r)
            and (seed is None or r.get("seed") == seed)]


def majority_shortcuts(summary: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Classes that are shortcuts in more than half of the seeds (a :func:`shortcuts.
    class_summary`): the premise of a claim about what augmentation does to a shortcut."""
    return [c for c, s in summary.items() if 2 * s["shortcut_seeds"] > s["seeds"]]


def augment_changes(plain: Mapping[str, Mapping[str, Any]],
                    augmented: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Per class, what augmentation did to its shortcut (by majority of seeds): "kept",
    "removed", "new" (a shortcut that moved here) or "none"."""
    was, now = set(majority_shortcuts(plain)), set(majority_shortcuts(augmented))
    return {c: ("kept" if c in was and c in now else "removed" if c in was
                else "new" if c in now else "none") for c in plain}


def effect_holds(effect: str, augmented_tprs: Sequence[float], plain_mean: float) -> list[bool]:
    """Per augmented seed, whether its DFM-filtered TPR moved as ``effect`` says."""
    if effect not in ("worse", "mitigated"):
        raise ValueError(f"effect is 'worse' or 'mitigated', got {effect!r}")
    return [(t > plain_mean) if effect == "worse" else (t < plain_mean) for t in augmented_tprs]


def not_a_shortcut(cls: str, summary: Mapping[str, Mapping[str, Any]], model: str) -> str:
    """Why a claim about ``cls``'s shortcut is not applicable ("" when it is one)."""
    if cls in majority_shortcuts(summary):
        return ""
    s = summary[cls]
    return (f"{cls} is not a shortcut of {model} (in {s['shortcut_seeds']} of {s['seeds']} "
            f"seeds; DFM TPR {s['tpr_dfm']:.2f}, FPR {s['fpr_dfm']:.3f}), so there is nothing "
            f"for augmentation to worsen or mitigate")


def adcs_extremes(maps: torch.Tensor, share: float = ADCS_SHARE) -> tuple[list[int], list[int]]:
    """Classes whose (K, H, W) ADCS is positive, and those whose ADCS is negative, on at least
    ``share`` of the positions other than DC (centred spectrum)."""
    k, h, w = maps.shape
    keep = torch.ones(h, w, dtype=torch.bool)
    keep[h // 2, w // 2] = False
    pos = (maps[:, keep] > 0).double().mean(1)
    neg = (maps[:, keep] < 0).double().mean(1)
    return ([c for c in range(k) if pos[c] >= share], [c for c in range(k) if neg[c] >= share])


def mean_rates(rows: Sequence[Mapping[str, Any]], model: str) -> tuple[float, float]:
    """Mean TPR and FPR over the classes of ``model`` on DFM-filtered images."""
    mine = [r for r in rows if r["model"] == model]
    if not mine:
        raise ValueError(f"no rates for model {model!r}")
    return (sum(r["TPR DFM"] for r in mine) / len(mine),
            sum(r["FPR DFM"] for r in mine) / len(mine))


def no_shortcut(strong: Sequence[str], model: str) -> str:
    """Why a claim about existing shortcuts is not applicable ("" when some class is one)."""
    if strong:
        return ""
    return (f"no class of {model} is a strong shortcut (TPR >= {SHORTCUT_TPR} with FPR <= "
            f"{SHORTCUT_FPR} on DFM-filtered images), so there is none to keep or lose")


def augmented_keep_shortcuts(strong_by_model: Mapping[str, Sequence[str]],
                             plain: str) -> bool | None:
    """Every augmented model still has a strong shortcut; None without an augmented model."""
    augmented = [m for m in strong_by_model if m != plain]
    if not augmented:
        return None
    return all(bool(strong_by_model[m]) for m in augmented)


def shifted_means(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Per class, TPR and FPR with the DFM averaged over the style-shifted sets (every set but
    "original")."""
    out: dict[str, dict[str, float]] = {}
    shifted = [r for r in rows if r["test set"] != "original"]
    for cls in dict.fromkeys(r["class"] for r in shifted):
        mine = [r for r in shifted if r["class"] == cls]
        out[cls] = {"TPR with DFM": sum(r["TPR with DFM"] for r in mine) / len(mine),
                    "FPR with DFM": sum(r["FPR with DFM"] for r in mine) / len(mine)}
    return out


def ood_shortcuts(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Strong shortcuts on the unshifted images of the OOD notebook (its premise)."""
    return [r["class"] for r in rows if r["test set"] == "original"
            and r["TPR with DFM"] >= SHORTCUT_TPR and r["FPR with DFM"] <= SHORTCUT_FPR]


def shortcuts_transfer(rows: Sequence[Mapping[str, Any]], shortcuts: Sequence[str]) -> bool:
    """Some shortcut class keeps TPR >= TRANSFER_TPR with a low FPR on the shifted sets."""
    means = shifted_means(rows)
    return any(means[c]["TPR with DFM"] >= TRANSFER_TPR
               and means[c]["FPR with DFM"] <= SHORTCUT_FPR for c in shortcuts)


def tpr_drops(mean_tpr: Mapping[str, float]) -> bool:
    """The mean TPR over the shifted sets is below that on the original images."""
    shifted = [v for k, v in mean_tpr.items() if k != "original"]
    if not shifted or "original" not in mean_tpr:
        raise ValueError(f"need the original and at least one shifted set, got {list(mean_tpr)}")
    return sum(shifted) / len(shifted) < mean_tpr["original"]
