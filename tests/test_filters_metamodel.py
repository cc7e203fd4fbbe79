"""The meta-model split by architecture, and a miniature sweep end to end on generated data."""

import math

import numpy as np
import pytest
import torch

from dataprints.filters.metamodel import cross_architecture_r2
from dataprints.filters.metrics import METRICS
from dataprints.filters.sweep import SweepConfig, conv1_updates, run_sweep, train_on


def fake_rows(arch, n, seed, informative=True):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        row = {m: rng.random() for m in METRICS}
        target = row["roughness"] * 3 if informative else rng.random()
        rows.append({"arch": arch, **row, "sharpness": target, "noisiness": target,
                     "scale": math.nan})
    return rows


def test_informative_features_transfer_across_architectures():
    rows = fake_rows("a", 200, 0) + fake_rows("b", 100, 1)
    res = cross_architecture_r2(rows, "sharpness", ["a"], ["b"], repeats=3)
    assert res.r2_mean > 0.9 and res.n_train == 200 and res.n_test == 100
    assert res.y_pred.shape == (100,)


def test_uninformative_features_do_not():
    rows = fake_rows("a", 200, 0, informative=False) + fake_rows("b", 100, 1, False)
    assert cross_architecture_r2(rows, "noisiness", ["a"], ["b"], repeats=2).r2_mean < 0.2


def test_meta_model_input_errors():
    rows = fake_rows("a", 10, 0) + fake_rows("b", 10, 1)
    with pytest.raises(ValueError, match="overlap"):
        cross_architecture_r2(rows, "sharpness", ["a"], ["a", "b"])
    with pytest.raises(ValueError, match="choose one of"):
        cross_architecture_r2(rows, "colour", ["a"], ["b"])
    with pytest.raises(ValueError, match="scale label"):  # every scale is NaN here
        cross_architecture_r2(rows, "scale", ["a"], ["b"])


def test_sweep_rows_hold_the_update_of_every_kept_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path))
    cfg = SweepConfig(archs=("mini_resnet_shallow", "mini_convnext"), bases=(), variants=(),
                      scales=(0.3, 0.7), scale_archs=("mini_resnet_shallow",), n_per_class=3,
                      image_size=16, trials=1, epochs=2, keep_every=1, batch_size=10,
                      property_samples=5)
    rows = run_sweep(cfg, progress=False)
    assert len(rows) == 2 * 1 * 2  # scales x scale_archs x kept epochs
    assert {r["scale"] for r in rows} == {0.3, 0.7}
    assert all(np.isfinite(r[m]) for r in rows for m in METRICS)
    from dataprints.data.shapes import make_shapes
    trained = train_on(cfg, "mini_resnet_shallow", make_shapes(5, 0.3, 16, 0), 0)
    assert trained.from_cache  # the sweep trained it already
    deltas = conv1_updates(trained)
    assert sorted(deltas) == [1, 2] and deltas[2].shape == (64, 3, 7, 7)
    final = trained.model.state_dict()["0.weight"]
    assert torch.allclose(deltas[2], final - trained.epoch_weights(0)["0.weight"])
    # other images under the same name, size and sweep seed: a model of their own
    other = train_on(cfg, "mini_resnet_shallow", make_shapes(5, 0.3, 16, seed=1), 0)
    assert not other.from_cache and other.key != trained.key
    unnamed = make_shapes(5, 0.3, 16, 0).subset(list(range(20)))
    with pytest.raises(TypeError, match="carries no spec"):
        train_on(cfg, "mini_resnet_shallow", unnamed, 0)


def test_sweep_config_errors():
    with pytest.raises(ValueError, match="unknown base"):
        SweepConfig(bases=("plankton",))
    with pytest.raises(ValueError, match="unknown variant"):
        SweepConfig(variants=("sepia",))
    with pytest.raises(ValueError, match="scale_archs"):
        SweepConfig(archs=("resnet18",), scale_archs=("resnet50",))
    with pytest.raises(ValueError, match="keep_every"):
        SweepConfig(epochs=3, keep_every=5)
