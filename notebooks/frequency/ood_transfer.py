# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # OOD transfer: do frequency shortcuts survive a style shift?
#
# Wang et al. test their models on ImageNet-SCT, the ImageNet-10 classes drawn in other styles,
# with and without DFM filtering. All models lose TPR; a class whose shortcut frequencies are
# also present in the shifted images can keep a high TPR — an "illusion of generalisation" —
# while a class without a shortcut shows genuine transfer. ImageNet-SCT cannot be obtained here:
# we re-render test images (CIFAR-10 by default) in three styles with scikit-image (grey, edge
# sketch, flat "cartoon" colours; `dataprints.data.styles`). **This stands in for ImageNet-SCT; it is not
# the same data.** The models and DFMs are those of the natural-image notebook (cached; the model
# is trained here first when that notebook has not run).

# %% tags=["parameters"]
dataset: str = "cifar10"  # "cifar10" (mirror) or "imagenette" (same as the natural-image notebook) [[cifar10|imagenette]]
image_size: int = 32  # pixels (same as the natural-image notebook) [[16..160]]
arch: str = "simple_cnn"  # architecture (same as the natural-image notebook) [[simple_cnn|lenet5|alexnet_small|resnet18_cifar]]
augment: str = "none"  # which training variant to test [[none|autoaugment|augmix]]
n_per_class: int = 500  # training images per class (same as the natural-image notebook) [[1..4500]]
epochs: int = 10  # training epochs (same as the natural-image notebook) [[1..1000]]
lr: float = 0.05  # SGD learning rate (same as the natural-image notebook) [[1e-6..10]]
dfm_images: int = 10  # test images per class for the DFM search (same as there) [[1..100]]
patch: int = 2  # DFM block size (same as there) [[1|2|4|8|16]]
top: float = 0.05  # DFM fraction (paper: 5 %) [[0.001..1]]
ood_images: int = 500  # test images re-rendered in each style (class-balanced, seeded) [[10..1000]]
seed: int = 0  # subset and training seed [[0..2147483647]]

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch

from dataprints.data import balanced_subset
from dataprints.data.styles import STYLES, stylize
from dataprints.frequency import claims
from dataprints.frequency.dfm import cached_dfm_scores, dominant_frequency_maps
from dataprints.frequency.shortcuts import ood_rows
from dataprints.frequency.trained import natural_splits, paper_config, train_natural
from dataprints.plots import image_grid
from dataprints.results import Results

splits = natural_splits(dataset, n_per_class, seed, image_size)
test = splits.test
classes, n_classes = test.classes, len(test.classes)
x_test, y_test = splits.standardise(test), test.y
trained = train_natural(splits, arch, augment, paper_config(epochs, lr=lr, seed=seed))
idx = torch.cat([torch.nonzero(y_test == c).squeeze(1)[:dfm_images] for c in range(n_classes)])
scores = cached_dfm_scores(trained.folder, trained.model, x_test[idx], y_test[idx], n_classes,
                           patch)
dfms = dominant_frequency_maps(scores, top)
ood = balanced_subset(test, ood_images // n_classes, seed)
shifted = {s: stylize(ood, s) for s in STYLES}

# %%
image_grid(torch.cat([ood.x[:6]] + [shifted[s].x[:6] for s in STYLES]), ncols=6,
           titles=[f"{lab}" for lab in ["original", *STYLES] for _ in range(6)], scale=1.3)
plt.show()

# %% [markdown]
# ## Per-class TPR, with and without the DFM

# %%
sets = {"original": ood} | shifted
rows = ood_rows(trained.model, {name: (splits.standardise(ds), ds.y) for name, ds in sets.items()},
                dfms, classes)
table = pd.DataFrame(rows)
tpr = table.pivot_table(index="class", columns="test set", values=["TPR", "TPR with DFM"])
tpr.round(2)

# %%
fig, ax = plt.subplots(figsize=(10, 3.5))
summary = table.groupby("test set")[["TPR", "TPR with DFM"]].mean().loc[list(sets)]
summary.plot.bar(ax=ax, rot=0)
ax.set(ylabel="mean TPR over classes", title=f"{arch}+{augment}: style shift, with and "
       f"without the top-{top:.0%} DFMs")
plt.show()

# %% [markdown]
# ## Results

# %%
res = Results.for_notebook("frequency/ood_transfer", globals())
mean_tpr = res.record("mean_tpr", summary["TPR"].to_dict())
res.record("mean_tpr_with_dfm", summary["TPR with DFM"].to_dict())
res.record("per_class", rows)
shortcuts = res.record("shortcuts_original", claims.ood_shortcuts(rows))
means = claims.shifted_means(rows)
res.record("shortcuts_surviving_shift",
           [c for c in shortcuts if claims.shortcuts_transfer(rows, [c])])
res.claim(claims.OOD_TPR_DROPS, ours=claims.tpr_drops(mean_tpr),
          note="our scikit-image style set stands in for ImageNet-SCT")
claims.claim_or_not_applicable(
    res, claims.OOD_SHORTCUT_TRANSFERS, ours=claims.shortcuts_transfer(rows, shortcuts),
    absent=claims.no_shortcut(shortcuts, f"{arch}+{augment} on the unshifted images"),
    note="shifted TPR / FPR with the DFM: " + "; ".join(
        f"{c} {means[c]['TPR with DFM']:.2f} / {means[c]['FPR with DFM']:.3f}"
        for c in shortcuts))
res.save()
res.claims_table()

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The bar chart and `mean_tpr` show how much the style shift costs the model, and `TPR with DFM`
# whether the DFM frequencies alone still carry a class after the shift; the claims table states
# both outcomes for this run. That the TPR drops is only a sanity check that our styles shift
# the data at all. Whether a shortcut transfers can only be asked of a class that is a shortcut
# on the unshifted images (TPR ≥ 0.6 with FPR ≤ 0.1 with its DFM); when there is none, the claim
# is *not applicable*. Our shift is milder and different in kind from ImageNet-SCT (the
# same photos re-rendered, not new drawings of related objects), and our model is a small CNN
# trained briefly, so the size of the drop is not comparable with the paper's; only its
# direction and the per-class pattern are.
#
# ```{exercise}
# Which style hurts most, and which class survives it best? Look at that class's DFM in the
# natural-image notebook: is it low-frequency (shape-like) or spread out (texture-like)?
# ```
