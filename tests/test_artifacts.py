from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from toy_training import ToyRun, run

from dataprints import artifacts
from dataprints.train import TrainConfig

TESTS = Path(__file__).parent


@dataclass(frozen=True)
class Numbers:
    n: int
    scale: float = 1.0


@dataclass(frozen=True)
class Versioned:
    n: int
    version: ClassVar[int] = 1


def test_spec_must_be_a_frozen_dataclass():
    @dataclass
    class Mutable:
        n: int

    for bad in ({"n": 1}, Mutable(1), Numbers):
        with pytest.raises(TypeError, match="frozen dataclass"):
            artifacts.cached(bad, lambda tmp: None)


def test_key_is_the_spec_class_fields_and_version(monkeypatch):
    base = artifacts.spec_key(Numbers(3))
    assert artifacts.spec_key(Numbers(3)) == base
    assert artifacts.spec_key(Numbers(4)) != base
    assert artifacts.spec_key(Numbers(3, 2.0)) != base
    assert artifacts.spec_key(Versioned(3)) != base
    before = artifacts.spec_key(Versioned(3))
    monkeypatch.setattr(Versioned, "version", 2)
    assert artifacts.spec_key(Versioned(3)) != before


def test_built_once_then_loaded():
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.arange(5)}

    first = artifacts.cached_tensors(Numbers(1), compute)
    second = artifacts.cached_tensors(Numbers(1), compute)
    assert calls == [1] and torch.equal(first["x"], second["x"])
    assert artifacts.cached_json(Numbers(2), lambda: {"a": [1, 2]}) == {"a": [1, 2]}
    assert artifacts.cached_json(Numbers(2), lambda: {"a": "other"}) == {"a": [1, 2]}


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete", "manifest"])
def test_damaged_artifact_is_named_and_rebuilt(damage, capsys):
    folder = artifacts.cached(Numbers(5), lambda tmp: (tmp / "a.bin").write_bytes(b"abcdef"))
    target = folder / "a.bin"
    if damage == "flip":
        target.write_bytes(b"abcdeF")
    elif damage == "truncate":
        target.write_bytes(b"abc")
    elif damage == "delete":
        target.unlink()
    else:
        (folder / artifacts.MANIFEST).write_text("{")
        target = folder / artifacts.MANIFEST
    capsys.readouterr()
    again = artifacts.cached(Numbers(5), lambda tmp: (tmp / "a.bin").write_bytes(b"abcdef"))
    err = capsys.readouterr().err
    assert str(target) in err and "rebuilding" in err and err.count("\n") == 1
    assert (again / "a.bin").read_bytes() == b"abcdef"


def test_failed_build_leaves_nothing_behind():
    def half(tmp: Path) -> None:
        (tmp / "a.bin").write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        artifacts.cached(Numbers(6), half)
    folder = artifacts.artifact_dir(Numbers(6))
    assert not folder.exists() and not list(folder.parent.glob(f".{folder.name}*"))
    done = artifacts.cached(Numbers(6), lambda tmp: (tmp / "a.bin").write_bytes(b"whole"))
    assert (done / "a.bin").read_bytes() == b"whole"


def test_second_call_loads_instead_of_retraining(one_thread):
    first, rec = run(ToyRun())
    assert not first.from_cache and first.kept_epochs() == [0, 1, 2, 3]
    second, rec2 = run(ToyRun())
    assert second.from_cache and second.key == first.key
    assert rec2.losses == rec.losses and len(rec.losses) == 12  # the recorder's state is cached
    assert second.history.train_loss == first.history.train_loss
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a.cpu(), b)
    key = "features.0.weight"
    assert not torch.equal(first.epoch_weights(0)[key], first.epoch_weights(3)[key])
    with pytest.raises(FileNotFoundError, match="kept"):
        first.epoch_weights(7)
    other = artifacts.train_cached(ToyRun(train=TrainConfig(epochs=3, batch_size=16, seed=1)),
                                   progress=False)
    assert other.key != first.key and not other.from_cache


def test_train_cached_needs_a_training_spec():
    with pytest.raises(TypeError, match="TrainingSpec"):
        artifacts.train_cached(Numbers(1))
    with pytest.raises(TypeError, match="frozen dataclass"):
        artifacts.train_cached({"n": 1})


def test_flipped_byte_in_cached_weights_retrains(one_thread, capsys):
    first, _ = run(ToyRun())
    path = first.folder / "model.pt"
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    capsys.readouterr()
    again, _ = run(ToyRun())
    assert not again.from_cache
    err = capsys.readouterr().err
    assert f"{path} fails its sha256 check" in err and "rebuilding" in err
    for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a.cpu(), b.cpu())


def test_missing_meta_json_is_one_clear_message(one_thread, capsys):
    first, _ = run(ToyRun())
    (first.folder / "meta.json").unlink()
    capsys.readouterr()
    again, _ = run(ToyRun())
    err = capsys.readouterr().err
    assert not again.from_cache and f"{first.folder / 'meta.json'} is missing" in err


def _toy_process(cache: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(TESTS), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(TESTS / "toy_training.py"), str(cache), *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_run_resumes_with_its_recorded_curves(one_thread, isolated_cache):
    reference, rec = run(ToyRun())
    assert len(rec.losses) == 12
    cache = isolated_cache.parent / "killed"
    killed = _toy_process(cache, "--kill-at", "6")  # in epoch 2, after epoch 1's checkpoint
    killed.communicate(timeout=120)
    assert killed.returncode == -9
    assert list((cache / "artifacts").glob(".*.run/run/last.pt"))
    os.environ["DATAPRINTS_CACHE"] = str(cache)  # the fixture restores it afterwards
    resumed, rec2 = run(ToyRun())
    assert not resumed.from_cache
    assert rec2.losses == rec.losses  # all 12 steps, not only those after the checkpoint
    assert resumed.history == reference.history and resumed.kept_epochs() == [0, 1, 2, 3]
    for a, b in zip(reference.model.state_dict().values(), resumed.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a.cpu(), b.cpu())


def test_concurrent_processes_share_one_training(isolated_cache):
    procs = [_toy_process(isolated_cache) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    words = sorted(out.split()[0] for out, _ in outs)
    assert words == ["cache", "trained"]  # the second waited for the first, then loaded
    assert all(out.split()[1] == "12" for out, _ in outs)


def test_stop_mid_epoch_divides_by_the_samples_seen(one_thread):
    from dataprints.train import train

    spec = ToyRun()
    (x, y), _ = spec.training_data()

    def stop_after_one(state):
        state.stop = state.step == 1

    torch.manual_seed(0)
    model = spec.build_model()
    history = train(model, TrainConfig(epochs=2, batch_size=16), (x, y),
                    step_callbacks=[stop_after_one], progress=False)
    assert history.epoch == [1] and history.train_loss[0] > 0.3  # one batch's loss, not / 4
    assert history.train_acc[0] >= 0.25


def test_training_config_fields_are_in_the_key():
    a = ToyRun()
    b = dataclasses.replace(a, train=TrainConfig(epochs=3, batch_size=16, lr=2e-3))
    assert artifacts.spec_key(a) != artifacts.spec_key(b)


def test_unreadable_checkpoint_restarts_the_run_with_one_message(one_thread, capsys,
                                                                isolated_cache):
    spec = ToyRun(n=48)  # a run of its own, interrupted after its first checkpoint
    with pytest.raises(KeyboardInterrupt):
        def stop(state):
            if state.step == 5:
                raise KeyboardInterrupt
        artifacts.train_cached(spec, keep_every=1, step_callbacks=[stop], progress=False)
    (checkpoint,) = (isolated_cache / "artifacts").glob(".ToyRun-*.run/run/last.pt")
    checkpoint.write_bytes(b"truncated")
    capsys.readouterr()
    resumed = artifacts.train_cached(spec, keep_every=1, progress=False)
    err = capsys.readouterr().err
    assert f"cannot read checkpoint {checkpoint}" in err and "afresh" in err
    assert resumed.kept_epochs() == [0, 1, 2, 3] and not resumed.from_cache
    fresh = artifacts.train_cached(dataclasses.replace(spec, train=TrainConfig(
        epochs=3, batch_size=16, checkpoint_every=2)), keep_every=1, progress=False)
    assert fresh.history == resumed.history  # the restart trained the same run from scratch

