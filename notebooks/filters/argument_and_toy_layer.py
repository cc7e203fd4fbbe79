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
# # Why first-layer filters copy their training data
#
# Jorgenson et al. (2025, §2) argue from the chain rule that a first-layer filter is pushed in the
# direction of the image patches it sees: for a filter $A$ on a patch $B$ with response
# $h = A\cdot B$ and a loss $g(h)$, $\partial g / \partial A = g'(A\cdot B)\,B$, so every gradient
# step adds a multiple of a patch. Blur, noise and greyness of the data should therefore show up
# in the *cumulative update* (final − initial weights). Their Fig. 1 trains one conv layer of 64
# filters 3×7×7 towards an all-ones output on four kinds of random images.
#
# This notebook checks the argument with autograd and repeats the toy experiment (our free
# choices: image size, blur σ 1 and 3 px, plain SGD, learning rate, steps; the paper gives none).
# With one linear layer and plain SGD the argument holds exactly, so every check here is a
# *sanity* check of the mechanism and of our code, not a reproduction of a finding; the trained
# networks of the next notebooks are where the paper's claims are tested.

# %% [markdown]
# ## Overview
#
# 1. The chain-rule argument: a first-layer filter's gradient is a multiple of the patch it sees.
# 2. The argument checked with autograd for three losses.
# 3. The toy layer of the paper's Fig. 1 trained on four kinds of random images, and the eight
#    filter metrics of its cumulative update.
#
# ## Prerequisites
#
# | Concept | Importance | Notes |
# |---|---|---|
# | Convolution as a dot product of a filter with an image patch | Necessary | [CS231n, convolutional layers](https://cs231n.github.io/convolutional-networks/#conv) |
# | Gradients and the chain rule; SGD | Necessary | [PyTorch autograd tutorial](https://pytorch.org/tutorials/beginner/basics/autogradqs_tutorial.html) |
# | {doc}`/notebooks/00_data_tour` | Helpful | how images are stored and shown here |
#
# **Time to learn:** 40 minutes.

# %% tags=["parameters"]
image_size: int = 24  # side of the random training images (pixels) [[8..128]]
n_images: int = 128  # random images per kind [[2..10000]]
steps: int = 100  # SGD steps of the toy layer [[1..100000]]
batch_size: int = 16  # images per step [[1..1024]]
lr: float = 0.01  # SGD learning rate [[1e-6..10]]
seed: int = 0  # images, initial weights and batches [[0..2147483647]]
threads: int = 1  # torch CPU threads (one was faster than two on the shared 2-core machine) [[1..64]]

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch

from dataprints.filters import claims
from dataprints.filters.argument import (
    TOY_BLUR,
    TOY_KINDS,
    filter_gradient,
    patch_multiple,
    toy_images,
    train_toy_layer,
)
from dataprints.filters.metrics import filter_metrics
from dataprints.plots import to_display
from dataprints.results import Results

torch.set_num_threads(threads)

# %% [markdown]
# ## The argument, checked numerically
#
# For random filters and patches and three different losses $g$, autograd's gradient is an exact
# multiple of the patch: the least-squares fit $\nabla_A = c\,B$ leaves no residual, and $c$ is
# $g'(A\cdot B)$.

# %%
gen = torch.Generator().manual_seed(seed)
losses = {"(h-1)^2": lambda h: (h - 1) ** 2, "sigmoid(h)": torch.sigmoid, "log(1+e^h)":
          torch.nn.functional.softplus}
rows = []
for name, loss in losses.items():
    A = torch.randn(3, 7, 7, generator=gen, dtype=torch.float64)
    B = torch.randn(3, 7, 7, generator=gen, dtype=torch.float64)
    c, residual = patch_multiple(filter_gradient(A, B, loss), B)
    rows.append({"loss g": name, "multiple c": c, "relative residual": residual})
argument = pd.DataFrame(rows)
argument

# %% [markdown]
# ## The toy layer (their Fig. 1)
#
# Four kinds of random images: grey Gaussian noise (three equal channels), RGB noise blurred with
# σ = 1 px and σ = 3 px, and solid random colours. One `Conv2d(3, 64, 7)` is trained for each,
# from the same initial weights, with loss $\lVert \mathrm{conv}(x) - \mathbf{1} \rVert$.

# %%
deltas = {}
for kind in TOY_KINDS:
    images = toy_images(kind, n_images, image_size, seed)
    initial, final = train_toy_layer(images, steps, lr, batch_size, seed)
    deltas[kind] = final - initial
print("blur sigmas (px):", TOY_BLUR)

# %%
show = 12
fig, axes = plt.subplots(len(TOY_KINDS), show, figsize=(show * 0.9, len(TOY_KINDS) * 1.05))
for row, kind in enumerate(TOY_KINDS):
    tiles = to_display(deltas[kind][:show])  # each filter min/max-scaled on its own
    for col in range(show):
        axes[row, col].imshow(tiles[col])
        axes[row, col].axis("off")
    axes[row, 0].set_title(kind.replace("_", " "), fontsize=8, loc="left")
fig.suptitle("Cumulative update (final − initial) of 12 of the 64 toy filters")
fig.tight_layout()
plt.show()

# %% [markdown]
# The rows should read like the paper's: grey noise gives grey, speckled updates; blurred noise
# gives coloured but smooth updates, smoother for the stronger blur; solid colours give flat
# single-colour updates. The eight filter metrics of §3.2 (notebook
# {doc}`/notebooks/filters/filter_updates_and_metrics`) put numbers on this:

# %%
toy_metrics = pd.DataFrame({kind: filter_metrics(d) for kind, d in deltas.items()}).T
toy_metrics.style.format("{:.3g}")

# %% [markdown]
# ```{exercise}
# :label: filters-toy-scale
# Change `lr` or `steps`. Which metrics change with the size of the update and which do not?
# (Compare with how each metric normalises the filters in `dataprints.filters.metrics`.)
# ```
#
# ```{solution-start} filters-toy-scale
# :class: dropdown
# ```
# Train the weakly blurred kind again with ten times the learning rate, from the same initial
# weights and batches, and divide each metric by its value above:

# %%
kind = "blurred_noise_weak"
initial, final = train_toy_layer(toy_images(kind, n_images, image_size, seed), steps, 10 * lr,
                                 batch_size, seed)
larger = pd.Series(filter_metrics(final - initial))
pd.DataFrame({"lr": toy_metrics.loc[kind], "10 × lr": larger,
              "ratio": larger / toy_metrics.loc[kind]}).style.format("{:.3g}")

# %% [markdown]
# The variance, the Laplacian variance and the noise estimate measure raw weight values, so they
# grow with the size of the update. The other five divide each filter by its own norm (or the
# bank by its range) and move only because a larger step also changes *which* patches dominate
# the sum: their ratios stay far closer to one. Only the normalised metrics compare networks
# trained with different learning rates or for different times.
#
# ```{solution-end}
# ```

# %% [markdown]
# ## Results

# %%
res = Results.for_notebook("filters/argument_and_toy_layer", globals())
res.record("max_relative_residual", float(argument["relative residual"].max()))
metrics_by_kind = res.record("toy_metrics", toy_metrics.to_dict(orient="index"))
res.claim(claims.PATCH_MULTIPLE,
          ours=claims.argument_holds(argument["relative residual"].tolist()))
res.claim(claims.TOY_GREY, ours=claims.toy_grey_desaturated(metrics_by_kind))
res.claim(claims.TOY_BLUR, ours=claims.toy_blur_smooths(metrics_by_kind))
res.claim(claims.TOY_CONSTANT, ours=claims.toy_constant_input(metrics_by_kind))
res.save()
res.claims_table()

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The table above is generated from this run: the residuals of the chain-rule check, and
# whether the toy layer's update inherits the data's colour (grey noise → zero saturation) and
# smoothness (roughness falling from grey noise to weak blur to strong blur, flat for solid
# colours), which is what the paper's Fig. 1 shows. All four are sanity checks: they hold by
# construction for one linear layer under SGD, and a failure would point at our code.
# The paper does not give the image size, blur strengths, optimiser or number of steps, so ours
# are free choices; plain SGD keeps each step an exact sum of patches (Adam would rescale each
# weight separately).
#
# ```{exercise}
# :label: filters-toy-red
# Train the toy layer on images whose red channel is twice the green and blue ones. Predict the
# colour of the update before you look, using the argument above.
# ```
#
# ```{solution-start} filters-toy-red
# :class: dropdown
# ```
# Each step adds multiples of patches, so the red channel of every update is a sum of red
# patch values that are twice as large: the update should lean to red (or, where its sign is
# negative, to cyan). Doubling the red channel of the weakly blurred images:

# %%
images = toy_images("blurred_noise_weak", n_images, image_size, seed)
images[:, 0] *= 2
initial, final = train_toy_layer(images, steps, lr, batch_size, seed)
red_update = final - initial
print("mean |update| per channel (R, G, B):",
      ", ".join(f"{v:.3g}" for v in red_update.abs().mean(dim=(0, 2, 3)).tolist()))
fig, axes = plt.subplots(1, show, figsize=(show * 0.9, 1.2))
for col, tile in enumerate(to_display(red_update[:show])):
    axes[col].imshow(tile)
    axes[col].axis("off")
fig.suptitle("Cumulative update with the red channel doubled")
plt.show()

# %% [markdown]
# The red channel's mean update is the largest of the three, and the tiles are tinted red and
# cyan: the update carries the colour statistics of the data, as the argument predicts.
#
# ```{solution-end}
# ```

# %% [markdown]
# ## Summary
#
# - For a filter $A$ on a patch $B$, $\partial g/\partial A = g'(A\cdot B)\,B$: every SGD step
#   adds multiples of image patches to a first-layer filter, so the *cumulative update* inherits
#   the data's colour, smoothness and noise.
# - With one linear layer and plain SGD this holds by construction; the claims here are sanity
#   checks of the mechanism and of our metrics.
#
# ## What next
#
# {doc}`/notebooks/filters/dataset_variants` builds the twenty modified datasets on which real
# networks are trained, and measures their sharpness and noise.
