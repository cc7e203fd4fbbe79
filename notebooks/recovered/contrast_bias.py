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

# %% [markdown]
# # Contrast bias on CIFAR-10 (§5.3.2)
#
# Instead of a trigger, Mehmanchi et al. change the contrast of every training image by class:
# factor **0.5 for vehicles and 2 for animals** (torchvision's `adjust_contrast`), a bias closer
# to real data. They report a clean **test accuracy of 0.691** and a **mean best-10 SSIM of
# 0.5774** (100 training images), and Figure 4 shows the main objects reconstructed well.
#
# This notebook trains that model, reconstructs it and scores it with the null baselines
# beside the score. Quick profile (CPU, 2 cores): 10 images per class, 200 reconstruction
# steps; about 25 s (measured with other jobs running).

# %% tags=["parameters"]
n_per_class: int = 10  # training images per binary class (paper: 50)
width: int = 1000  # hidden units in each of the two hidden layers (paper: 1000)
train_dtype: str = "float32"  # precision of training (paper: float64)
max_steps: int = 4000  # full-batch gradient steps at most (paper: 1,000,000)
train_lr: float = 0.01  # initial gradient step (paper: 0.01, constant)
schedule: str = "loss_normalized"  # step rule: loss_normalized (lr * L_1 / L_t) or none (paper: none)
stop_loss: float = 1e-5  # stop at zero training error and loss below this (paper: 1e-5)
recon_iterations: int = 200  # reconstruction steps (paper: 50,000)
recon_dtype: str = "float32"  # precision of the reconstruction (paper: float64)
k: int = 10  # best pairs averaged into the score (paper: 10)
show: int = 30  # pairs shown per figure (paper: 30)

# %%
import matplotlib.pyplot as plt
import pandas as pd

from dataprints.recovered.experiment import run_experiment
from dataprints.recovered.plots import top_pairs
from dataprints.recovered.reconstruction import tuned_config
from dataprints.recovered.training import HaimRecipe
from dataprints.results import Claim, Results

recipe = HaimRecipe(max_steps=max_steps, lr=train_lr, schedule=schedule, stop_loss=stop_loss,
                    width=width, dtype=train_dtype)
recon = tuned_config("cifar10", candidates=4 * n_per_class, iterations=recon_iterations,
                     dtype=recon_dtype)

# %% [markdown]
# ## Train, reconstruct, score

# %%
outcome = run_experiment("M_contrast", "cifar10_vehicles_animals", n_per_class, "contrast",
                         recipe, recon, k)
pd.DataFrame([outcome.row()]).set_index("model")

# %% [markdown]
# ## Figure 4: the best reconstructions
#
# Low-contrast vehicles, high-contrast animals: the reconstruction has to bring back the
# contrast as well as the object.

# %%
top_pairs(outcome, count=show)
plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res = Results.for_notebook("recovered/contrast_bias", globals())
res.record("M_contrast", outcome.row())
paper = "Mehmanchi et al."
res.claim(Claim("mehmanchi.contrast.test_acc", paper, "§5.3.2",
                "contrast-biased model (factors 0.5 / 2), 100 images: test accuracy 0.691",
                paper_value=0.691, tolerance=0.05), ours=outcome.test_acc)
res.claim(Claim("mehmanchi.contrast.score", paper, "§5.3.2, Fig. 4",
                "contrast-biased model: mean SSIM of the best 10 reconstructions 0.5774",
                paper_value=0.5774, tolerance=0.05), ours=outcome.result.best_k)
res.claim(Claim("mehmanchi.contrast.score_above_null", paper, "§5.3.2 (our check)",
                "the best-10 SSIM exceeds both null baselines", kind="holds"),
          ours=outcome.result.best_k > max(outcome.nulls.values()))
res.save()
pd.DataFrame(res.claims)[["id", "paper_value", "ours", "verdict"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The claims table is generated from this run. The paper's 0.691 and 0.5774 come from 100
# training images and 50,000 reconstruction steps in float64; the quick profile trains on 20
# images (float32, loss-normalised step to the same stopping loss) and runs 200 steps, so
# both numbers are expected to sit below the paper's, and the null baselines in the first
# table say how much of the score is structure that any CIFAR-10 image would share. Test
# accuracy is on the mirror's first 1,000 CIFAR-10 test images (clean: the contrast change is
# applied to the training set only).
#
# ```{exercise}
# The contrast factor is a global property of an image, not a local feature. Does the model
# rely on it? Evaluate the trained model on the clean test set with the contrast bias applied
# the *wrong* way round (`contrast_bias(x, 1 - y)`) and compare with the clean accuracy.
# ```
