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
# # The recovery module: reconstructing MNIST and CIFAR-10 training images (§5.2)
#
# Mehmanchi et al. build their bias test on Haim et al.'s (2022) reconstruction attack: a
# homogeneous ReLU MLP trained to zero error on a binary task sits near a KKT point of the
# max-margin problem, so its weights are a weighted sum of gradients at the training images
# that lie on the margin, and those images can be solved for. The paper's Table 1 reports, for
# models trained on 500 images, **test accuracy 0.898 (MNIST even/odd) and 0.771 (CIFAR-10
# vehicles/animals)** and a **mean SSIM of the best 10 reconstructions of 0.1862 (MNIST) and
# 0.5182 (CIFAR-10)**; Figures 2-3 show the top 30 reconstructions above their training
# images.
#
# This notebook trains both models with Haim et al.'s recipe, reconstructs m = 2n candidates
# from the weights alone, scores them, and puts the score beside two null baselines
# ("reconstructions" that never saw the model). At the quick profile (CPU, 2 cores) it uses
# 10 images per class and 200 reconstruction steps instead of 50,000, and took 68 s
# (measured with other jobs sharing the 2 cores; about 3 minutes under heavy load); the parameters cell lists every deviation next to the paper's value.

# %% tags=["parameters"]
n_per_class: int = 10  # training images per binary class (paper: 250)
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
print(recipe)

# %% [markdown]
# ## Train, reconstruct, score
#
# Each call trains the MLP d-1000-1000-1 (or loads it from the model cache), runs the
# reconstruction with the authors' tuned hyperparameters for the dataset (MNIST run
# `kcf9bhbi`, CIFAR-10 run `k60fvjdy`), matches every training image to its nearest
# reconstruction by normalised cross-correlation and ranks the pairs by SSIM.

# %%
outcomes = {}
for name, task, dataset in [("MNIST", "mnist_even_odd", "mnist"),
                            ("CIFAR-10", "cifar10_vehicles_animals", "cifar10")]:
    recon = tuned_config(dataset, candidates=4 * n_per_class, iterations=recon_iterations,
                         dtype=recon_dtype)
    outcomes[name] = run_experiment(name, task, n_per_class, "none", recipe, recon, k)
table = pd.DataFrame([o.row() for o in outcomes.values()]).set_index("model")
table

# %% [markdown]
# `final_train_loss` is where training stopped: below `stop_loss` if the stopping rule was
# reached within `max_steps`. The two `null_*` columns are the same score computed for the
# training mean alone and for 2n real images of the task that were never trained on: a best-k
# SSIM says something about the model only where it clearly exceeds them.
#
# ## Figures 2 and 3: the best reconstructions

# %%
for o in outcomes.values():
    top_pairs(o, count=show)
    plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res = Results.for_notebook("recovered/recovery_module", globals())
for name, o in outcomes.items():
    res.record(name, o.row())
paper = "Mehmanchi et al."
mnist, cifar = outcomes["MNIST"], outcomes["CIFAR-10"]
res.claim(Claim("mehmanchi.recovery.mnist_test_acc", paper, "Table 1",
                "MNIST even/odd, 500 images: test accuracy 0.898", paper_value=0.898,
                tolerance=0.05), ours=mnist.test_acc)
res.claim(Claim("mehmanchi.recovery.cifar_test_acc", paper, "Table 1",
                "CIFAR-10 vehicles/animals, 500 images: test accuracy 0.771",
                paper_value=0.771, tolerance=0.05), ours=cifar.test_acc)
res.claim(Claim("mehmanchi.recovery.mnist_score", paper, "Table 1",
                "MNIST: mean SSIM of the best 10 reconstructions 0.1862", paper_value=0.1862,
                tolerance=0.05), ours=mnist.result.best_k)
res.claim(Claim("mehmanchi.recovery.cifar_score", paper, "Table 1",
                "CIFAR-10: mean SSIM of the best 10 reconstructions 0.5182",
                paper_value=0.5182, tolerance=0.05), ours=cifar.result.best_k)
res.claim(Claim("mehmanchi.recovery.cifar_above_mnist", paper, "§5.2",
                "CIFAR-10 reconstructions score higher than MNIST ones", kind="holds"),
          ours=cifar.result.best_k > mnist.result.best_k)
res.claim(Claim("mehmanchi.recovery.above_null", paper, "§5.2 (our check)",
                "the best-10 SSIM of both models exceeds both null baselines", kind="holds"),
          ours=all(o.result.best_k > max(o.nulls.values()) for o in outcomes.values()))
res.save()
pd.DataFrame(res.claims)[["id", "paper_value", "ours", "verdict"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The table above is generated from this run. Read each score against its null baselines in
# the first table: at the quick profile the reconstruction runs a few hundred steps instead of
# 50,000, on 20 training images instead of 500, trained in float32 with a loss-normalised step
# (same gradient-flow path, re-timed) instead of a constant step in float64, so the numbers are
# a miniature of Table 1, not a re-measurement of it. Test accuracy depends strongly on the
# training-set size (the paper trains on 500 images, this profile on 20), so a lower accuracy
# here is expected, not a failure of the method. The CIFAR-10 test set is the mirror's first
# 1,000 test images (the paper: 500 per class of the full test split).
#
# ```{exercise}
# Run this notebook with `recon_iterations` at 200, 1000 and 3000 (same model: training is
# cached). How does the best-10 SSIM grow with the iterations, and when does it leave the null
# baselines behind? What does that say about the paper's single number per model?
# ```
#
# ```{exercise}
# The paper says MNIST scores low because the black background is not reconstructed. Compute
# the SSIM of the best pairs on the digit pixels only (mask where the training image > 0.1).
# Does the gap to CIFAR-10 close?
# ```
