"""One experiment of the chapter: train on a (biased) binary task, reconstruct, score, compare
with the null baselines. Every notebook of the chapter is a few calls of :func:`run_experiment`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from dataprints.artifacts import TrainedModel
from dataprints.recovered.reconstruction import (
    Reconstruction,
    ReconstructionConfig,
    reconstruct_cached,
)
from dataprints.recovered.score import Score, minmax_scale, null_scores, score
from dataprints.recovered.training import (
    BinaryTrainingSet,
    HaimRecipe,
    clean_test_accuracy,
    prepare,
    train_model,
    unseen_images,
)


@dataclass
class Outcome:
    """Everything a notebook shows about one model M."""

    label: str  # "M_base", "M_1", ...
    data: BinaryTrainingSet
    trained: TrainedModel
    reconstruction: Reconstruction
    recon01: torch.Tensor  # reconstructions with the mean added back, min-max scaled
    result: Score
    nulls: dict[str, float]
    test_acc: float

    def row(self) -> dict[str, Any]:
        """The headline numbers, one table row."""
        h = self.trained.history
        return {
            "model": self.label,
            "bias": self.data.bias,
            "n_train": len(self.data.x),
            "train_steps": len(h.epoch),
            "final_train_loss": h.train_loss[-1],
            "train_acc": h.train_acc[-1],
            "test_acc": self.test_acc,
            f"best{self.result.k}_ssim": self.result.best_k,
            "null_mean_image": self.nulls["mean_image"],
            "null_other_images": self.nulls["other_images"],
            "final_kkt_loss": self.reconstruction.loss[-1],
        }


def ncc_downsample(dataset: str) -> int:
    """Haim et al. match colour images on 2x downsampled copies (``ncc2``), MNIST at full size."""
    return 1 if dataset == "mnist" else 2


def run_experiment(label: str, task: str, n_per_class: int, bias: str, recipe: HaimRecipe,
                   recon: ReconstructionConfig, k: int = 10, progress: bool = True) -> Outcome:
    """Train (cached), reconstruct m = ``recon.candidates`` images (cached), score them."""
    data = prepare(task, n_per_class, bias)
    trained = train_model(data, n_per_class, recipe, progress=progress)
    if recon.candidates < 2 * n_per_class:
        raise ValueError(f"the paper reconstructs m = 2n candidates; got {recon.candidates} "
                         f"for n = {2 * n_per_class}")
    rec = reconstruct_cached(trained, tuple(data.x.shape[1:]), recon, progress=progress)
    recon01 = minmax_scale(rec.x.double() + data.mean)
    down = ncc_downsample(data.dataset)
    k = min(k, len(data.x))
    result = score(data.images01, recon01, k, down)
    others = unseen_images(task, n_per_class, recon.candidates // 2, bias)
    nulls = null_scores(data.images01, data.mean, others, k, down)
    return Outcome(label, data, trained, rec, recon01, result, nulls,
                   clean_test_accuracy(trained, data))

