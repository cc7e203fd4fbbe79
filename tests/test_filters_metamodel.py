"""The meta-model split by architecture, and a miniature sweep end to end on generated data."""

import math

import numpy as np
import pytest
import torch

from dataprints.artifacts import train_cached
from dataprints.filters.architectures import build_arch
from dataprints.filters.metamodel import cross_architecture_r2
from dataprints.filters.metrics import METRICS
from dataprints.filters.sweep import (
    SweepConfig,
    conv1_updates,
    load_pretrained,
    pretrain_run,
    run_sweep,
    train_on,
)


def fake_rows(arch, n, seed, informative=True):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        row = {m: rng.random() for m in METRICS}
        target = row["roughness"] * 3 if informative else rng.random()
        rows.append({"arch": arch, **row, "sharpness": target, "noisiness": target,
                     "log10_sharpness": target, "scale": math.nan})
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


def test_leave_one_variant_out_scores_sets_the_forest_never_saw():
    rng = np.random.default_rng(0)
    rows = []
    for arch in ("a", "b"):
        for v, level in (("original", 0.0), ("blur_3_1", 1.0), ("blur_7_2", 2.0),
                         ("blur_11_3", 3.0)):
            for _ in range(10):
                row = {m: rng.random() for m in METRICS}
                row["roughness"] = level + 0.01 * rng.random()  # the metric carries the level
                rows.append({"arch": arch, "base": "c", "variant": v, "kind": "blur", **row,
                             "log10_sharpness": level, "scale": math.nan})
    seen = cross_architecture_r2(rows, "log10_sharpness", ["a"], ["b"], repeats=2)
    unseen = cross_architecture_r2(rows, "log10_sharpness", ["a"], ["b"], repeats=2,
                                   leave_out=True)
    assert seen.r2_mean > 0.99  # every level was seen in training
    # a forest cannot extrapolate: the held-out end levels are predicted as their neighbours
    assert unseen.r2_mean < seen.r2_mean - 0.05
    assert set(unseen.group_means()) == {("c", v) for v in ("original", "blur_3_1", "blur_7_2",
                                                            "blur_11_3")}
    one = [r for r in rows if r["variant"] == "original"]
    with pytest.raises(ValueError, match="at least 2 test datasets"):
        cross_architecture_r2(one, "log10_sharpness", ["a"], ["b"], leave_out=True)


def test_sweep_rows_hold_the_update_of_every_kept_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path))
    cfg = SweepConfig(archs=("mini_resnet_shallow", "mini_convnext"), bases=(), variants=(),
                      scales=(0.3, 0.7), scale_archs=("mini_resnet_shallow",), n_per_class=3,
                      image_size=16, trials=1, epochs=2, keep_every=1, batch_size=10,
                      settings=("scratch",), property_samples=5)
    rows = run_sweep(cfg, progress=False)
    assert len(rows) == 2 * 1 * 2  # scales x scale_archs x kept epochs
    assert {r["scale"] for r in rows} == {0.3, 0.7} and {r["kind"] for r in rows} == {"scale"}
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


def test_fine_tuning_starts_from_the_pretraining_and_reads_the_update_from_it(
        tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path))
    cfg = SweepConfig(archs=("mini_mobilenet",), bases=("cifar10",),
                      variants=("original",), scales=(0.5,), scale_archs=("mini_mobilenet",),
                      grey_base="none", settings=("finetune_adam",), n_per_class=2,
                      image_size=16, trials=1, epochs=1, keep_every=1, batch_size=10,
                      pretrain_per_class=2, pretrain_epochs=1, property_samples=5)
    from dataprints.data.shapes import make_shapes
    pretrained = train_cached(pretrain_run(cfg, "mini_mobilenet"), progress=False)
    shapes = make_shapes(2, 0.5, 16, 0)  # 6 classes: the head is fresh, the rest pretrained
    tuned = train_on(cfg, "mini_mobilenet", shapes, 0, setting="finetune_adam")
    start = tuned.epoch_weights(0)
    for key, value in pretrained.model.state_dict().items():
        if not key.startswith("7."):  # the classifier (another class count)
            assert torch.equal(start[key], value), key
    assert start["7.weight"].shape == (6, 24)
    assert not torch.equal(tuned.model.state_dict()["0.weight"], start["0.weight"])
    with pytest.raises(ValueError, match="unknown setting"):
        train_on(cfg, "mini_mobilenet", shapes, 0, setting="frozen")


def test_sweep_config_errors():
    with pytest.raises(ValueError, match="unknown base"):
        SweepConfig(bases=("plankton",))
    with pytest.raises(ValueError, match="unknown variant"):
        SweepConfig(variants=("sepia",))
    with pytest.raises(ValueError, match="scale_archs"):
        SweepConfig(archs=("resnet18",), scale_archs=("resnet50",))
    with pytest.raises(ValueError, match="keep_every"):
        SweepConfig(epochs=3, keep_every=5)
    with pytest.raises(ValueError, match="settings"):
        SweepConfig(settings=("frozen",))
    with pytest.raises(ValueError, match="grey_base"):
        SweepConfig(grey_base="cifar10")


def test_pretrained_weights_must_fit_but_for_the_classifier():
    model = build_arch("mini_resnet_shallow", 6, 16)
    state = build_arch("mini_resnet_shallow", 10, 16).state_dict()
    load_pretrained(model, state)
    assert torch.equal(model.state_dict()["0.weight"], state["0.weight"])
    with pytest.raises(ValueError, match="do not fit"):
        load_pretrained(model, build_arch("mini_resnet_deep", 10, 16).state_dict())
