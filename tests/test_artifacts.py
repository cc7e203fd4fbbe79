from __future__ import annotations

import pytest
import torch

from dataprints import artifacts
from dataprints.models import build_model
from dataprints.train import TrainConfig

SPEC = {"dataset": "generated", "n": 64, "model": "lenet5", "size": 16}
CFG = TrainConfig(epochs=2, batch_size=32)


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 16, 16, generator=g)
    return x, (x.mean(dim=(1, 2, 3)) > 0).long()


def build():
    return build_model("lenet5", in_channels=1, image_size=16, num_classes=2)


def test_second_call_loads_instead_of_retraining(isolated_cache):
    first = artifacts.train_cached(SPEC, build, CFG, data(), keep_every=1, progress=False)
    assert not first.from_cache and first.kept_epochs() == [0, 1, 2]

    def fail(state):
        raise AssertionError("cache hit must not train")

    second = artifacts.train_cached(SPEC, build, CFG, data(), callbacks=[fail], progress=False)
    assert second.from_cache and second.key == first.key
    assert second.history.train_loss == first.history.train_loss
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a.cpu(), b)
    initial = first.epoch_weights(0)
    key = "features.0.weight"
    assert not torch.equal(initial[key], first.epoch_weights(2)[key])
    with pytest.raises(FileNotFoundError, match="kept"):
        first.epoch_weights(7)


def test_key_changes_with_any_part_of_the_config():
    base = artifacts.cache_key(SPEC, CFG)
    assert artifacts.cache_key({**SPEC, "n": 65}, CFG) != base
    assert artifacts.cache_key(SPEC, TrainConfig(epochs=2, batch_size=32, seed=1)) != base
    assert artifacts.cache_key(dict(reversed(SPEC.items())), CFG) == base


def test_corrupt_or_mismatched_cached_model_is_explained(isolated_cache):
    trained = artifacts.train_cached(SPEC, build, CFG, data(), progress=False)
    (trained.folder / "model.pt").write_bytes(b"garbage")
    with pytest.raises(artifacts.BadCheckpoint, match="delete"):
        artifacts.train_cached(SPEC, build, CFG, data(), progress=False)
    other = build_model("simple_cnn", in_channels=1, image_size=28, num_classes=2)
    good = artifacts.train_cached({**SPEC, "n": 63}, build, CFG, data(), progress=False)
    with pytest.raises(artifacts.BadCheckpoint, match="different model"):
        artifacts.load_into(other, good.folder / "model.pt")


def test_cached_without_kept_epochs_retrains_to_keep_them(isolated_cache):
    plain = artifacts.train_cached(SPEC, build, CFG, data(), progress=False)
    kept = artifacts.train_cached(SPEC, build, CFG, data(), keep_every=1, progress=False)
    assert not kept.from_cache and kept.kept_epochs() == [0, 1, 2]
    assert kept.key == plain.key
    again = artifacts.train_cached(SPEC, build, CFG, data(), keep_every=2, progress=False)
    assert again.from_cache
