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
# # Outlier samples have larger gradients (Dou et al. 2024, §4.2, Table 3)
#
# **Claim.** Samples in clusters of at most λ = 5 points (Table 1, Exp. 2) have larger mean
# absolute gradients than the other samples, and both are larger in the overfitting model than
# in the well-trained one.
#
# **What runs here.** The Exp. 1 CIFAR-10 models (simple CNN, LeNet-5, one per training seed;
# read from the cache when the Exp. 1 notebook ran with the same data parameters) at their
# well-trained and overfitting epochs. Per-sample gradients of the cross-entropy on two sets:
# the scanned *training* samples, and *held-out* test images, which no model was trained on or
# picked by. The paper does not say which set it used; its Table 6 (most outlier samples
# misclassified) suggests held-out samples, since an overfit model classifies its own training
# samples almost perfectly.

# %% [markdown]
# ```{admonition} Needs a GPU at paper scale
# :class: warning
# The *paper* profile (`dataprints run notebooks/anomaly/outlier_gradients.py --profile paper`) trains the simple CNN, AlexNet and LeNet-5 on the whole
# training sets for 100 epochs, as in the paper: it is meant for a GPU (CUDA is used when present). The quick and
# reference profiles run on a CPU, and the paper-scale results, once committed, are shown on the
# chapter page without rerunning anything.
# ```

# %% [markdown]
# ## Overview
#
# 1. Load the Exp. 1 models at their well-trained and overfitting epochs.
# 2. Split scanned samples into outliers (clusters of at most λ points) and normal samples.
# 3. Compare their mean absolute gradients, on training and on held-out samples (Table 3).
#
# ## Prerequisites
#
# | Concept | Importance | Notes |
# |---|---|---|
# | {doc}`/notebooks/anomaly/overfitting_anomaly_counts` | Necessary | the models and epochs used here |
# | Per-sample gradients of the cross-entropy | Helpful | [PyTorch autograd tutorial](https://pytorch.org/tutorials/beginner/basics/autogradqs_tutorial.html) |
#
# **Time to learn:** 30 minutes.

# %% tags=["parameters"]
n_per_class: int = 50  # training images per class (quick subset; paper: whole training set) [[0..6000]]
n_val: int = 1000  # validation images held out from the training split [[10..10000]]
epochs: int = 15  # training epochs of the shared Exp. 1 models (paper: 100) [[2..300]]
image_size: int = 0  # AlexNet input size, 0: native (paper: 227, bicubic) [[0..512]]
n_scan: int = 0  # training samples clustered, 0: all (the paper does not say) [[0..50000]]
n_heldout: int = 500  # held-out test images clustered and differentiated [[10..10000]]
k_max: int = 10  # GMM cluster counts 2..k_max [[3..20]]
seeds: list = [0]  # training seeds of the Exp. 1 models [[0..1000000]]
models: list = ["simple_cnn", "lenet5"]  # paper: simple_cnn, alexnet, lenet5 [[simple_cnn|lenet5|alexnet]]
torch_threads: int = 1  # CPU threads for torch [[1..256]]

# %%
from dataclasses import replace

import pandas as pd
import torch

from dataprints.anomaly.claims import record_exp2
from dataprints.anomaly.criteria import OUTLIER_CLUSTER_SIZE
from dataprints.anomaly.outliers import gradient_split
from dataprints.anomaly.runs import (
    held_out,
    load_data,
    model_at,
    pick_epochs,
    scan_subset,
    shared_spec,
    train_run,
)
from dataprints.anomaly.scan import scan_model
from dataprints.results import Results

torch.set_num_threads(torch_threads)
ks = tuple(range(2, k_max + 1))

# %%
rows = []
for name in models:
    for seed in seeds:
        spec = replace(shared_spec(name, "cifar10", n_per_class, n_val, epochs, image_size),
                       seed=seed)
        train, _ = load_data(spec)
        run = train_run(spec, progress=False)
        sets = {"train": scan_subset(train, n_scan), "heldout": held_out(spec, n_heldout)}
        for phase, epoch in zip(("well-trained", "overfitting"), pick_epochs(run.history.val_acc),
                                strict=True):
            if epoch is None:
                continue
            model = model_at(spec, run, epoch)
            for where, (x, y) in sets.items():
                scans = scan_model(model, x, ks=ks)
                rows.append({"model": name, "seed": seed, "phase": phase, "epoch": epoch,
                             "set": where, **gradient_split(model, x, y, scans,
                                                            OUTLIER_CLUSTER_SIZE)})
table = pd.DataFrame(rows)
table

# %% [markdown]
# Mean over seeds (the paper's Table 3 has one model per cell):

# %%
table.groupby(["model", "set", "phase"])[["n_outliers", "outlier", "normal"]].mean()

# %%
res = Results.for_notebook("anomaly/outlier_gradients", globals())
res.record("table3", rows)
record_exp2(res, rows, models)
res.save()
res.claims_table()

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The verdicts above are computed from this run (the chapter page shows every profile).
# "Gradient" here is, per sample, the mean over parameter tensors of the mean absolute
# gradient of the cross-entropy (the paper averages "the gradients of each layer" without a
# formula). An overfitting model fits its training images better than the well-trained one,
# so on *training* samples its gradients can be smaller; on held-out samples the paper's
# second ordering is the one an overfit model's higher validation loss predicts.
#
# ```{exercise}
# :label: anomaly-exp2-size
#
# Change λ for outliers (`OUTLIER_CLUSTER_SIZE`, 5 in Table 1) to 20 by calling
# `gradient_split(model, x, y, scans, 20)`. How many samples become outliers, and does the
# outlier/normal ordering survive?
# ```
#
# ```{solution} anomaly-exp2-size
# :class: dropdown
#
# More samples count as outliers, so the "outlier" mean moves towards the "normal" mean: the
# ordering is a property of the few most isolated samples. Run the loop above with `20` in place
# of `OUTLIER_CLUSTER_SIZE` and compare the `n_outliers` column and the two means.
# ```

# %% [markdown]
# ## Summary
#
# - Which samples count as outliers depends on λ and on the number of samples scanned.
# - Training and held-out samples can tell different stories: an overfit model has small gradients on the samples it memorised.
#
# ## What next
#
# {doc}`/notebooks/anomaly/anomaly_masking` switches single anomaly filters off and measures what the model loses (Tables 4-6).
