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
# # Reading dataset properties off the first layer: the meta-model (Table 1)
#
# Jorgenson et al. (2025, §5, Table 1) train classifiers on the 20 variants of each dataset,
# keep a checkpoint every 5 epochs, and turn each checkpoint into the eight metrics of
# Δconv1. A random forest (30 trees, trained 5 times) then predicts the training set's sharpness,
# noisiness or object scale, **tested on a different architecture**: trained on ResNet-50 and
# tested on ResNet-18 (R² 0.922 sharpness, 0.614 noisiness, 0.373 object scale), or trained on
# three architectures and tested on ConvNeXt-Tiny (0.749 sharpness, −0.082 noisiness).
#
# The quick profile is a miniature: CIFAR-10 (stand-in for ImageNette) at 32 px, 10 of the 20
# variants, our synthetic shapes at five scales, small stand-ins that keep each family's first
# layer (`mini_resnet_deep` for ResNet-50, `mini_resnet_shallow` for ResNet-18, `mini_convnext`
# for ConvNeXt-Tiny), trained from scratch for 4 epochs with a checkpoint every epoch and 2
# trials. About 2–4 minutes on 2 CPU cores (less when the filter-update notebook ran first and
# left its models in the cache).

# %% tags=["parameters"]
archs: list = ["mini_resnet_deep", "mini_resnet_shallow", "mini_convnext"]  # all architectures (paper: resnet50, resnet18, mobilenet_v3_large, convnext_tiny)
r50: str = "mini_resnet_deep"  # trained-on architecture of the R50 -> R18 rows
r18: str = "mini_resnet_shallow"  # tested-on architecture of the R50 -> R18 rows
held_out: str = "mini_convnext"  # tested-on architecture of the "three -> ConvNeXt" rows
bases: list = ["cifar10"]  # base sets (paper: ImageNette, WHOI-Plankton)
variants: list = ["original", "dilate_2", "resize_0.25", "resize_0.5", "blur_3_1", "blur_7_2", "blur_15_4", "noise_0.1", "noise_0.25", "noise_0.5", "noise_1"]  # variants per base (paper: all 20)
scales: list = [0.2, 0.35, 0.5, 0.65, 0.8]  # object scales of the shapes sets ([] skips that row)
n_per_class: int = 40  # training images per class (paper: 1,000)
image_size: int = 32  # pixels (paper: 224)
trials: int = 2  # training runs per dataset and architecture (paper: 3)
epochs: int = 4  # training epochs (paper: 20-30)
keep_every: int = 1  # a checkpoint, i.e. one meta-model sample, every this many epochs (paper: 5)
batch_size: int = 50  # images per SGD step (not given in the paper)
lr: float = 0.1  # initial SGD learning rate, cosine-annealed (paper: SGD from 0.1)
property_samples: int = 300  # images averaged for each dataset's sharpness / noisiness (paper: 2,000)
trees: int = 30  # random-forest trees (paper: 30)
repeats: int = 5  # meta-model fits with different seeds (paper: 5)
pretrained: bool = False  # fine-tune torchvision's ImageNet weights (paper: yes; needs the internet)
seed: int = 0  # data subsets, noise, first trial's initialisation, forests
threads: int = 1  # torch CPU threads (one was faster than two on the shared 2-core machine)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from dataprints.filters.metamodel import cross_architecture_r2
from dataprints.filters.metrics import METRICS
from dataprints.filters.sweep import SweepConfig, run_sweep, sweep_params
from dataprints.results import Claim, Results

torch.set_num_threads(threads)

# %%
cfg = SweepConfig(archs=tuple(archs), bases=tuple(bases), variants=tuple(variants),
                  scales=tuple(scales), scale_archs=(r50, r18), n_per_class=n_per_class,
                  image_size=image_size, trials=trials, epochs=epochs, keep_every=keep_every,
                  batch_size=batch_size, lr=lr, pretrained=pretrained,
                  property_samples=property_samples, seed=seed)
samples = pd.DataFrame(run_sweep(cfg))
print(f"{len(samples)} samples (checkpoints) from "
      f"{samples.groupby(['arch', 'base', 'variant', 'trial']).ngroups} training runs")
samples.groupby(["arch", "base"]).size().rename("samples").to_frame()

# %% [markdown]
# Each sample is one checkpoint: eight metrics of Δconv1 and the labels of its training set.
# The mean of each metric per variant, for the first architecture:

# %%
samples[samples.arch == r50].groupby("variant")[list(METRICS)].mean().style.format("{:.3g}")

# %% [markdown]
# ## Table 1: test R² with train and test split by architecture

# %%
rows = samples.to_dict(orient="records")
others = [a for a in archs if a != held_out]
experiments = {
    ("R50 → R18", "sharpness"): (r50, [r50], [r18]),
    ("R50 → R18", "noisiness"): (r50, [r50], [r18]),
    ("R50 → R18", "scale"): (r50, [r50], [r18]),
    ("others → ConvNeXt", "sharpness"): (held_out, others, [held_out]),
    ("others → ConvNeXt", "noisiness"): (held_out, others, [held_out]),
}
paper_r2 = {("R50 → R18", "sharpness"): 0.922, ("R50 → R18", "noisiness"): 0.614,
            ("R50 → R18", "scale"): 0.373, ("others → ConvNeXt", "sharpness"): 0.749,
            ("others → ConvNeXt", "noisiness"): -0.082}  # Jorgenson et al. 2025, Table 1
fits = {}
for (split, target), (_, train_archs, test_archs) in experiments.items():
    if target == "scale" and not scales:
        continue
    fits[split, target] = cross_architecture_r2(rows, target, train_archs, test_archs,
                                                trees=trees, repeats=repeats, seed=seed)
table = pd.DataFrame([{
    "experiment": f"{split}, {target}", "train": " + ".join(f.train_archs),
    "test": " + ".join(f.test_archs), "train samples": f.n_train, "test samples": f.n_test,
    "test R² (ours)": f"{f.r2_mean:.3f} ± {f.r2_std:.3f}",
    "paper": paper_r2[split, target]} for (split, target), f in fits.items()])
table

# %% [markdown]
# ## Predicted vs true (their Fig. 4)
#
# Test samples sorted by their true value; the line is the truth, the dots the forest's
# prediction (mean over the repeats).

# %%
fig, axes = plt.subplots(1, len(fits), figsize=(3.4 * len(fits), 3.2), squeeze=False)
for ax, ((split, target), f) in zip(axes[0], fits.items(), strict=True):
    order = np.argsort(f.y_true, kind="stable")
    ax.plot(f.y_true[order], "k-", label="true")
    ax.plot(f.y_pred[order], ".", color="C3", ms=3, label="predicted")
    ax.set(title=f"{split}\n{target}: R² {f.r2_mean:.2f}", xlabel="test sample (sorted)",
           ylabel=target)
    if target != "scale":
        ax.set_yscale("log")
axes[0, 0].legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# In our variants sharpness and noisiness move together (the noise variants are both the
# sharpest and the noisiest sets), which the forest can exploit for both targets:

# %%
labels = samples[samples.base != "shapes"].drop_duplicates(["base", "variant"])
label_corr = float(labels["sharpness"].corr(labels["noisiness"], method="spearman"))
print(f"Spearman correlation of the sharpness and noisiness labels: {label_corr:.2f}")

# %% [markdown]
# ```{exercise}
# Remove the five noise variants from `variants` and rerun. What happens to the sharpness R²
# now that the easiest, most extreme sets are gone? Which of the paper's variants does the
# meta-model then find hardest to tell apart?
# ```

# %% [markdown]
# ## Results

# %%
res = Results.for_notebook("filters/meta_model_table1", globals())
res.record("sweep", sweep_params(cfg))
res.record("table1", {f"{s}, {t}": {"r2_mean": f.r2_mean, "r2_std": f.r2_std,
                                    "n_train": f.n_train, "n_test": f.n_test,
                                    "train": list(f.train_archs), "test": list(f.test_archs)}
                      for (s, t), f in fits.items()})
res.record("label_spearman_sharpness_noisiness", label_corr)
paper = "Jorgenson et al. 2025"
ids = {("R50 → R18", "sharpness"): "r50_r18.sharpness", ("R50 → R18", "noisiness"):
       "r50_r18.noisiness", ("R50 → R18", "scale"): "r50_r18.scale",
       ("others → ConvNeXt", "sharpness"): "three_convnext.sharpness",
       ("others → ConvNeXt", "noisiness"): "three_convnext.noisiness"}


def r2(key):
    return fits[key].r2_mean if key in fits else None


for key, short in ids.items():
    split, target = key
    res.claim(Claim(f"jorgenson.table1.{short}", paper, "Table 1",
                    f"Test R² of the meta-model for {target}, {split} "
                    f"(paper: {paper_r2[key]}).", paper_value=paper_r2[key], tolerance=0.1),
              ours=r2(key), note="" if key in fits else "no object-scale sets (scales = [])")
sharp, noise, scale = (r2(("R50 → R18", t)) for t in ("sharpness", "noisiness", "scale"))
res.claim(Claim("jorgenson.table1.noise_below_sharpness", paper, "Table 1, §5",
                "Noisiness is harder to read off the filters than sharpness (lower R², same "
                "architectures).", kind="holds"), ours=bool(noise < sharp))
res.claim(Claim("jorgenson.table1.scale_weakest", paper, "Table 1, §5",
                "Object scale gives the weakest signal of the three properties.", kind="holds"),
          ours=bool(scale < min(sharp, noise)) if scale is not None else None,
          note="" if scale is not None else "no object-scale sets (scales = [])")
res.claim(Claim("jorgenson.table1.noise_fails_to_transfer", paper, "Table 1, §5",
                "Sharpness transfers to ConvNeXt, noisiness does not: the held-out R² of "
                "noisiness is far below that of sharpness.", kind="holds"),
          ours=bool(r2(("others → ConvNeXt", "noisiness"))
                    < r2(("others → ConvNeXt", "sharpness")) - 0.3))
res.save()
pd.DataFrame(res.claims)[["id", "paper_value", "ours", "verdict"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The table and the claim verdicts above are generated from this run; read them rather than
# this prose for the numbers. At the quick profile the first layer carries the training set's
# blur and noise strongly: the forest predicts sharpness with a high R² across the two
# ResNet-like stand-ins and also on the ConvNeXt-like one, as the paper finds. Where we differ:
# in our miniature **noisiness is predicted about as well as sharpness and also transfers to
# the ConvNeXt stand-in**, while the paper finds it harder (0.614) and not transferable
# (−0.082). Likely reasons, none tested here: we train from scratch, where the first steps copy
# input patches (noise included) straight into every filter, while the paper fine-tunes
# pretrained filters with small updates; our 32-px images make σ up to 1.0 very strong noise;
# and in our variants the sharpness and noisiness labels are almost perfectly rank-correlated,
# so one signal serves both targets. Object scale from our 2-D shapes is the weakest of the
# three, as in the paper. Sample counts are far below the paper's (thousands of checkpoints);
# the paper profile runs the four torchvision architectures at 224 px.
