"""One cache for everything computed once and reused: named by a frozen dataclass, verified on load.

An artifact is a folder ``cache_dir()/artifacts/<SpecClass>-<key>/``. Its *spec* is a frozen
dataclass that both builds the artifact and names it: the key is the sha256 of the spec's
qualified class name, its fields (``asdict``), its ``version`` (a ClassVar or field, when it has
one) and the package's code version, so nothing but the spec can say which data it holds.

* ``build(tmp)`` writes the files into a temporary folder, renamed into place only when it is
  complete, with ``MANIFEST.json`` (the spec, the key and the sha256 and size of every file);
* every load verifies the manifest: a missing, truncated or changed file is named in one message
  on stderr and the artifact is rebuilt, never loaded;
* a file lock per artifact: a second process asking for the same artifact waits, then reads the
  finished one.

Trained models (:func:`train_cached`) are artifacts too: ``model.pt``, ``meta.json`` (history),
``epochs/epoch_XXXX.pt`` (weights kept every ``keep_every`` epochs) and ``recorders.pt`` (what
recording callbacks collected). The resumable checkpoint lives beside it in
``.<name>.run/`` while training, under the artifact's lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from filelock import FileLock, Timeout
from torch import nn

import dataprints
from dataprints.paths import cache_dir
from dataprints.train import (
    DTYPES,
    TRAINING_CODE_VERSION,
    Callback,
    CheckpointMismatch,
    History,
    Recorder,
    TrainConfig,
    TrainState,
    train,
)

MANIFEST = "MANIFEST.json"
# Bump when the artifact layout changes: part of every key.
CACHE_LAYOUT_VERSION = 2

Data = tuple[torch.Tensor, torch.Tensor]


class BadCheckpoint(RuntimeError):
    """A weights file is unreadable or does not match the model it is loaded into."""


def _check_spec(spec: Any) -> None:
    if not is_dataclass(spec) or isinstance(spec, type) or not spec.__dataclass_params__.frozen:
        raise TypeError(f"a cache spec must be an instance of a frozen dataclass, got "
                        f"{type(spec).__qualname__}: {spec!r:.200}")


def _plain_field(value: Any) -> Any:
    """JSON encoder fallback: only values whose text is their identity may go into a key."""
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cache spec fields must be plain values (numbers, strings, tuples, nested "
                    f"frozen dataclasses), got {type(value).__qualname__}")


def spec_description(spec: Any, **extra: Any) -> dict[str, Any]:
    """What the key hashes: the spec's class, fields, version and the code version."""
    _check_spec(spec)
    cls = type(spec)
    names = {f.name for f in fields(spec)}
    version = getattr(spec, "version", None) if "version" not in names else None
    return {"class": f"{cls.__module__}.{cls.__qualname__}", "fields": asdict(spec),
            "version": version, "code": dataprints.__version__, "layout": CACHE_LAYOUT_VERSION,
            **extra}


def spec_key(spec: Any, **extra: Any) -> str:
    """A stable sha256 (first 20 hex digits) of :func:`spec_description`."""
    blob = json.dumps(spec_description(spec, **extra), sort_keys=True, default=_plain_field)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def artifact_dir(spec: Any, **extra: Any) -> Path:
    return cache_dir() / "artifacts" / f"{type(spec).__name__}-{spec_key(spec, **extra)}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, description: dict[str, Any], key: str) -> None:
    """Record the sha256 and size of every file under ``folder``."""
    files = {p.relative_to(folder).as_posix(): {"sha256": _sha256(p), "bytes": p.stat().st_size}
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}
    text = json.dumps({"key": key, "spec": description, "files": files}, indent=2,
                      sort_keys=True, default=_plain_field)
    (folder / MANIFEST).write_text(text + "\n")


def verify(folder: Path, key: str) -> str | None:
    """None when ``folder`` is a complete artifact with key ``key``; else what is wrong with it."""
    manifest = folder / MANIFEST
    if not folder.is_dir():
        return "absent"
    if not manifest.is_file():
        return f"{manifest} is missing (the artifact was never completed)"
    try:
        entries = json.loads(manifest.read_text())
        files = entries["files"]
        found_key = entries["key"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return f"{manifest} is unreadable ({type(exc).__name__}: {exc})"
    if found_key != key:
        return f"{manifest} names key {found_key}, not {key}"
    faults = []
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            faults.append(f"{path} is missing")
        elif path.stat().st_size != entry["bytes"]:
            faults.append(f"{path} has {path.stat().st_size} bytes, the manifest says "
                          f"{entry['bytes']} (truncated or overwritten)")
        elif _sha256(path) != entry["sha256"]:
            faults.append(f"{path} fails its sha256 check (changed after it was written)")
    return "; ".join(faults) or None


def _say(message: str) -> None:
    print(f"cache: {message}", file=sys.stderr, flush=True)


def _cached(spec: Any, build: Callable[[Path], None], extra: dict[str, Any]) -> tuple[Path, bool]:
    """(folder, built now): the verified artifact of ``spec``, built under its lock if needed."""
    description = spec_description(spec, **extra)
    key = spec_key(spec, **extra)
    folder = artifact_dir(spec, **extra)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        _say(f"waiting for another process building {folder.name}")
        lock.acquire()
    try:
        fault = verify(folder, key)
        if fault is None:
            return folder, False
        if fault != "absent":
            _say(f"{fault}; rebuilding {folder.name}")
        for stale in folder.parent.glob(f".{folder.name}.tmp-*"):  # a killed builder's
            shutil.rmtree(stale, ignore_errors=True)
        tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
        tmp.mkdir()
        try:
            build(tmp)
            write_manifest(tmp, description, key)
            if folder.exists():
                old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
                os.replace(folder, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder, True
    finally:
        lock.release()


def cached(spec: Any, build: Callable[[Path], None]) -> Path:
    """The folder of the artifact named by the frozen dataclass ``spec``, verified.

    ``build(tmp)`` writes the artifact's files into ``tmp``; it runs only when no complete,
    intact artifact exists, under a lock held per artifact.
    """
    return _cached(spec, build, {})[0]


def cached_tensors(spec: Any, compute: Callable[[], dict[str, torch.Tensor]],
                   ) -> dict[str, torch.Tensor]:
    """``compute()`` once per spec; later calls load it (``weights_only=True``)."""
    def build(tmp: Path) -> None:
        torch.save(compute(), tmp / "tensors.pt")
    return load_state(cached(spec, build) / "tensors.pt")


def cached_json(spec: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` (plain JSON values) once per spec; later calls load it."""
    def build(tmp: Path) -> None:
        (tmp / "value.json").write_text(json.dumps(compute(), allow_nan=False))
    return json.loads((cached(spec, build) / "value.json").read_text())


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Load a state dict safely (``weights_only=True``) with a clear error when it is damaged."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise BadCheckpoint(f"cannot load {path} ({type(exc).__name__}: {exc}); delete the "
                            f"file (or its cache folder) and run again to rebuild it") from exc


def load_into(model: nn.Module, path: Path) -> nn.Module:
    """Load the weights at ``path`` into ``model``; a shape or key mismatch says which file."""
    state = load_state(path)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise BadCheckpoint(f"{path} holds weights for a different model: {exc}") from exc
    return model


@runtime_checkable
class TrainingSpec(Protocol):
    """A frozen dataclass that names one training run and builds everything it needs."""

    def build_model(self) -> nn.Module: ...

    def train_config(self) -> TrainConfig: ...

    def training_data(self) -> tuple[Data, Data | None]:
        """(training set, validation set or None) as tensors, ready for the model."""
        ...


@dataclass
class TrainedModel:
    """A trained model, its curves, and where its files live."""

    model: nn.Module
    history: History
    key: str
    folder: Path
    from_cache: bool

    def epoch_weights(self, epoch: int) -> dict[str, torch.Tensor]:
        """The state dict saved after ``epoch`` (needs ``keep_every`` to have covered it)."""
        path = self.folder / "epochs" / f"epoch_{epoch:04d}.pt"
        if not path.is_file():
            kept = sorted(p.stem for p in (self.folder / "epochs").glob("epoch_*.pt"))
            raise FileNotFoundError(f"no weights kept for epoch {epoch} in {self.folder}; "
                                    f"kept: {kept or 'none'} (train with keep_every)")
        return load_state(path)

    def kept_epochs(self) -> list[int]:
        return sorted(int(p.stem.split("_")[1]) for p in (self.folder / "epochs").glob("*.pt"))


def _save_weights(model: nn.Module, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(weights, tmp)
    os.replace(tmp, path)


def train_cached(
    spec: Any,
    *,
    keep_every: int | None = None,
    callbacks: Sequence[Callback] = (),
    step_callbacks: Sequence[Callback] = (),
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> TrainedModel:
    """Train the run named by ``spec`` (a frozen :class:`TrainingSpec`) unless it is cached.

    The key is the spec, the training config, ``keep_every`` and each recording callback's
    :meth:`~dataprints.train.Recorder.describe`. The model is built after seeding with the
    config's seed. Recorders (callbacks with state) are checkpointed with the run, and their
    state is stored with the model and restored into them on a cache hit; other callbacks run
    only while training. ``augment`` must be determined by the spec (it is not in the key).
    """
    _check_spec(spec)
    if not isinstance(spec, TrainingSpec):
        raise TypeError(f"{type(spec).__qualname__} is not a TrainingSpec: it needs "
                        f"build_model(), train_config() and training_data()")
    cfg = spec.train_config()
    if keep_every is not None and not 1 <= keep_every <= cfg.epochs:
        raise ValueError(f"keep_every must lie in 1..{cfg.epochs} (the epochs), got {keep_every}")
    recorders = [cb for cb in (*callbacks, *step_callbacks) if isinstance(cb, Recorder)]
    extra = {"train": asdict(cfg), "training_code": TRAINING_CODE_VERSION,
             "keep_every": keep_every or 0,
             "recorders": [[type(r).__qualname__, r.describe()] for r in recorders]}
    torch.manual_seed(cfg.seed)
    model = spec.build_model().to(DTYPES[cfg.dtype])
    folder = artifact_dir(spec, **extra)
    work = folder.with_name(f".{folder.name}.run")

    def build(tmp: Path) -> None:
        try:
            history = _train_in(work, spec, cfg, model, keep_every, callbacks, step_callbacks,
                                augment, device, progress)
        except CheckpointMismatch as exc:
            _say(f"{exc}; starting this run afresh")
            shutil.rmtree(work, ignore_errors=True)
            torch.manual_seed(cfg.seed)
            model.load_state_dict(spec.build_model().to(DTYPES[cfg.dtype]).state_dict())
            history = _train_in(work, spec, cfg, model, keep_every, callbacks, step_callbacks,
                                augment, device, progress)
        _save_weights(model, tmp / "model.pt")
        torch.save([r.state_dict() for r in recorders], tmp / "recorders.pt")
        (tmp / "meta.json").write_text(json.dumps(
            {"spec": spec_description(spec, **extra), "history": history.as_dict()},
            indent=2, sort_keys=True, default=_plain_field) + "\n")
        if keep_every:
            wanted = [0, *(e for e in history.epoch if e % keep_every == 0)]
            missing = [e for e in wanted if not (work / "epochs" / f"epoch_{e:04d}.pt").is_file()]
            if missing:
                raise RuntimeError(f"training in {work} did not keep epochs {missing}")
            os.replace(work / "epochs", tmp / "epochs")
        shutil.rmtree(work, ignore_errors=True)

    folder, built = _cached(spec, build, extra)
    meta = json.loads((folder / "meta.json").read_text())
    if built:
        return TrainedModel(model, History(**meta["history"]), folder.name, folder, False)
    load_into(model, folder / "model.pt")
    states = load_state(folder / "recorders.pt")
    for recorder, state in zip(recorders, states, strict=True):
        recorder.load_state_dict(state)
    return TrainedModel(model, History(**meta["history"]), folder.name, folder, True)


def _train_in(work: Path, spec: Any, cfg: TrainConfig, model: nn.Module, keep_every: int | None,
              callbacks: Sequence[Callback], step_callbacks: Sequence[Callback],
              augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None,
              device: str | torch.device | None, progress: bool) -> History:
    """One (possibly resumed) training run whose checkpoint and kept weights live in ``work``."""
    keep: list[Callback] = []
    if keep_every:
        def keep_weights(state: TrainState) -> None:
            if state.epoch % keep_every == 0:
                _save_weights(state.model, work / "epochs" / f"epoch_{state.epoch:04d}.pt")
        keep = [keep_weights]
        if not (work / "run" / "last.pt").is_file():
            _save_weights(model, work / "epochs" / "epoch_0000.pt")
    train_data, val_data = spec.training_data()
    return train(model, cfg, train_data, val_data, callbacks=[*keep, *callbacks],
                 step_callbacks=step_callbacks, augment=augment, checkpoint_dir=work / "run",
                 device=device, progress=progress)
