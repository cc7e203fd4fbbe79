"""The family: for every planted property and seed, a small CNN (read by the early-filter, anomaly
and frequency diagnostics) and a homogeneous ReLU MLP (read by the reconstruction, the only
model it applies to), trained through the one model cache and read by the very sections that
``dataprints diagnose`` writes into its report, so the chapter tests the tool a user runs.

Both models of a seed see the same planted distribution: the CNN trains on ``n_per_class``
images per side, the MLP on the first ``n_mlp`` of them (Haim et al.'s reconstruction needs a
small training set; the random order of :func:`~dataprints.data.balanced_subset` makes the
smaller set a prefix of the larger).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from dataprints.artifacts import TrainedModel, cached_json, train_cached
from dataprints.crossmethod.planted import CLEAN, CONTROL_SEED_OFFSET, PlantedSet
from dataprints.diagnostics import anomaly, early, frequency, reconstruction
from dataprints.diagnostics.inputs import UserData, UserModel
from dataprints.models import build_model
from dataprints.recovered.training import HaimRecipe, StopAtLoss
from dataprints.results import json_safe
from dataprints.train import TrainConfig

READINGS_VERSION = 1  # bump when what a reading extracts from a section changes


def user_data(data: PlantedSet, preprocess: str) -> UserData:
    """The planted set as ``dataprints diagnose`` sees a user's data (CIFAR-10's catalogued
    statistics for ``standard``; the training mean for ``centered``)."""
    return UserData(data.train(), data.held_out(), preprocess, "cifar10", "test")


def training_seed(data: PlantedSet) -> int:
    """The control trains on the clean images of its seed with another initialisation and
    batch order; every other model trains with its data seed."""
    return data.seed + (CONTROL_SEED_OFFSET if data.prop == "control" else 0)


@dataclass(frozen=True)
class CnnRun:
    """A small CNN on one planted set (standardised inputs, cross-entropy over 2 classes)."""

    data: PlantedSet
    arch: str
    train: TrainConfig

    def build_model(self) -> nn.Module:
        return build_model(self.arch, in_channels=3, image_size=32, num_classes=2)

    def train_config(self) -> TrainConfig:
        return self.train

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                     tuple[torch.Tensor, torch.Tensor]]:
        ud = user_data(self.data, "standard")
        return ((ud.inputs(ud.train), ud.train.y), (ud.inputs(ud.held_out), ud.held_out.y))


@dataclass(frozen=True)
class MlpRun:
    """Haim et al.'s homogeneous MLP on the first ``data.n_per_class`` images of one planted
    set, the training mean subtracted, trained to zero error and a small loss."""

    data: PlantedSet
    recipe: HaimRecipe

    def build_model(self) -> nn.Module:
        return build_model("mlp", in_channels=3, image_size=32, num_classes=2,
                           width=self.recipe.width, init_scale=self.recipe.init_scale)

    def train_config(self) -> TrainConfig:
        return self.recipe.train_config()

    def training_data(self) -> tuple[tuple[torch.Tensor, torch.Tensor], None]:
        ud = user_data(self.data, "centered")
        return (ud.inputs(ud.train), ud.train.y), None


@dataclass(frozen=True)
class Scale:
    """The knobs a profile turns (the notebook's parameters cell)."""

    n_per_class: int = 100  # CNN training images per side
    n_held_out: int = 100  # held-out images per side (DFMs and their rates)
    arch: str = "simple_cnn"
    epochs: int = 10
    lr: float = 1e-3  # Adam, as the anomaly chapter's shared recipe
    batch_size: int = 64
    n_scan: int = 200  # training images the anomaly scan clusters
    dfm_images: int = 10  # held-out images per class ranking frequencies
    dfm_patch: int = 2  # frequency blocks of the DFM search (1: single frequencies)
    n_mlp: int = 25  # MLP training images per side (Mehmanchi et al.: 50)
    width: int = 100  # MLP hidden units (Haim et al.: 1000)
    max_steps: int = 4000
    recon_iterations: int = 200
    k: int = 10

    def cnn_run(self, prop: str, seed: int) -> CnnRun:
        data = PlantedSet(prop, self.n_per_class, self.n_held_out, seed)
        cfg = TrainConfig(epochs=self.epochs, batch_size=self.batch_size, optimizer="adam",
                          lr=self.lr, seed=training_seed(data))
        return CnnRun(data, self.arch, cfg)

    def mlp_run(self, prop: str, seed: int) -> MlpRun:
        if self.n_mlp > self.n_per_class:
            raise ValueError(f"n_mlp ({self.n_mlp}) must not exceed n_per_class "
                             f"({self.n_per_class}): the MLP trains on a part of the set")
        data = PlantedSet(prop, self.n_mlp, self.n_held_out, seed)
        recipe = HaimRecipe(max_steps=self.max_steps, schedule="loss_normalized",
                            width=self.width, dtype="float32", seed=training_seed(data))
        return MlpRun(data, recipe)


def train_cnn(run: CnnRun, progress: bool = False) -> TrainedModel:
    """Train (or load) the CNN, keeping its initial weights for the filter update."""
    return train_cached(run, keep_every=run.train.epochs, progress=progress)


def train_mlp(run: MlpRun, progress: bool = False) -> TrainedModel:
    return train_cached(run, callbacks=[StopAtLoss(run.recipe.stop_loss)], progress=progress)


@dataclass(frozen=True)
class CnnReadings:
    """The early-filter, anomaly and frequency sections of one CNN (cached as JSON)."""

    run: CnnRun
    n_scan: int
    dfm_images: int
    dfm_patch: int
    version: ClassVar[int] = READINGS_VERSION


@dataclass(frozen=True)
class MlpReadings:
    """The reconstruction section of one MLP (cached as JSON)."""

    run: MlpRun
    iterations: int
    k: int
    version: ClassVar[int] = READINGS_VERSION


def _values(section: Any) -> dict[str, Any]:
    if section.error:
        raise RuntimeError(f"the {section.name} diagnostic failed: {section.error}")
    if not section.applies:
        raise RuntimeError(f"the {section.name} diagnostic does not apply: {section.why}")
    return {**section.values, "seconds": section.seconds}


def cnn_readings(spec: CnnReadings, progress: bool = False) -> dict[str, Any]:
    """Train (or load) the CNN and read it with three of the report's sections."""
    def compute() -> dict[str, Any]:
        trained = train_cnn(spec.run, progress)
        initial = spec.run.build_model()
        initial.load_state_dict(trained.epoch_weights(0))
        user = UserModel(trained.model.eval(), spec.run.arch, initial=initial.eval())
        data = user_data(spec.run.data, "standard")
        out: dict[str, Any] = {"history": trained.history.as_dict()}
        for name, fn in (
            ("early", lambda: early.early_filters(user)),
            ("anomaly", lambda: anomaly.anomaly_filters(user, data, spec.n_scan,
                                                        spec.run.data.seed, progress)),
            ("frequency", lambda: frequency.frequency_shortcuts(
                user, data, 2, spec.dfm_images, spec.dfm_patch, progress=progress)),
        ):
            start = time.perf_counter()
            section = fn()
            section.seconds = time.perf_counter() - start
            out[name] = _values(section)
        return json_safe(out, {})  # unevaluated epochs' NaN become null

    return cached_json(spec, compute)


def mlp_readings(spec: MlpReadings, progress: bool = False) -> dict[str, Any]:
    """Train (or load) the MLP and read it with the report's reconstruction section."""
    def compute() -> dict[str, Any]:
        trained = train_mlp(spec.run, progress)
        user = UserModel(trained.model.eval(), "mlp")
        data = user_data(spec.run.data, "centered")
        start = time.perf_counter()
        section = reconstruction.reconstruction(
            user, data, 1, spec.iterations, 2 * len(data.train), spec.k,
            seed=spec.run.data.seed, progress=progress)
        section.seconds = time.perf_counter() - start
        return json_safe({"history": trained.history.as_dict(),
                          "reconstruction": _values(section)}, {})

    return cached_json(spec, compute)


def reading_specs(scale: Scale, prop: str, seed: int) -> tuple[CnnReadings, MlpReadings]:
    return (CnnReadings(scale.cnn_run(prop, seed), scale.n_scan, scale.dfm_images,
                        scale.dfm_patch),
            MlpReadings(scale.mlp_run(prop, seed), scale.recon_iterations, scale.k))


# diagnostic id -> the report section it reads (ids are the results files' keys)
DIAGNOSTICS = {"early": early.NAME, "anomaly": anomaly.NAME, "frequency": frequency.NAME,
               "reconstruction": reconstruction.NAME}
ANOMALY_COUNT = "count"  # anomaly filters over every conv layer (Table 1, experiment 1)
SHORTCUT_STRENGTH = "shortcut_strength"  # max over classes of TPR − FPR, DFM-filtered images
SSIM_ABOVE_NULLS = "ssim_above_nulls"  # best-k SSIM minus the larger null baseline


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else float(a - b)


def readings(cnn: dict[str, Any], mlp: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """The scalar readings of one seed's two models, per diagnostic: what a user reads in the
    report. The reconstruction reading is the score *above* the larger null baseline, so a
    training set that is merely easier to match (blurred, say) does not raise it by itself.
    A value the section could not compute (a reconstruction that diverged, a rate without
    images) reads None: the rule leaves that seed out, and the cell says with how many seeds."""
    rec = mlp["reconstruction"]
    nulls = [v for v in (rec["null_mean_image"], rec["null_held_out_images"]) if v is not None]
    gaps = [_difference(r["TPR DFM"], r["FPR DFM"]) for r in cnn["frequency"]["rates"]]
    gaps = [g for g in gaps if g is not None]
    count = cnn["anomaly"]["anomaly_filters"]
    return {
        "early": dict(cnn["early"]["metrics"]),
        "anomaly": {ANOMALY_COUNT: None if count is None else float(count)},
        "frequency": {SHORTCUT_STRENGTH: max(gaps) if gaps else None},
        "reconstruction": {SSIM_ABOVE_NULLS: _difference(rec["best_k_ssim"],
                                                         max(nulls) if nulls else None)},
    }


def model_row(prop: str, seed: int, cnn: dict[str, Any], mlp: dict[str, Any]) -> dict[str, Any]:
    """One seed's two models in a table row: how they trained, and what each section cost."""
    h, m = cnn["history"], mlp["history"]
    rec = mlp["reconstruction"]
    return {"property": prop, "seed": seed, "cnn_train_acc": h["train_acc"][-1],
            "cnn_held_out_acc": h["val_acc"][-1], "mlp_steps": len(m["epoch"]),
            "mlp_train_acc": m["train_acc"][-1], "mlp_train_loss": m["train_loss"][-1],
            "best_k_ssim": rec["best_k_ssim"], "null_mean_image": rec["null_mean_image"],
            "null_held_out_images": rec["null_held_out_images"],
            "shortcut_classes": cnn["frequency"]["shortcut_classes"],
            "seconds": {name: cnn[name]["seconds"] for name in ("early", "anomaly", "frequency")}
            | {"reconstruction": rec["seconds"]}}


def family_readings(scale: Scale, props: Sequence[str], seeds: Sequence[int],
                    progress: bool = False,
                    ) -> tuple[dict[str, dict[str, dict[str, list]]], list[dict[str, Any]]]:
    """(property (and "clean") -> diagnostic -> reading -> one value per seed, one
    :func:`model_row` per property and seed), seed by seed (so a run cut short leaves whole
    seeds in the cache)."""
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct integers, got {list(seeds)}")
    out: dict[str, dict[str, dict[str, list]]] = {}
    rows = []
    for seed in seeds:
        for prop in (CLEAN, *props):
            c_spec, m_spec = reading_specs(scale, prop, seed)
            cnn, mlp = cnn_readings(c_spec, progress), mlp_readings(m_spec, progress)
            rows.append(model_row(prop, seed, cnn, mlp))
            one = readings(cnn, mlp)
            for diagnostic, values in one.items():
                for name, value in values.items():
                    out.setdefault(prop, {}).setdefault(diagnostic, {}).setdefault(
                        name, []).append(value)
    return out, rows
