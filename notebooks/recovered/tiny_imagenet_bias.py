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

# %% tags=["parameters"]
n_per_class: int = 25  # training images per binary class (paper: 50) [[1..500]]
width: int = 100  # hidden units in each of the two hidden layers (paper: 1000) [[1..4000]]
train_dtype: str = "float32"  # precision of training (paper: float64) [[float32|float64]]
max_steps: int = 4000  # full-batch gradient steps at most (paper: 1,000,000) [[1..10000000]]
train_lr: float = 0.01  # initial gradient step (paper: 0.01, constant) [[1e-6..10]]
schedule: str = "loss_normalized"  # step rule: lr * L_1 / L_t, or constant (paper: none) [[loss_normalized|none]]
stop_loss: float = 1e-5  # stop at zero training error and loss below this (paper: 1e-5) [[1e-12..1]]
recon_iterations: int = 100  # reconstruction steps (paper: 50,000; 64-px inputs cost 4x per step) [[1..10000000]]
recon_dtype: str = "float32"  # precision of the reconstruction (paper: float64) [[float32|float64]]
k: int = 10  # best pairs averaged into the score (paper: 10) [[1..]]
show: int = 30  # pairs shown per figure (paper: 30) [[1..]]
seeds: list = [0]  # one replicate per seed: initialisation and reconstruction start [[0..]]

# %%
from dataclasses import asdict

import matplotlib.pyplot as plt
import pandas as pd

from dataprints.recovered import claims
from dataprints.recovered.experiment import Scale, run_models, trigger_models
from dataprints.recovered.plots import accuracy_and_score, top_pairs
from dataprints.results import Results

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
# The paper explains M_3's slightly higher score by the trigger squares being easy to
# reconstruct. Test this: compute the score once more with the 3x3 trigger regions masked out
# of both the training image and its reconstruction. Does M_3 still score above M_base?
# ```
