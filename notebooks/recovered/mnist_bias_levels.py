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
# # Bias levels on MNIST, and why SSIM misleads there (§5.4, Figure 7)
#
# The same three trigger levels as on CIFAR-10, on MNIST even/odd (trigger values 0.25 for
# even and 0.75 for odd digits, since the background is already 0). The paper's claims: the
# model with the **lowest test accuracy also has the lowest reconstruction score**; the other
# models' accuracies are **very close to each other**; and on MNIST the SSIM score is a poor
# guide, because the black background dominates the image and is not reconstructed well.
#
# This notebook trains M_base, M_1, M_2 and M_3 for every seed, reconstructs each, and puts
# each score beside its null baselines. The last claim needs reconstructions that converged
# (at least 2,000 steps): with fewer, MNIST reconstructions are mean-like blobs that any digit
# outscores, and the claim is marked not run.

# %% [markdown]
# ```{admonition} Needs a GPU at paper scale
# :class: warning
# The *paper* profile (`dataprints run notebooks/recovered/mnist_bias_levels.py --profile paper`) trains the homogeneous ReLU MLP at the paper's width in float64 to a near-zero loss and runs the paper's long reconstruction: it is meant
# for a GPU (CUDA is used when present). The quick and reference profiles run on a CPU, and the
# paper-scale results, once committed, are shown on the chapter page without rerunning anything.
# ```

# %% [markdown]
# ## Overview
#
# 1. Train M_base and the three trigger-level models on MNIST even/odd for every seed.
# 2. Reconstruct and score each beside the null baselines (Figure 7).
# 3. Test the paper's three MNIST claims, including why SSIM is a poor guide there.
#
# ## Prerequisites
#
# | Concept | Importance | Notes |
# |---|---|---|
# | {doc}`/notebooks/recovered/cifar10_bias_levels` | Necessary | the same experiment on CIFAR-10 |
# | SSIM and what dominates it | Helpful | [scikit-image, SSIM](https://scikit-image.org/docs/stable/auto_examples/transform/plot_ssim.html) |
#
# **Time to learn:** 25 minutes.

# %% tags=["parameters"]
n_per_class: int = 25  # training images per binary class (paper: 50) [[1..5000]]
width: int = 100  # hidden units in each of the two hidden layers (paper: 1000) [[1..4000]]
train_dtype: str = "float32"  # precision of training (paper: float64) [[float32|float64]]
max_steps: int = 4000  # full-batch gradient steps at most (paper: 1,000,000) [[1..10000000]]
train_lr: float = 0.01  # initial gradient step (paper: 0.01, constant) [[1e-6..10]]
schedule: str = "loss_normalized"  # step rule: lr * L_1 / L_t, or constant (paper: none) [[loss_normalized|none]]
stop_loss: float = 1e-5  # stop at zero training error and loss below this (paper: 1e-5) [[1e-12..1]]
recon_iterations: int = 200  # reconstruction steps (paper: 50,000) [[1..10000000]]
recon_dtype: str = "float32"  # precision of the reconstruction (paper: float64) [[float32|float64]]
k: int = 10  # best pairs averaged into the score (paper: 10) [[1..]]
show: int = 20  # pairs shown per figure (paper: 30) [[1..]]
seeds: list = [0]  # one replicate per seed: initialisation and reconstruction start [[0..]]
torch_threads: int = 1  # CPU threads for torch (1: a busy 2-core machine does not collapse) [[1..256]]

# %%
from dataclasses import asdict

import matplotlib.pyplot as plt
import pandas as pd
import torch

from dataprints.recovered import claims
from dataprints.recovered.experiment import Scale, run_models, trigger_models
from dataprints.recovered.plots import accuracy_and_score, top_pairs
from dataprints.results import Results

torch.set_num_threads(torch_threads)
scale = Scale.from_params(globals())
models = trigger_models("mnist_even_odd", n_per_class)

# %% [markdown]
# ## Train, reconstruct, score

# %%
outcomes = run_models(models, scale, seeds)
table = pd.DataFrame([o.row() for o in outcomes]).set_index(["model", "seed"])
table

# %% [markdown]
# ## The best reconstructions of each model (first seed)

# %%
for o in outcomes:
    if o.seed == seeds[0]:
        top_pairs(o, count=show)
        plt.show()

# %% [markdown]
# ## Figure 7: test accuracy and score

# %%
res = Results.for_notebook("recovered/mnist_bias_levels", globals())
fig = accuracy_and_score(outcomes, title="MNIST even/odd: bias level vs accuracy and score")
res.figure(fig, "fig7")
plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res.record("scale", asdict(scale))
res.record("summary", claims.summary(outcomes))
res.record("rows", [o.row() for o in outcomes])
claims.mnist_claims(res, outcomes, recon_iterations)
res.save()
res.claims_table()

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The claims table is generated from this run. The third claim is our way of testing the
# paper's remark that SSIM misleads on MNIST: if 2n MNIST digits that the model never saw
# match the training digits at least as well (by the same best-10 SSIM) as converged
# reconstructions do, the score cannot tell a good reconstruction from any digit on a black
# background. The paper does not put a number on this remark, and "very close" accuracies is
# our reading (within 0.02). The parameters cell lists the deviations from the paper.
#
# ```{exercise}
# :label: recovered-background
# Replace SSIM by a score that ignores the background (for example SSIM on the pixels where
# the training digit is brighter than 0.1, or the NCC of the matched pair). Does the ordering
# of the four models change?
# ```
#
# ```{solution} recovered-background
# :class: dropdown
# Two background-free scores for the matched pairs:
#
# - SSIM restricted to the digit: `skimage.metrics.structural_similarity(a, b, data_range=1,
#   full=True)` returns the SSIM map as well; average it over the pixels where the training digit
#   is brighter than 0.1.
# - The normalised cross-correlation of the pair,
#   `((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std())`.
#
# Rank the four models by each score and compare with the SSIM ranking on this page. The black
# background is most of an MNIST image and is reconstructed poorly by every model, so plain SSIM
# is dominated by it; if the ranking changes once the background is ignored, the SSIM ordering
# said more about the background than about what each model gives away, which is the paper's
# point about MNIST.
# ```

# %% [markdown]
# ## Summary
#
# - On MNIST the background dominates SSIM, so a score that ignores it is needed before the models' rankings mean anything.
# - The claims that need converged reconstructions are marked not run when the reconstruction was too short.
#
# ## What next
#
# {doc}`/notebooks/recovered/tiny_imagenet_bias` repeats the experiment on 64x64 Tiny ImageNet images.
