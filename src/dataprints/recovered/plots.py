"""The chapter's figures: top reconstructions above their training images, accuracy vs score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dataprints.plots import image_grid
from dataprints.recovered.experiment import Outcome
from dataprints.recovered.score import pairs_for_display


def top_pairs(outcome: Outcome, count: int = 30, ncols: int = 10, title: str = "") -> Any:
    """The best ``count`` pairs: odd rows reconstructions, even rows their training images."""
    if outcome.result is None or outcome.recon01 is None:
        raise ValueError(f"{outcome.label} was not reconstructed (recon_iterations = 0)")
    images, ncols = pairs_for_display(outcome.data.images01, outcome.recon01, outcome.result,
                                      count, ncols)
    ssims = outcome.result.ssim
    titles = []
    for start in range(0, len(images) // 2, ncols):
        row = range(start, min(start + ncols, len(images) // 2))
        titles += [f"{float(ssims[i]):.2f}" for i in row] + [""] * len(row)
    heading = title or (f"{outcome.label} (seed {outcome.seed}): best {len(images) // 2} "
                        f"reconstructions (SSIM above) over their training images")
    return image_grid(images, ncols, titles, suptitle=heading)


def accuracy_and_score(outcomes: Sequence[Outcome], title: str = "") -> Any:
    """Test accuracy and best-k SSIM per model (mean over seeds, bars = s.d., dots = seeds),
    null baselines dashed (the paper's Figs. 6-7, with the spread it does not show)."""
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(o.label for o in outcomes))
    runs = {m: [o for o in outcomes if o.label == m] for m in labels}
    fig, (ax_acc, ax_ssim) = plt.subplots(1, 2, figsize=(9, 3.4))
    panels = [(ax_acc, lambda o: o.test_acc, "tab:blue")]
    if all(o.score is not None for o in outcomes):
        panels.append((ax_ssim, lambda o: o.score, "tab:green"))
    for ax, value, colour in panels:
        values = [[value(o) for o in runs[m]] for m in labels]
        sd = [float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for v in values]
        ax.bar(labels, [float(np.mean(v)) for v in values], yerr=sd, color=colour, capsize=3,
               alpha=0.8)
        for i, v in enumerate(values):
            ax.plot([i] * len(v), v, "k.", markersize=4)
    ax_acc.set(ylabel="clean test accuracy", title="Generalisation", ylim=(0.4, 1.0))
    if len(panels) == 2:
        for key, style in (("mean_image", ":"), ("other_images", "--")):
            worst = max(o.nulls[key] for o in outcomes if o.nulls is not None)
            ax_ssim.axhline(worst, color="grey", linestyle=style,
                            label=f"null: {key.replace('_', ' ')} (max)")
        k = outcomes[0].result.k if outcomes[0].result is not None else 0
        ax_ssim.set(ylabel=f"mean SSIM of best {k}", title="Reconstruction score S",
                    ylim=(0, 1))
        ax_ssim.legend(fontsize=7, loc="upper left")
    else:
        ax_ssim.set_axis_off()
    seeds = len({o.seed for o in outcomes})
    fig.suptitle(f"{title} ({seeds} seed{'s' if seeds > 1 else ''})" if title else "")
    fig.tight_layout()
    return fig
