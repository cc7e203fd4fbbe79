"""One experiment of the chapter: train on a (biased) binary task, reconstruct, score, compare
with the null baselines, and probe the shortcut directly. Every notebook of the chapter is a few
calls of :func:`run_experiment`, one per model and seed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import torch

from dataprints.artifacts import TrainedModel
from dataprints.data.biases import SQUARE, apply_bias
from dataprints.recovered.reconstruction import (
    Reconstruction,
    ReconstructionConfig,
    ReconstructionRun,
    candidate_signs,
    reconstruct_cached,
    tuned_config,
)
from dataprints.recovered.score import Score, minmax_scale, null_scores, score
from dataprints.recovered.training import (
    BinaryData,
    BinaryTrainingSet,
    HaimRecipe,
    TrainingRun,
    clean_test_accuracy,
    prepare,
    train_model,
    unseen_images,
)
from dataprints.train import evaluate

CORNER_CUE = "square1"  # the level-1 trigger: every model is probed with it, M_base included


@dataclass(frozen=True)
class Scale:
    """The knobs a profile turns: the parameters cell of every notebook of the chapter."""

    n_per_class: int
    width: int = 1000
    train_dtype: str = "float32"
    max_steps: int = 4000
    train_lr: float = 0.01
    schedule: str = "loss_normalized"
    stop_loss: float = 1e-5
    recon_iterations: int = 200  # 0 = train only (the score is then not run)
    recon_dtype: str = "float32"
    k: int = 10

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Scale:
        """The scale of a notebook's parameters (extra names such as ``seeds`` are ignored)."""
        return cls(**{f.name: params[f.name] for f in fields(cls) if f.name in params})

    def recipe(self, seed: int) -> HaimRecipe:
        return HaimRecipe(max_steps=self.max_steps, lr=self.train_lr, schedule=self.schedule,
                          stop_loss=self.stop_loss, width=self.width, dtype=self.train_dtype,
                          seed=seed)

    def recon(self, dataset: str, seed: int) -> ReconstructionConfig | None:
        """m = 2n candidates (the paper's choice) with the dataset's tuned settings."""
        if self.recon_iterations == 0:
            return None
        return tuned_config(dataset, candidates=4 * self.n_per_class,
                            iterations=self.recon_iterations, dtype=self.recon_dtype, seed=seed)


@dataclass
class Outcome:
    """Everything a notebook shows about one model M and one seed."""

    label: str  # "M_base", "M_1", ...
    seed: int
    data: BinaryTrainingSet
    trained: TrainedModel
    test_acc: float
    cues: dict[str, dict[str, float]]  # cue -> accuracies with the cue agreeing / flipped
    reconstruction: Reconstruction | None = None
    recon01: torch.Tensor | None = None  # mean added back, min-max scaled
    result: Score | None = None
    nulls: dict[str, float] | None = None

    @property
    def score(self) -> float | None:
        return None if self.result is None else self.result.best_k

    def row(self) -> dict[str, Any]:
        """The headline numbers, one table row."""
        h = self.trained.history
        row: dict[str, Any] = {
            "model": self.label, "seed": self.seed, "bias": self.data.bias,
            "n_train": len(self.data.x), "train_steps": len(h.epoch),
            "final_train_loss": h.train_loss[-1], "train_acc": h.train_acc[-1],
            "test_acc": self.test_acc, "n_test": len(self.data.y_test),
            "corner_cue_follows": self.cues[CORNER_CUE]["follows"],
        }
        if self.result is not None and self.reconstruction is not None:
            assert self.nulls is not None and self.recon01 is not None
            rec = self.reconstruction
            row.update({
                f"best{self.result.k}_ssim": self.result.best_k,
                "null_mean_image": self.nulls["mean_image"],
                "null_other_images": self.nulls["other_images"],
                "kkt_loss_first": rec.loss[0], "kkt_loss_final": rec.loss[-1],
                "recon_steps": rec.iteration[-1],
                "seconds_per_step": rec.seconds / rec.iteration[-1],
                "corner_contrast": corner_contrast(self.recon01),
            })
        return row


def ncc_downsample(dataset: str) -> int:
    """Haim et al. match colour images on 2x downsampled copies (``ncc2``), grey ones at full
    size."""
    return 1 if dataset in ("mnist", "fashion_mnist", "digits") else 2


def cue_test(trained: TrainedModel, data: BinaryTrainingSet, cue: str) -> dict[str, float]:
    """Clean test images with ``cue`` (a bias of :data:`BIASES`) pasted in: ``agrees`` is the
    accuracy when the cue matches the true label, ``follows`` the share of predictions that
    follow the cue when it names the other label (0.5 or less: the cue is ignored)."""
    x01 = (data.x_test + data.mean).clamp(0, 1)
    y = data.y_test
    dtype = next(trained.model.parameters()).dtype

    def accuracy(images01: torch.Tensor, labels: torch.Tensor) -> float:
        return evaluate(trained.model, (images01 - data.mean).to(dtype), labels,
                        loss="logistic")[1]

    return {"agrees": accuracy(apply_bias(x01, y, cue, data.dataset), y),
            "follows": accuracy(apply_bias(x01, 1 - y, cue, data.dataset), 1 - y)}


def corner_contrast(images01: torch.Tensor, signs: torch.Tensor | None = None) -> float:
    """How strongly images show the level-1 trigger: the mean over images of
    y_j (mean of the 3x3 corner - mean of the rest), y_j = -1 for the first half (label 0,
    dark trigger) and +1 for the second (label 1, bright trigger); about 0 without it."""
    if signs is None:
        signs = candidate_signs(len(images01), torch.float64)
    corner = torch.zeros(images01.shape[-2:], dtype=torch.bool)
    corner[:SQUARE, :SQUARE] = True
    flat = images01.double().mean(dim=1)  # (N, H, W), channels averaged
    diff = flat[:, corner].mean(dim=1) - flat[:, ~corner].mean(dim=1)
    return float((signs.double() * diff).mean())


def run_experiment(label: str, spec: BinaryData, scale: Scale, seed: int = 0,
                   progress: bool = True) -> Outcome:
    """Train (cached), reconstruct m = 2n candidates (cached), score them, probe the cue."""
    if spec.n_per_class != scale.n_per_class:
        raise ValueError(f"the data has {spec.n_per_class} images per class, the scale "
                         f"{scale.n_per_class}")
    data = prepare(spec)
    trained = train_model(data, scale.recipe(seed), progress=progress)
    cues = {cue: cue_test(trained, data, cue)
            for cue in sorted({CORNER_CUE, spec.bias} - {"none"})}
    outcome = Outcome(label, seed, data, trained, clean_test_accuracy(trained, data), cues)
    cfg = scale.recon(spec.dataset, seed)
    if cfg is None:
        return outcome
    rec = reconstruct_cached(ReconstructionRun(TrainingRun(spec, scale.recipe(seed)), cfg),
                             trained, progress=progress)
    recon01 = minmax_scale(rec.x.double() + data.mean)
    down = ncc_downsample(spec.dataset)
    k = min(scale.k, len(data.x))
    others = unseen_images(spec, cfg.candidates // 2)
    outcome.reconstruction, outcome.recon01 = rec, recon01
    outcome.result = score(data.images01, recon01, k, down)
    outcome.nulls = null_scores(data.images01, data.mean, others, k, down)
    return outcome


def run_models(models: Mapping[str, BinaryData], scale: Scale, seeds: Iterable[int],
               progress: bool = True) -> list[Outcome]:
    """:func:`run_experiment` for every model and seed, seed by seed (so a run cut short
    leaves whole seeds in the cache)."""
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
    return [run_experiment(label, spec, scale, seed, progress)
            for seed in seeds for label, spec in models.items()]


def trigger_models(task: str, n_per_class: int,
                   levels: Iterable[str] = ("none", "square1", "square2", "square3"),
                   ) -> dict[str, BinaryData]:
    """M_base, M_1, M_2, M_3 (§4.1) on ``task``: the same images, a trigger of each level."""
    names = {"none": "M_base", "square1": "M_1", "square2": "M_2", "square3": "M_3",
             "contrast": "M_contrast"}
    return {names[b]: BinaryData.of_task(task, n_per_class, b) for b in levels}
