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
# # Anomaly filters grow as a model overfits (Dou et al. 2024, §4.1, Fig. 4, Table 2)
#
# **Claim.** Trained with Adam and cross-entropy, a CNN's number of *anomaly filters* (filters
# whose GMM clustering of feature maps has small clusters, an abnormally high CH index and
# sizeable activations; Table 1, λ=100, α=0.2, β=1, θ=0.2) is small at the well-trained epoch
# (best validation accuracy) and larger at a later overfitting epoch (Table 2).
#
# **What runs here.** The simple CNN (32-64-64) and LeNet-5 on CIFAR-10 and Fashion-MNIST, trained
# on a small balanced subset so that they overfit within a few epochs; the weights of every epoch
# are kept and scanned. CIFAR-100 is not in the local mirror: its cells are declared "not run".
# Quick profile: 75 s on 2 CPU cores (measured in a CI build with a fresh cache).

# %% tags=["parameters"]
n_per_class: int = 50  # training images per class (quick subset; paper: whole training set)
n_val: int = 1000  # validation images (first test images)
epochs: int = 15  # training epochs of the shared Exp. 1 models (paper: 100)
image_size: int = 0  # AlexNet input size, 0 = native (paper: 227, bicubic)
n_scan: int = 0  # training samples clustered, 0 = all (the paper does not say)
scan_every: int = 3  # scan every this many epochs, plus the two picked epochs (paper: 1)
k_max: int = 10  # GMM cluster counts 2..k_max, K by the highest CH
n_gmm_seeds: int = 3  # GMM seeds for the error bar on the counts
models: list = ["simple_cnn", "lenet5"]  # paper: simple_cnn, alexnet, lenet5
datasets: list = ["cifar10", "fashion_mnist"]  # paper: cifar10, cifar100, fashion_mnist
torch_threads: int = 1  # CPU threads for torch (1 avoids thrashing on a shared 2-core box)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from dataprints.anomaly.criteria import count_anomalies, criteria
from dataprints.anomaly.runs import (
    anomaly_curve,
    load_data,
    model_at,
    pick_epochs,
    scan_subset,
    shared_spec,
    train_run,
)
from dataprints.anomaly.scan import scan_model
from dataprints.data import DatasetUnavailable
from dataprints.plots import training_curves
from dataprints.results import Claim, Results

torch.set_num_threads(torch_threads)
ks = tuple(range(2, k_max + 1))
crit = criteria("exp1")
crit

# %% [markdown]
# ## Train, keep every epoch, count anomaly filters over training

# %%
rows, curves = [], {}
for dataset in datasets:
    for model in models:
        spec = shared_spec(model, dataset, n_per_class, n_val, epochs, image_size)
        try:
            data = load_data(spec)
        except DatasetUnavailable as exc:
            print(f"{dataset}: not available here ({str(exc).splitlines()[0]})")
            continue
        run = train_run(spec, data, progress=False)
        x_scan, _ = scan_subset(data[0], n_scan)
        well, over = pick_epochs(run.history.val_acc)
        scan_at = sorted({*range(scan_every, epochs + 1, scan_every), well, *([over] if over else [])})
        curves[(model, dataset)] = (run.history, anomaly_curve(spec, run, x_scan, scan_at, crit, ks))
        seeds = {}
        for name, epoch in (("well", well), ("over", over)):
            if epoch is None:
                continue
            m = model_at(spec, run, epoch)
            seeds[name] = [count_anomalies(scan_model(m, x_scan, ks=ks, seed=s), crit)
                           for s in range(n_gmm_seeds)]
        rows.append({"model": model, "dataset": dataset, "well_epoch": well, "over_epoch": over,
                     "val_acc_well": run.history.val_acc[well - 1],
                     "val_acc_over": run.history.val_acc[over - 1] if over else np.nan,
                     "well": seeds["well"][0], "over": seeds["over"][0] if over else np.nan,
                     "well_seeds": seeds["well"], "over_seeds": seeds.get("over", [])})
table = pd.DataFrame(rows)
table

# %% [markdown]
# ## Figure 4: training curves and the anomaly-filter count per epoch

# %%
for (model, dataset), (history, curve) in curves.items():
    fig = training_curves(history, title=f"{model} on {dataset}")
    ax = fig.axes[1].twinx()
    ax.plot(list(curve), list(curve.values()), "k.--", label="anomaly filters")
    ax.set_ylabel("anomaly filters")
    ax.legend(loc="lower right")
    plt.show()

# %% [markdown]
# ## GMM-seed variability (an error bar the paper does not give)
#
# scikit-learn-style k-means++ seeding changes which K wins the CH vote for some filters, so the
# count moves with the GMM seed. Mean ± standard deviation over seeds:

# %%
for row in rows:
    for name in ("well", "over"):
        counts = row[f"{name}_seeds"]
        if counts:
            print(f"{row['model']:>10} {row['dataset']:>13} {name:>4}: "
                  f"{np.mean(counts):5.1f} ± {np.std(counts):4.1f}  {counts}")

# %% [markdown]
# ## Results and claims (Table 2)

# %%
PAPER = {("simple_cnn", "cifar10"): (6, 15), ("simple_cnn", "cifar100"): (4, 26),
         ("simple_cnn", "fashion_mnist"): (1, 5), ("alexnet", "cifar10"): (12, 55),
         ("alexnet", "cifar100"): (32, 36), ("lenet5", "cifar10"): (3, 10),
         ("lenet5", "cifar100"): (11, 16), ("lenet5", "fashion_mnist"): (1, 3)}
res = Results.for_notebook("anomaly/overfitting_anomaly_counts", globals())
res.record("table2", rows)
found = {(r["model"], r["dataset"]): r for r in rows}
for (model, dataset), (p_well, p_over) in PAPER.items():
    claim = Claim(id=f"dou.exp1.{model}.{dataset}.more_in_overfitting", paper="Dou et al. 2024",
                  where="Table 2", kind="holds",
                  statement=f"{model} on {dataset}: more anomaly filters in the overfitting model "
                            f"({p_over}) than in the well-trained one ({p_well})")
    row = found.get((model, dataset))
    if row is None:
        note = ("CIFAR-100 is not in the local mirror; with internet, dataprints.data.load("
                "'cifar100') downloads it through torchvision" if dataset == "cifar100"
                else f"{model} is run at the paper profile only")
        res.claim(claim, ours=None, note=note)
    elif row["over_epoch"] is None:
        res.claim(claim, ours=None, note="no epoch with validation accuracy clearly down")
    else:
        res.claim(claim, ours=bool(np.mean(row["over_seeds"]) > np.mean(row["well_seeds"])),
                  note=f"ours (mean over GMM seeds): well {np.mean(row['well_seeds']):.1f}, "
                       f"overfitting {np.mean(row['over_seeds']):.1f}")
res.save()
pd.DataFrame(res.claims)[["id", "ours", "verdict", "note"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The table above is generated from this run. At the quick profile the models see 500 training
# images and train for a few epochs, so absolute counts are not comparable with Table 2 (which
# counts over full datasets and 100 epochs, with an unstated number of scanned samples); only
# the direction (overfitting > well-trained) is tested. λ = 100 is kept absolute as in Table 1,
# which makes "small" mean up to 20% of our 500 scanned samples. The counts move with the GMM
# seed (error bar above); a difference smaller than that spread is not evidence either way.
#
# At the quick profile (500 images, 15 epochs) Table 2's direction is *not* reproduced on
# CIFAR-10: the overfitting epoch does not have more anomaly filters than the well-trained one
# (for the simple CNN the two epochs are adjacent, so "overfitting" is mild), and neither model
# overfits Fashion-MNIST clearly (no epoch 2 points below the best), so those cells are "not run".
#
# **That verdict is fragile.** We ran this notebook again with `torch_threads = 2`, which
# changes nothing but the order in which training adds up floating-point numbers (measured once
# on the 2-core machine that builds the book, fresh cache).
#
# | model on CIFAR-10 | 1 thread (the book's run): well → over | 2 threads: well → over |
# |---|---|---|
# | simple CNN | 27.7 → 25.0 | 20.0 → 27.0 |
# | LeNet-5 | 7.7 → 7.7 | 2.7 → 2.0 |
#
# With two threads the simple CNN goes the paper's way. Training noise moves these counts by more
# than the differences being tested, and by more than the GMM seed does. At this scale Table 2's
# direction cannot be settled either way. A fair test needs several training seeds, or the
# paper profile.
#
# ```{exercise}
# Set `scan_every = 1` and `epochs = 30`. Does the anomaly-filter count track the validation
# loss (as Fig. 4 suggests), or the training accuracy?
# ```
#
# ```{exercise}
# Table 1's λ is an absolute cluster size. Rerun with `n_per_class = 100` (1,000 scanned samples):
# how do the counts change, and what does that say about comparing counts across papers?
# ```
