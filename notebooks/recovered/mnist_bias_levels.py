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
# # Bias levels on MNIST, and why SSIM misleads there (§5.4, Figure 7)
#
# The same three trigger levels as on CIFAR-10, on MNIST even/odd (trigger values 0.25 for
# even and 0.75 for odd digits, since the background is already 0). The paper's claims: the
# model with the **lowest test accuracy also has the lowest reconstruction score**; the other
# models' accuracies are **very close to each other**; and on MNIST the SSIM score is a poor
# guide, because the black background dominates the image and is not reconstructed well.
#
# This notebook trains M_base, M1, M2 and M3, reconstructs each, and puts each score beside
# its null baselines. Quick profile (CPU, 2 cores): 10 images per class, 200 reconstruction
# steps; about 35 s when M_base is already in the model cache from the recovery-module
# notebook (measured with other jobs running).

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
from dataprints.recovered.plots import accuracy_and_score, top_pairs
from dataprints.recovered.reconstruction import tuned_config
from dataprints.recovered.training import HaimRecipe
from dataprints.results import Claim, Results

task = "mnist_even_odd"
recipe = HaimRecipe(max_steps=max_steps, lr=train_lr, schedule=schedule, stop_loss=stop_loss,
                    width=width, dtype=train_dtype)
recon = tuned_config("mnist", candidates=4 * n_per_class, iterations=recon_iterations,
                     dtype=recon_dtype)
models = {"M_base": "none", "M_1": "square1", "M_2": "square2", "M_3": "square3"}

# %% [markdown]
# ## Train, reconstruct, score

# %%
outcomes = [run_experiment(label, task, n_per_class, bias, recipe, recon, k)
            for label, bias in models.items()]
table = pd.DataFrame([o.row() for o in outcomes]).set_index("model")
table

# %% [markdown]
# ## The best reconstructions of each model

# %%
for o in outcomes:
    top_pairs(o, count=show)
    plt.show()

# %% [markdown]
# ## Figure 7: test accuracy and score

# %%
accuracy_and_score(outcomes, title="MNIST even/odd: bias level vs accuracy and score")
plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res = Results.for_notebook("recovered/mnist_bias_levels", globals())
for o in outcomes:
    res.record(o.label, o.row())
S = {o.label: o.result.best_k for o in outcomes}
acc = {o.label: o.test_acc for o in outcomes}
worst = min(acc, key=acc.get)
others = [acc[m] for m in acc if m != worst]
paper = "Mehmanchi et al."
res.record("lowest_accuracy_model", worst)
res.claim(Claim("mehmanchi.mnist_bias.lowest_acc_lowest_score", paper, "§5.4, Fig. 7",
                "the model with the lowest test accuracy also has the lowest best-10 SSIM",
                kind="holds"), ours=min(S, key=S.get) == worst)
res.claim(Claim("mehmanchi.mnist_bias.others_close", paper, "§5.4, Fig. 7",
                "the other three models' test accuracies are very close (we read: within 0.02)",
                kind="holds"), ours=max(others) - min(others) <= 0.02)
res.claim(Claim("mehmanchi.mnist_bias.ssim_misleads", paper, "§5.4",
                "on MNIST, SSIM is a poor guide: real unseen digits score at least as high as "
                "the reconstructions (our operationalisation)", kind="holds"),
          ours=all(o.nulls["other_images"] >= o.result.best_k for o in outcomes))
res.save()
pd.DataFrame(res.claims)[["id", "ours", "verdict"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The claims table is generated from this run. The third claim is our way of testing the
# paper's remark that SSIM misleads on MNIST: if 2n MNIST digits that the model never saw
# match the training digits at least as well (by the same best-10 SSIM) as the
# reconstructions do, the score cannot tell a good reconstruction from any digit on a black
# background. The paper does not put a number on this remark, and "very close" accuracies is
# our reading (within 0.02). Quick-profile deviations as in the other notebooks: 20 training
# images, float32, loss-normalised step, 200 reconstruction steps.
#
# ```{exercise}
# Replace SSIM by a score that ignores the background (for example SSIM on the pixels where
# the training digit is brighter than 0.1, or the NCC of the matched pair). Does the ordering
# of the four models change?
# ```
