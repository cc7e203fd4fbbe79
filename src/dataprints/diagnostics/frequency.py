"""Frequency shortcuts (Wang et al., ICCV 2023, §4.2): per-class dominant frequency maps found
on held-out images, TPR/FPR of every held-out image filtered to each class's DFM, and the
classes that the frequency chapter's rule flags as shortcuts."""

from __future__ import annotations

import torch

from dataprints.diagnostics.inputs import UserData, UserModel
from dataprints.diagnostics.section import Section, png_grid
from dataprints.frequency.claims import SHORTCUT_FPR, SHORTCUT_TPR, strong_shortcuts
from dataprints.frequency.dfm import dfm_scores, dominant_frequency_maps
from dataprints.frequency.shortcuts import rate_rows

NAME, PAPER = "frequency shortcuts", "Wang et al., ICCV 2023, §4.2"
MAX_PLANE = 32  # the automatic patch keeps the DFM search at most 32 x 32 blocks


def auto_patch(size: int) -> int:
    """The smallest block size dividing ``size`` that leaves at most MAX_PLANE blocks a side
    (1, single frequencies, for images up to 32 px)."""
    return next(p for p in range(1, size + 1) if size % p == 0 and size // p <= MAX_PLANE)


def frequency_shortcuts(user: UserModel, data: UserData, outputs: int, dfm_images: int = 10,
                        patch: int = 0, top: float = 0.05,
                        progress: bool = True) -> Section:
    """DFMs from the first ``dfm_images`` held-out images per class; rates on all of them."""
    h, w = data.held_out.x.shape[-2:]
    if outputs < 2:
        return Section.not_applicable(
            NAME, PAPER, "the model gives one logit: DFMs rank frequencies by the class's "
            "cross-entropy over class logits, which needs one output per class")
    if h != w:
        return Section.not_applicable(NAME, PAPER, f"images are {h}x{w}; the DFM search "
                                      f"works on square spectra")
    patch = patch or auto_patch(int(h))
    if h % patch:
        return Section.not_applicable(NAME, PAPER, f"patch {patch} does not divide the image "
                                      f"size {h}")
    x, y = data.inputs(data.held_out), data.held_out.y
    missing = [data.held_out.classes[c] for c in range(outputs) if not bool((y == c).any())]
    if missing:
        return Section.not_applicable(NAME, PAPER, f"the held-out split has no image of "
                                      f"class(es) {', '.join(missing)}; a DFM needs some")
    # as the chapter: the first ``dfm_images`` held-out images of each class rank frequencies
    idx = torch.cat([torch.nonzero(y == c).squeeze(1)[:dfm_images] for c in range(outputs)])
    scores = dfm_scores(user.model, x[idx], y[idx], outputs, patch=patch, progress=progress)
    dfms = dominant_frequency_maps(scores, top)
    rows = rate_rows(user.model, "model", x, y, dfms, data.held_out.classes)
    flagged = strong_shortcuts(rows, "model")
    section = Section(NAME, PAPER)
    section.values = {
        "dfm_images_per_class": dfm_images, "patch": patch, "top": top,
        "rate_images": len(y), "rule": {"tpr_at_least": SHORTCUT_TPR,
                                        "fpr_at_most": SHORTCUT_FPR},
        "rates": [{k: v for k, v in r.items() if k not in ("model", "seed")} for r in rows],
        "shortcut_classes": flagged,
        "dfm_fraction": [float(d.float().mean()) for d in dfms],
    }
    section.tables["TPR / FPR per class, original and DFM-filtered held-out images"] = \
        section.values["rates"]
    section.notes.append(
        f"A class is a candidate frequency shortcut when its DFM alone keeps TPR ≥ "
        f"{SHORTCUT_TPR} with FPR ≤ {SHORTCUT_FPR} (the frequency chapter's rule): "
        + (", ".join(flagged) if flagged else "no class is one") + ".")
    if patch > 1:
        section.notes.append(f"Frequencies are searched in {patch}x{patch} blocks (the paper: "
                             f"single frequencies) to keep the search small.")
    section.figures[f"top-{top:.0%} DFM per class ({', '.join(data.held_out.classes)}); white "
                    f"= kept, centre = DC"] = png_grid(dfms[:, None].float(), ncols=10, cell=96)
    return section
