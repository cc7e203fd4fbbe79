"""The natural-image side of the frequency chapter: CIFAR-10 from the mirror, ImageNette through
torchvision's own ``Imagenette`` class (here on a generated folder in its layout)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import needs_mirror
from PIL import Image
from torchvision.datasets import Imagenette

from dataprints.frequency.dfm import cull_masks, default_chunk, mask_losses, mask_losses_loop
from dataprints.frequency.trained import (
    accuracy_on_test,
    natural_splits,
    paper_config,
    train_natural,
)
from dataprints.models import build_model

WNIDS = sorted(Imagenette._WNID_TO_CLASS)


def fake_imagenette(cache: Path, train: int = 3, val: int = 2) -> None:
    """Non-square JPEGs in the 160-px release's folder layout, one colour per class."""
    rng = np.random.default_rng(0)
    for split, n in (("train", train), ("val", val)):
        for c, wnid in enumerate(WNIDS):
            folder = cache / "torchvision" / "imagenette2-160" / split / wnid
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 60, (40, 52, 3)) + 19 * c
                Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{wnid}_{i}.JPEG")


def test_imagenette_splits_are_square_balanced_and_standardised(isolated_cache: Path) -> None:
    fake_imagenette(isolated_cache)
    splits = natural_splits("imagenette", 2, seed=0, image_size=24)
    assert splits.train.x.shape == (20, 3, 24, 24) and splits.test.x.shape == (20, 3, 24, 24)
    assert splits.train.y.bincount().tolist() == [2] * 10
    assert splits.test.classes[0] == Imagenette._WNID_TO_CLASS[WNIDS[0]][0]
    x = splits.standardise(splits.train)
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(x.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-3)


def test_imagenette_model_trains_at_its_image_size(isolated_cache: Path, one_thread) -> None:
    fake_imagenette(isolated_cache, train=4)
    splits = natural_splits("imagenette", 3, seed=0, image_size=24)
    trained = train_natural(splits, "simple_cnn", "none", paper_config(2, lr=0.05),
                            progress=False)
    assert len(trained.history.val_acc) == 2
    meta = json.loads((trained.folder / "meta.json").read_text())
    data = meta["spec"]["fields"]["data"]
    assert data["image_size"] == 24 and data["dataset"] == "imagenette"
    assert 0.0 <= accuracy_on_test(trained, splits) <= 1.0


def test_natural_models_never_select_on_the_test_split(isolated_cache: Path, one_thread,
                                                       monkeypatch) -> None:
    """Validation (plateau schedule) is a held-out part of the training split (issue: the
    test split used to drive the scheduler)."""
    fake_imagenette(isolated_cache, train=5)
    splits = natural_splits("imagenette", 3, seed=0, image_size=24, n_val_per_class=2)
    assert splits.val.y.bincount().tolist() == [2] * 10
    train_rows = {bytes(x.numpy()) for x in splits.train.x}
    val_rows = {bytes(x.numpy()) for x in splits.val.x}
    assert not train_rows & val_rows
    seen = {}
    import dataprints.artifacts as artifacts

    real_train = artifacts.train

    def spy(model, cfg, train_data, val_data=None, **kwargs):
        seen["val"] = val_data
        return real_train(model, cfg, train_data, val_data, **kwargs)

    monkeypatch.setattr(artifacts, "train", spy)
    train_natural(splits, "simple_cnn", "none", paper_config(1, lr=0.05), progress=False)
    assert torch.equal(seen["val"][1], splits.val.y)
    assert torch.equal(seen["val"][0], splits.standardise(splits.val))


def test_natural_model_refuses_data_its_spec_does_not_build(isolated_cache: Path) -> None:
    fake_imagenette(isolated_cache)
    splits = natural_splits("imagenette", 2, seed=0, image_size=24)
    other = natural_splits("imagenette", 2, seed=1, image_size=24)
    forged = dataclasses.replace(splits, train=other.train)
    with pytest.raises(ValueError, match="not those its spec builds"):
        train_natural(forged, "simple_cnn", "none", paper_config(1), progress=False)


def test_bad_natural_set_choices_are_refused() -> None:
    with pytest.raises(ValueError, match="choose one of: cifar10, imagenette"):
        natural_splits("imagenet10", 10)
    with pytest.raises(ValueError, match="32 px"):
        natural_splits("cifar10", 10, image_size=64)


@needs_mirror
def test_cifar_splits_use_the_catalogue_statistics() -> None:
    splits = natural_splits("cifar10", 5, seed=0)
    assert len(splits.train) == 50 and len(splits.test) == 1000 and len(splits.val) == 10
    assert splits.mean == (0.4914, 0.4822, 0.4465)


def test_channels_last_batches_give_the_loop_losses(one_thread) -> None:
    """The DFM search's default CPU chunk and memory layout change speed, not the losses."""
    torch.manual_seed(0)
    model = build_model("simple_cnn", in_channels=3, image_size=24, num_classes=4)
    x = torch.randn(7, 3, 24, 24)
    masks, _ = cull_masks(24, 4)
    assert default_chunk(torch.device("cpu")) < default_chunk(torch.device("cuda"))
    torch.testing.assert_close(mask_losses(model, x, 1, masks),
                               mask_losses_loop(model, x, 1, masks), rtol=1e-5, atol=1e-6)
