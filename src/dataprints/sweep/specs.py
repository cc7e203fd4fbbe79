"""Which runs a notebook trains at a profile, and the function that trains each kind of spec.

Both tables use the chapters' own functions (``shared_spec``, ``control_spec``, ``train_run``,
``train_syn``, ``train_natural``), so a spec swept here is the spec the notebook asks for: same
key, one artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from dataprints.artifacts import TrainedModel
from dataprints.notebooks import (
    ParameterError,
    check_overrides,
    notebook_key,
    parameters,
    profile_overrides,
)
from dataprints.paths import repo_root


class SweepError(ValueError):
    """A sweep that cannot start: no sweep for the notebook, a missing extra, a bad option."""


def _anomaly_exp1(p: dict[str, Any]) -> list[Any]:
    """Dou et al. Exp 1: per dataset, model and seed the run and its control (§4.1)."""
    from dataprints.anomaly.runs import control_spec, shared_spec

    specs = []
    for dataset in p["datasets"]:
        for model in p["models"]:
            base = shared_spec(model, dataset, p["n_per_class"], p["n_val"], p["epochs"],
                               p["image_size"])
            for seed in p["seeds"]:
                spec = replace(base, seed=seed)
                specs += [spec, control_spec(spec)]
    return specs


def _frequency_syn(p: dict[str, Any]) -> list[Any]:
    """Wang et al.'s Syn models: one per architecture, generator, seed and band (as
    :func:`~dataprints.frequency.trained.syn_models` trains them)."""
    from dataprints.frequency.bandstop import BANDS
    from dataprints.frequency.trained import SynData, SynRun, paper_config

    archs = p["archs"] if "archs" in p else [p["arch"]]
    return [SynRun(SynData(band, p["n_train"], p["n_test"], seed, generator), arch,
                   paper_config(p["epochs"], lr=p["lr"], batch_size=p["batch_size"], seed=seed),
                   p["every"], p["max_steps"])
            for arch in archs for generator in p["generators"] for seed in p["seeds"]
            for band in BANDS]


def _frequency_natural(p: dict[str, Any]) -> list[Any]:
    """Wang et al.'s natural-image models: the plain one per seed and each augmented one per
    augment seed (natural DFMs), or one variant per seed (OOD transfer), as
    :func:`~dataprints.frequency.trained.natural_model` names them."""
    from dataprints.frequency.trained import NaturalData, NaturalRun, paper_config

    if "augments" in p:
        plain, *augmented = p["augments"]
        runs = [(plain, s) for s in p["seeds"]] + [(a, s) for a in augmented
                                                    for s in p["augment_seeds"]]
    else:
        runs = [(p["augment"], s) for s in p["seeds"]]
    return [NaturalRun(NaturalData(p["dataset"], p["n_per_class"], p["n_val_per_class"], seed,
                                   p["image_size"]), p["arch"], augment,
                       paper_config(p["epochs"], lr=p["lr"], seed=seed, scheduler=p["schedule"]),
                       p["augment_group"])
            for augment, seed in runs]


# notebook (relative to the repository) -> its specs from the notebook's full parameters
SWEEPS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "notebooks/anomaly/overfitting_anomaly_counts.py": _anomaly_exp1,
    "notebooks/frequency/learning_order.py": _frequency_syn,
    "notebooks/frequency/band_stop.py": _frequency_syn,
    "notebooks/frequency/natural_dfm.py": _frequency_natural,
    "notebooks/frequency/ood_transfer.py": _frequency_natural,
}


def sweep_key(notebook: Path | str) -> str:
    """The notebook's path relative to the repository (given from here or from the repository),
    as profiles and :data:`SWEEPS` name it."""
    path = Path(notebook)
    if not path.is_absolute() and not path.exists():
        path = repo_root() / path
    return notebook_key(path)


def sweep_specs(notebook: Path | str, profile: str = "paper",
                overrides: dict[str, Any] | None = None) -> list[Any]:
    """The specs ``notebook`` trains at ``profile`` (plus ``-p``-style overrides), in order,
    without duplicates; parameters are checked against the notebook's constraints first."""
    key = sweep_key(notebook)
    if key not in SWEEPS:
        raise SweepError(f"{key} has no sweep yet; sweeps exist for: {', '.join(SWEEPS)}")
    path = repo_root() / key
    try:
        params = {name: p.default for name, p in parameters(path).items()}
        params |= check_overrides(path, {**profile_overrides(path, profile), **(overrides or {})})
    except ParameterError as exc:
        raise SweepError(str(exc)) from None
    return list(dict.fromkeys(SWEEPS[key](params)))


def _train_syn_run(run: Any) -> TrainedModel:
    from dataprints.frequency.trained import train_syn

    data = run.data
    return train_syn(data.band, run.arch, data.build(), run.train, every=run.every,
                     max_steps=run.max_steps, n_train=data.n_train, seed=data.seed,
                     generator=data.generator)[0]


def _train_natural_run(run: Any) -> TrainedModel:
    from dataprints.frequency.trained import train_natural

    return train_natural(run.data.build(), run.arch, run.augment, run.train,
                         augment_group=run.augment_group)


def _train_anomaly_run(spec: Any) -> TrainedModel:
    from dataprints.anomaly.runs import train_run

    return train_run(spec)


# spec class (qualified name) -> the chapter's function that trains it; any other spec needs
# its own ``run()`` method returning a TrainedModel
RUNNERS: dict[str, Callable[[Any], TrainedModel]] = {
    "dataprints.anomaly.runs.RunSpec": _train_anomaly_run,
    "dataprints.frequency.trained.SynRun": _train_syn_run,
    "dataprints.frequency.trained.NaturalRun": _train_natural_run,
}


def runner_for(spec: Any) -> Callable[[], TrainedModel]:
    """A call that trains ``spec`` (or loads it from the cache) the way its notebook does."""
    cls = type(spec)
    runner = RUNNERS.get(f"{cls.__module__}.{cls.__qualname__}")
    if runner is not None:
        return lambda: runner(spec)
    if callable(getattr(spec, "run", None)):
        return spec.run
    raise SweepError(f"no way to run a {cls.__qualname__}: give it a run() method returning "
                     f"dataprints.artifacts.TrainedModel, or add it to "
                     f"dataprints.sweep.specs.RUNNERS")
