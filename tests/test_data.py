from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import needs_mirror

from dataprints import data
from dataprints.data import sources


def make_mirror(root: Path, n: int = 40) -> Path:
    """A tiny MNIST-shaped mirror with a SHA256SUMS file, in the real layout."""
    rng = np.random.default_rng(0)
    (root / "mnist").mkdir(parents=True)
    lines = []
    for split, size in (("train", n), ("test", n // 2)):
        path = root / "mnist" / f"{split}.npz"
        np.savez_compressed(path, x=rng.integers(0, 256, (size, 28, 28), dtype=np.uint8),
                            y=np.arange(size, dtype=np.int64) % 10)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  mnist/{split}.npz")
    (root / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    root = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("DATAPRINTS_DATA", str(root))
    sources._VERIFIED.clear()
    return root


def test_mirror_load_shapes_and_source(mirror):
    ds = data.load("mnist", "train")
    assert ds.x.shape == (40, 1, 28, 28) and ds.x.dtype == torch.uint8
    assert ds.y.dtype == torch.int64 and ds.source.startswith("mirror:")
    assert "40 images 1x28x28" in ds.describe()


def test_checksum_mismatch_is_reported(mirror):
    path = mirror / "mnist" / "train.npz"
    blob = bytearray(path.read_bytes())
    blob[-10] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(data.CorruptData, match="checksum mismatch"):
        data.load("mnist", "train")


def test_truncated_npz_listed_with_its_own_checksum_is_reported(mirror):
    path = mirror / "mnist" / "test.npz"
    path.write_bytes(path.read_bytes()[:200])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (mirror / "SHA256SUMS").write_text(f"{digest}  mnist/test.npz\n")
    with pytest.raises(data.CorruptData, match="cannot be read as an npz"):
        data.load("mnist", "test")


def test_verified_once_then_remembered(mirror, monkeypatch):
    data.load("mnist", "train")
    sources._VERIFIED.clear()  # a new process: only the stamp file remembers
    calls = []
    monkeypatch.setattr(sources, "_sha256", lambda p: calls.append(p) or "x")
    data.load("mnist", "train")
    assert calls == []


def test_file_not_in_sums_and_missing_sums(mirror):
    (mirror / "SHA256SUMS").write_text("")
    with pytest.raises(data.CorruptData, match="not listed"):
        data.load("mnist", "train")
    (mirror / "SHA256SUMS").unlink()
    with pytest.raises(data.CorruptData, match="no SHA256SUMS"):
        data.load("mnist", "train")


def test_wrong_shapes_are_rejected(mirror):
    path = mirror / "mnist" / "train.npz"
    np.savez_compressed(path, x=np.zeros((4, 30, 30), np.uint8), y=np.zeros(4, np.int64))
    (mirror / "SHA256SUMS").write_text(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  mnist/train.npz\n")
    with pytest.raises(data.CorruptData, match="expected"):
        data.load("mnist", "train")


def test_missing_dataset_names_both_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_DATA", str(tmp_path / "empty"))
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load("cifar100", "train", download=False)
    message = str(err.value)
    assert "cifar100" in message and "download=True" in message and "DATAPRINTS_DATA" in message


def test_unknown_names():
    with pytest.raises(ValueError, match="choose one of"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="unknown split"):
        data.load("mnist", "validation")


def test_digits_are_bundled():
    ds = data.load("digits", "train")
    assert ds.x.shape == (1500, 1, 8, 8) and ds.source.startswith("bundled")


def test_binary_view_subsets_and_split():
    ds = data.load("digits", "train")
    ds = type(ds)(ds.x, ds.y, ds.classes, "mnist", ds.source)  # digits stand in for MNIST here
    view = data.binary_view(ds, "mnist_even_odd")
    assert torch.equal(view.y, ds.y % 2)
    first = data.first_n_per_class(view, 5)
    assert first.y.tolist().count(0) == 5 and first.y.tolist().count(1) == 5
    expected = torch.cat([torch.nonzero(view.y == c).squeeze(1)[:5] for c in (0, 1)]).sort().values
    assert torch.equal(first.x, view.x[expected])
    a, b = data.balanced_subset(view, 7, seed=3), data.balanced_subset(view, 7, seed=3)
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, data.balanced_subset(view, 7, 4).x)
    train, val = data.train_val_split(ds, 0.2, seed=0)
    assert len(train) + len(val) == len(ds)
    assert abs(len(val) - 0.2 * len(ds)) <= 10
    with pytest.raises(ValueError, match="defined on"):
        data.binary_view(ds, "cifar10_vehicles_animals")
    with pytest.raises(ValueError, match="only"):
        data.first_n_per_class(view, 10_000)


def test_normalize_uses_dataset_statistics():
    x = torch.full((2, 3, 4, 4), 0.4914)
    out = data.normalize(x, "cifar10")
    assert out[:, 0].abs().max() < 1e-6
    with pytest.raises(ValueError, match="expected"):
        data.normalize(torch.zeros(2, 1, 4, 4), "cifar10")


@needs_mirror
@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "tiny_imagenet"])
def test_real_mirror_statistics_match_catalog(name):
    ds = data.load(name, "train")
    meta = data.info(name)
    mean = ds.float().mean(dim=(0, 2, 3))
    assert torch.allclose(mean, torch.tensor(meta.mean), atol=6e-4)
    assert ds.x.shape[1:] == (meta.channels, meta.size, meta.size)


@needs_mirror
def test_real_binary_tasks():
    cifar = data.binary_view(data.load("cifar10", "train"), "cifar10_vehicles_animals")
    assert len(cifar) == 50_000 and int(cifar.y.sum()) == 30_000
    tiny = data.binary_view(data.load("tiny_imagenet", "train"), "tiny_food_dogs")
    assert len(tiny) == 2500 and int(tiny.y.sum()) == 1250


def test_balanced_split_holds_out_disjoint_images_and_keeps_the_subset() -> None:
    from dataprints.data import balanced_split, balanced_subset

    digits = data.load("digits", "train")
    train, held = balanced_split(digits, 20, 5, seed=3)
    assert torch.equal(train.x, balanced_subset(digits, 20, seed=3).x)
    assert held.y.bincount().tolist() == [5] * 10
    rows = {bytes(x.numpy()) for x in train.x}
    assert not rows & {bytes(x.numpy()) for x in held.x}
    with pytest.raises(ValueError, match="requested"):
        balanced_split(digits, len(digits), 1)
