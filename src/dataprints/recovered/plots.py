"""The chapter's figures: top reconstructions above their training images, accuracy vs score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dataprints.plots import image_grid
from dataprints.recovered.experiment import Outcome
from dataprints.recovered.score import pairs_for_display


def top_pairs(outcome: Outcome, count: int = 30, ncols: int = 10, title: str = "") -> Any:
    """The best ``count`` pairs: odd rows reconstructions, even rows their training images."""
    images, ncols = pairs_for_display(outcome.data.images01, outcome.recon01, outcome.result,
                                      count, ncols)
    ssims = outcome.result.ssim
    titles = []
    for start in range(0, len(images) // 2, ncols):
        row = range(start, min(start + ncols, len(images) // 2))
        titles += [f"{float(ssims[i]):.2f}" for i in row] + [""] * len(row)
    heading = title or (f"{outcome.label}: best {len(images) // 2} reconstructions (SSIM above) "
                        f"over their training images")
    return image_grid(images, ncols, titles, suptitle=heading)


def accuracy_and_score(outcomes: Sequence[Outcome], title: str = "") -> Any:
    """Test accuracy and best-k SSIM per model side by side, null baselines dashed (Figs. 6-7)."""
    import matplotlib.pyplot as plt

    labels = [o.label for o in outcomes]
    fig, (ax_acc, ax_ssim) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax_acc.bar(labels, [o.test_acc for o in outcomes], color="tab:blue")
    ax_acc.set(ylabel="clean test accuracy", title="Generalisation", ylim=(0.4, 1.0))
    ax_ssim.bar(labels, [o.result.best_k for o in outcomes], color="tab:green")
    k = outcomes[0].result.k
    for key, style in (("mean_image", ":"), ("other_images", "--")):
        worst = max(o.nulls[key] for o in outcomes)
        ax_ssim.axhline(worst, color="grey", linestyle=style,
                        label=f"null: {key.replace('_', ' ')} (max)")
    ax_ssim.set(ylabel=f"mean SSIM of best {k}", title="Reconstruction score S", ylim=(0, 1))
    ax_ssim.legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
