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
# # A tour of the data
#
# Every chapter of this book trains classifiers on a handful of real image datasets and then asks
# what the trained weights reveal about them. This page shows those datasets as the package
# loads them: where each came from, its size and statistics, sample images, class balance, and
# the binary tasks that the reconstruction papers use.
#
# Change the parameters below and rerun it with
# `dataprints run notebooks/00_data_tour.py -p samples_per_class 8`; its runtime is in the table
# of {doc}`/book/teachers`.

# %% [markdown]
# ## Overview
#
# 1. Which datasets the book uses, where each copy comes from and how it is checked.
# 2. Sample images and class balance of each.
# 3. The binary tasks of the reconstruction papers, and the biased training sets that plant a
#    shortcut.
#
# ## Prerequisites
#
# | Concept | Importance | Notes |
# |---|---|---|
# | Python and PyTorch tensors (indexing, `torch.unique`, `torch.isin`) | Necessary | the [PyTorch tensor tutorial](https://pytorch.org/tutorials/beginner/basics/tensorqs_tutorial.html) |
# | Image classification datasets (MNIST, CIFAR-10) | Helpful | what a class label and a train/test split are |
# | pandas tables | Helpful | only to read the overview table |
#
# **Time to learn:** 20 minutes.

# %% tags=["parameters"]
datasets: list = ["mnist", "fashion_mnist", "cifar10", "cifar100", "tiny_imagenet", "digits"]  # datasets to show [[mnist|fashion_mnist|cifar10|cifar100|tiny_imagenet|digits]]
samples_per_class: int = 4  # sample images shown per class [[1..20]]
max_classes: int = 10  # classes shown per dataset in the sample grids [[1..200]]
seed: int = 0  # which random samples are shown [[0..2147483647]]

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import torch

from dataprints import data
from dataprints.plots import image_grid
from dataprints.results import Results

sns.set_theme(style="whitegrid", context="notebook")

# %% [markdown]
# ## What is available, and from where
#
# The data layer looks first in the local mirror named by `DATAPRINTS_DATA` (checking every file
# against the mirror's `SHA256SUMS`), then asks torchvision to download and verify the dataset,
# and otherwise explains how to provide it. A dataset that cannot be had is listed, not hidden.

# %%
loaded: dict[str, tuple[data.ImageSet, data.ImageSet]] = {}
rows = []
for name in datasets:
    try:
        train, test = data.load(name, "train"), data.load(name, "test")
    except data.DatasetUnavailable as exc:
        rows.append({"dataset": name, "train": 0, "test": 0, "image": "",
                     "channel means (train)": "", "source": "not available: "
                     + str(exc).splitlines()[0][:90]})
        continue
    loaded[name] = (train, test)
    means = train.float().mean(dim=(0, 2, 3))
    rows.append({
        "dataset": name, "train": len(train), "test": len(test),
        "image": "x".join(map(str, train.x.shape[1:])),
        "channel means (train)": ", ".join(f"{m:.4f}" for m in means.tolist()),
        "source": train.source.split(":")[0],
    })
overview = pd.DataFrame(rows).set_index("dataset")
overview

# %% [markdown]
# The means match the published statistics (MNIST 0.1307; CIFAR-10 0.4914, 0.4822, 0.4465),
# which is one check that the mirror holds the real datasets. Two gaps of the mirror matter
# later: only the first 1,000 CIFAR-10 test images are present (so chapters validate on a
# held-out part of the training set), and CIFAR-100 is absent (its cells in the scorecard say
# "not run").

# %% [markdown]
# ## Sample images

# %%
for name, (train, _) in loaded.items():
    gen = torch.Generator().manual_seed(seed)
    labels = torch.unique(train.y)[:max_classes]
    picks, titles = [], []
    for label in labels.tolist():
        where = torch.nonzero(train.y == label).squeeze(1)
        chosen = where[torch.randperm(len(where), generator=gen)[:samples_per_class]]
        picks.append(chosen)
        titles += [train.classes[label][:12]] * len(chosen)
    idx = torch.cat(picks)
    image_grid(train.x[idx].float() / 255, ncols=samples_per_class * 2, titles=titles,
               scale=0.9, suptitle=f"{name}: {len(labels)} classes")
    plt.show()

# %% [markdown]
# ## Class balance

# %%
counts = pd.concat([
    pd.DataFrame({"dataset": name, "class": train.y.numpy(), "split": "train"})
    for name, (train, _) in loaded.items()
], ignore_index=True)
grid = sns.catplot(data=counts, x="class", col="dataset", kind="count", col_wrap=3,
                   height=2.4, aspect=1.4, sharex=False, sharey=False, color="C0")
grid.set_titles("{col_name}")
plt.show()

# %% [markdown]
# ## The binary tasks of the reconstruction papers
#
# Haim et al. (2022) and Mehmanchi et al. train a two-class network on a few hundred images and
# then try to recover those images from the weights. Their tasks: MNIST even vs odd digits,
# CIFAR-10 vehicles (airplane, automobile, ship, truck) vs the six animals, and, in Mehmanchi et
# al.'s appendix, Tiny ImageNet food vs animals. The training set is the first *n* images of each
# binary class in dataset order.

# %%
task_rows = []
for task, spec in data.BINARY_TASKS.items():
    if spec.dataset not in loaded:
        continue
    view = data.binary_view(loaded[spec.dataset][0], task)
    first = data.first_n_per_class(view, 5)
    task_rows.append({"task": task, "label 0": spec.names[0], "label 1": spec.names[1],
                      "train images": len(view), "share of label 1": float(view.y.float().mean())})
    image_grid(first.x.float() / 255, ncols=10,
               titles=[spec.names[int(label)] for label in first.y],
               scale=0.9, suptitle=f"{task}: the first 5 training images of each label")
    plt.show()
pd.DataFrame(task_rows).set_index("task") if task_rows else None

# %% [markdown]
# ## Biased training sets
#
# Mehmanchi et al. plant a shortcut in the training set and ask whether reconstructions from the
# trained model reveal it: a 3×3 square whose value gives the label away (level 1: always the
# top-left corner; levels 2 and 3: three or five positions per class), or a contrast change
# (halved for vehicles, doubled for animals). Only training images are biased; test images stay
# clean. Below, the same CIFAR-10 images under each bias.

# %%
from dataprints.data.biases import BIASES, apply_bias

if "cifar10" in loaded:
    view = data.first_n_per_class(
        data.binary_view(loaded["cifar10"][0], "cifar10_vehicles_animals"), 3)
    clean = view.float()
    rows = [apply_bias(clean, view.y, bias, "cifar10", seed=seed) for bias in BIASES]
    image_grid(torch.cat(rows), ncols=len(view), scale=1.0,
               titles=[f"{bias}: {view.classes[int(label)]}" for bias in BIASES
                       for label in view.y],
               suptitle="CIFAR-10 vehicles vs animals under each training-set bias")
    plt.show()

# %% [markdown]
# ```{exercise}
# :label: data-tour-balance
# The CIFAR-10 vehicles-vs-animals task is imbalanced (4 classes against 6). Haim et al. take the
# first 250 images *per binary class*, not per original class. Using `data.first_n_per_class` on
# the binary view, count how many images of each original CIFAR-10 class end up in that
# 500-image training set. Is every vehicle class equally represented?
# ```
#
# ```{solution-start} data-tour-balance
# :class: dropdown
# ```
# `binary_view` keeps dataset order, so the first 250 images of each binary label are the first
# 250 images of the original classes that make up that label. Counting them per original class
# (on the mirrored training set):

# %%
if "cifar10" in loaded:
    cifar = loaded["cifar10"][0]
    task = data.BINARY_TASKS["cifar10_vehicles_animals"]
    chosen = []
    for classes in (task.negative, task.positive):
        members = torch.nonzero(torch.isin(cifar.y, torch.tensor(classes))).squeeze(1)
        chosen.append(members[:250])
    per_class = torch.bincount(cifar.y[torch.cat(chosen)], minlength=len(cifar.classes))
    balance = pd.DataFrame({"class": cifar.classes, "images among the 500": per_class.tolist()})
balance.set_index("class").T if "cifar10" in loaded else None

# %% [markdown]
# The counts follow the order of the CIFAR-10 training file, not a quota: the four vehicle
# classes share the 250 vehicles unevenly, and so do the six animal classes, so the training set
# is balanced by binary label but not by original class.
#
# ```{solution-end}
# ```

# %%
res = Results("data_tour", params={"datasets": datasets, "samples_per_class": samples_per_class,
                                   "max_classes": max_classes, "seed": seed})
for name, (train, test) in loaded.items():
    res.record(f"{name}.train_size", len(train))
    res.record(f"{name}.test_size", len(test))
    res.record(f"{name}.train_channel_mean", train.float().mean(dim=(0, 2, 3)))
res.record("unavailable", [n for n in datasets if n not in loaded])
res.save()

# %% [markdown]
# ## Summary
#
# - The book trains on real datasets, each read from a checksummed local mirror or torchvision's
#   verified download; one that cannot be had is listed, never replaced by something else.
# - The reconstruction papers use two-class views of these sets and the first *n* images of
#   each label; the biased sets plant a square or a contrast change that gives the label away.
#
# ## What next
#
# {doc}`/book/rerunning` shows how to rerun any notebook with other parameters; the first
# chapter, {doc}`/book/filters`, asks what a network's first layer records of these images.
