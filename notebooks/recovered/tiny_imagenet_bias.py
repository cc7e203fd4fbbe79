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
# # Tiny ImageNet: food vs dogs with bias levels (Appendix B, Table 2)
#
# Mehmanchi et al. repeat the bias experiment on 64x64 Tiny ImageNet images: five food
# classes against five animal classes, 100 training images, models M_base, M1 (corner trigger)
# and M3 (five trigger positions per class). Table 2 reports **test accuracy 0.692 / 0.65 /
# 0.682** and **mean best-10 SSIM 0.68 / 0.635 / 0.698** for M_base / M1 / M3: M1 is the worst
# on both, M3 scores slightly above M_base (they attribute this to the easily reconstructed
# squares).
#
# The mirror holds an exact 10-class subset of Tiny ImageNet (guacamole, mashed potato, meat
# loaf, pizza, potpie; Chihuahua, Yorkshire terrier, golden retriever, Labrador, German
# shepherd), which are likely but not certainly the paper's classes (it does not name them).
# The test set is the 500 validation images of these classes. Quick profile (CPU, 2 cores):
# 10 images per class and 100 reconstruction steps (half the chapter's other notebooks,
# because each step on 64x64x3 inputs costs about 4x a CIFAR-10 step); about 1.5 minutes with
# other jobs on the machine.

# %% tags=["parameters"]
n_per_class: int = 10  # training images per binary class (paper: 50)
width: int = 1000  # hidden units in each of the two hidden layers (paper: 1000)
train_dtype: str = "float32"  # precision of training (paper: float64)
max_steps: int = 4000  # full-batch gradient steps at most (paper: 1,000,000)
train_lr: float = 0.01  # initial gradient step (paper: 0.01, constant)
schedule: str = "loss_normalized"  # step rule: loss_normalized (lr * L_1 / L_t) or none (paper: none)
stop_loss: float = 1e-5  # stop at zero training error and loss below this (paper: 1e-5)
recon_iterations: int = 100  # reconstruction steps (paper: 50,000; 64-px inputs cost 4x per step)
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

task = "tiny_food_dogs"
recipe = HaimRecipe(max_steps=max_steps, lr=train_lr, schedule=schedule, stop_loss=stop_loss,
                    width=width, dtype=train_dtype)
recon = tuned_config("tiny_imagenet", candidates=4 * n_per_class,
                     iterations=recon_iterations, dtype=recon_dtype)
models = {"M_base": "none", "M_1": "square1", "M_3": "square3"}

# %% [markdown]
# ## Train, reconstruct, score

# %%
outcomes = [run_experiment(label, task, n_per_class, bias, recipe, recon, k)
            for label, bias in models.items()]
table = pd.DataFrame([o.row() for o in outcomes]).set_index("model")
table

# %% [markdown]
# ## Figure 8: the best reconstructions of each model

# %%
for o in outcomes:
    top_pairs(o, count=show)
    plt.show()

# %%
accuracy_and_score(outcomes, title="Tiny ImageNet food/dogs: bias level vs accuracy and score")
plt.show()

# %% [markdown]
# ## Results and the paper's claims

# %%
res = Results.for_notebook("recovered/tiny_imagenet_bias", globals())
for o in outcomes:
    res.record(o.label, o.row())
S = {o.label: o.result.best_k for o in outcomes}
acc = {o.label: o.test_acc for o in outcomes}
paper = "Mehmanchi et al."
table2 = {"M_base": (0.692, 0.68), "M_1": (0.65, 0.635), "M_3": (0.682, 0.698)}
for m, (paper_acc, paper_ssim) in table2.items():
    res.claim(Claim(f"mehmanchi.tiny.{m.lower()}_test_acc", paper, "App. B, Table 2",
                    f"Tiny ImageNet {m}: test accuracy {paper_acc}", paper_value=paper_acc,
                    tolerance=0.05), ours=acc[m])
    res.claim(Claim(f"mehmanchi.tiny.{m.lower()}_score", paper, "App. B, Table 2",
                    f"Tiny ImageNet {m}: mean best-10 SSIM {paper_ssim}",
                    paper_value=paper_ssim, tolerance=0.05), ours=S[m])
res.claim(Claim("mehmanchi.tiny.m1_lowest_score", paper, "App. B",
                "M_1 has the lowest best-10 SSIM", kind="holds"), ours=min(S, key=S.get) == "M_1")
res.claim(Claim("mehmanchi.tiny.m1_lowest_accuracy", paper, "App. B",
                "M_1 has the lowest test accuracy", kind="holds"),
          ours=min(acc, key=acc.get) == "M_1")
res.claim(Claim("mehmanchi.tiny.scores_above_null", paper, "App. B (our check)",
                "every model's best-10 SSIM exceeds both null baselines", kind="holds"),
          ours=all(o.result.best_k > max(o.nulls.values()) for o in outcomes))
res.save()
pd.DataFrame(res.claims)[["id", "paper_value", "ours", "verdict"]]

# %% [markdown]
# ## What we found / where we differ from the paper
#
# The claims table is generated from this run. Beyond the quick-profile deviations shared by
# the chapter (20 training images instead of 100, float32, loss-normalised step), this
# notebook runs only 100 instead of 50,000 reconstruction steps (the other notebooks: 200).
# Two deviations are specific to Tiny ImageNet: the class subset is the mirror's (the paper
# does not list its ten classes), and the test set has 500 images (a difference of 0.02 in
# accuracy is 10 images). Read each score against the null baselines in the first table.
#
# ```{exercise}
# The paper explains M_3's slightly higher score by the trigger squares being easy to
# reconstruct. Test this: compute the score once more with the 3x3 trigger regions masked out
# of both the training image and its reconstruction. Does M_3 still score above M_base?
# ```
