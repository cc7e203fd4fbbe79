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
# # Tiny ImageNet: food vs dogs with bias levels (Appendix B, Table 2)
#
# Mehmanchi et al. repeat the bias experiment on 64x64 Tiny ImageNet images: five food
# classes against five animal classes, 100 training images, models M_base, M_1 (corner trigger)
# and M_3 (five trigger positions per class). Table 2 reports **test accuracy 0.692 / 0.65 /
# 0.682** and **mean best-10 SSIM 0.68 / 0.635 / 0.698** for M_base / M_1 / M_3: M_1 is the
# worst on both, and M_3 scores slightly above M_base, which they attribute to the easily
# reconstructed squares.
#
# The mirror holds an exact 10-class subset of Tiny ImageNet (guacamole, mashed potato, meat
# loaf, pizza, potpie; Chihuahua, Yorkshire terrier, golden retriever, Labrador, German
# shepherd), which are likely but not certainly the paper's classes (it does not name them).
# The test set is the 500 validation images of these classes.

# %% [markdown]
# ```{admonition} Needs a GPU at paper scale
# :class: warning
# The *paper* profile (`dataprints run notebooks/recovered/tiny_imagenet_bias.py --profile paper`) trains the homogeneous ReLU MLP at the paper's width in float64 to a near-zero loss and runs the paper's long reconstruction: it is meant
# for a GPU (CUDA is used when present). The quick and reference profiles run on a CPU, and the
# paper-scale results, once committed, are shown on the chapter page without rerunning anything.
# ```

# %% [markdown]
# ## Overview
#
# 1. Train M_base, M_1 and M_3 on Tiny ImageNet food vs dogs for every seed.
# 2. Reconstruct and score each beside the null baselines (Figure 8).
# 3. Compare with the paper's Appendix B Table 2, including its explanation of M_3's score.
#
# ## Prerequisites
#
# | Concept | Importance | Notes |
# |---|---|---|
# | {doc}`/notebooks/recovered/cifar10_bias_levels` | Necessary | the bias levels and their claims |
# | {doc}`/notebooks/00_data_tour` | Helpful | the Tiny ImageNet subset in the mirror |
#
# **Time to learn:** 25 minutes.

# %% tags=["parameters"]
n_per_class: int = 20  # training images per binary class (paper: 50) [[1..500]]
width: int = 100  # hidden units in each of the two hidden layers (paper: 1000) [[1..4000]]
train_dtype: str = "float32"  # precision of training (paper: float64) [[float32|float64]]
max_steps: int = 4000  # full-batch gradient steps at most (paper: 1,000,000) [[1..10000000]]
train_lr: float = 0.01  # initial gradient step (paper: 0.01, constant) [[1e-6..10]]
schedule: str = "loss_normalized"  # step rule: lr * L_1 / L_t, or constant (paper: none) [[loss_normalized|none]]
stop_loss: float = 1e-5  # stop at zero training error and loss below this (paper: 1e-5) [[1e-12..1]]
recon_iterations: int = 100  # reconstruction steps (paper: 50,000; 64-px inputs cost 4x per step) [[1..10000000]]
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
models = trigger_models("tiny_food_dogs", n_per_class, levels=("none", "square1", "square3"))

# %% [markdown]
# ## Train, reconstruct, score

# %%
outcomes = run_models(models, scale, seeds)
table = pd.DataFrame([o.row() for o in outcomes]).set_index(["model", "seed"])
table

# %% [markdown]
# ## Figure 8: the best reconstructions of each model (first seed)

# %%
for o in outcomes:
    if o.seed == seeds[0]:
        top_pairs(o, count=show)
        plt.show()

# %%
res = Results.for_notebook("recovered/tiny_imagenet_bias", globals())
fig = accuracy_and_score(outcomes, title="Tiny ImageNet food/dogs: bias vs accuracy and score")
res.figure(fig, "table2")
plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res.record("scale", asdict(scale))
res.record("summary", claims.summary(outcomes))
res.record("rows", [o.row() for o in outcomes])
claims.tiny_claims(res, outcomes)
res.save()
res.claims_table()

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The claims table is generated from this run. Beyond the deviations in the parameters cell,
# two are specific to Tiny ImageNet: the class subset is the mirror's (the paper does not list
# its ten classes), and the test set has 500 images (a difference of 0.02 in accuracy is 10
# images). Read each score against the null baselines in the first table.
#
# ```{exercise}
# :label: recovered-tiny-mask
# The paper explains M_3's slightly higher score by the trigger squares being easy to
# reconstruct. Test this: compute the score once more with the 3x3 trigger regions masked out
# of both the training image and its reconstruction. Does M_3 still score above M_base?
# ```
#
# ```{solution} recovered-tiny-mask
# :class: dropdown
# Mask every trigger position of the model's bias level (for M_3, all five positions of each
# class) with zeros in copies of both the training images and the reconstructions, and score the
# masked pairs with the same matching and SSIM. If M_3's advantage over M_base disappears, the
# paper's explanation holds: the extra score came from the easily reconstructed squares. If it
# stays, M_3's reconstructions are better elsewhere too, and the explanation is not enough.
# Compare the masked and unmasked gaps over the seeds, not on one run: the paper's gap is
# small.
# ```

# %% [markdown]
# ## Summary
#
# - At 64x64 the same bias levels can be tested on a harder task with more detail to reconstruct.
# - A higher score for a biased model can come from the trigger itself; masking it separates the two.
#
# ## What next
#
# The chapter page {doc}`/book/recovered` gathers the verdicts at every profile; the next paper, {doc}`/book/anomaly`, looks for anomaly filters.
