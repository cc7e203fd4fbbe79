"""Load a dataset split as tensors: local mirror, else torchvision download, else a clear error."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dataprints.atomic import atomic_write, write_json
from dataprints.data.catalog import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    DatasetInfo,
    info,
)
from dataprints.paths import DATA_ENV, cache_dir, mirror_dir

SPLITS = ("train", "test")


class DatasetUnavailable(RuntimeError):
    """A dataset could be found neither in the mirror nor through a download."""


class CorruptData(RuntimeError):
    """A data file exists but is damaged: checksum mismatch, truncated or wrong content."""


@dataclass(frozen=True)
class ImageSet:
    """Images as uint8 (N, C, H, W) with int64 labels, plus where they came from."""

    x: torch.Tensor  # (N, C, H, W) uint8
    y: torch.Tensor  # (N,) int64
    classes: tuple[str, ...]
    name: str
    source: str  # "mirror:/path", "torchvision:/path" or "bundled:..."
    # the frozen dataclass that built exactly these images (its ``build()`` rebuilds them), for
    # cache keys; None for loaded splits and subsets, which cannot name their content
    spec: Any = None

    def __post_init__(self) -> None:
        if self.x.ndim != 4 or self.x.dtype != torch.uint8:
            raise ValueError(f"{self.name}: x must be uint8 (N, C, H, W), got {self.x.dtype} "
                             f"{tuple(self.x.shape)}")
        if self.y.shape != (self.x.shape[0],):
            raise ValueError(f"{self.name}: {self.x.shape[0]} images but y has shape "
                             f"{tuple(self.y.shape)}")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def float(self) -> torch.Tensor:
        """Pixels as float32 in [0, 1]."""
        return self.x.float().div_(255.0)

    def subset(self, index: torch.Tensor | np.ndarray | list[int], name: str | None = None,
               ) -> ImageSet:
        index = torch.as_tensor(index, dtype=torch.long)
        return ImageSet(self.x[index], self.y[index], self.classes, name or self.name,
                        self.source)

    def describe(self) -> str:
        """One line: name, size, image shape, source and per-channel mean."""
        mean = self.float().mean(dim=(0, 2, 3)).tolist() if len(self) else []
        shape = "x".join(str(s) for s in self.x.shape[1:])
        means = ", ".join(f"{m:.4f}" for m in mean)
        return (f"{self.name}: {len(self)} images {shape}, {len(self.classes)} classes, "
                f"mean ({means}), from {self.source}")


def load(name: str, split: str = "train", *, download: bool = True) -> ImageSet:
    """One split of a dataset as an :class:`ImageSet`.

    Order of sources: the mirror folder in ``DATAPRINTS_DATA``; torchvision's own dataset
    classes (``download=True``, checksums verified by torchvision) in the cache folder;
    otherwise :class:`DatasetUnavailable` naming both ways to provide the data.
    """
    meta = info(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if name == "digits":
        return _load_digits(split)
    mirror = mirror_dir()
    if mirror is not None and (mirror / meta.mirror_dir).is_dir():
        return _load_mirror(meta, split, mirror)
    try:
        return _load_torchvision(meta, split, download)
    except DatasetUnavailable:
        raise
    except Exception as exc:  # network errors, missing files: all mean "not available"
        raise _unavailable(meta, split, mirror, exc) from exc


def _unavailable(meta: DatasetInfo, split: str, mirror: Path | None, exc: Exception,
                 ) -> DatasetUnavailable:
    where = (f"{DATA_ENV}={mirror} has no folder {meta.mirror_dir}/" if mirror
             else f"{DATA_ENV} is not set")
    return DatasetUnavailable(
        f"dataset {meta.name!r} ({split}) is not available: {where}, and the download "
        f"failed ({type(exc).__name__}: {exc}).\n"
        f"Provide it in one of two ways:\n"
        f"  1. with internet access, call dataprints.data.load({meta.name!r}, download=True): "
        f"torchvision downloads and verifies it into {cache_dir() / 'torchvision'};\n"
        f"  2. point {DATA_ENV} at a mirror folder holding {meta.mirror_dir}/"
        f"{'/'.join(meta.mirror_files.get(split, ('<split>.npz',)))} (npz with x uint8, "
        f"y int64) and a SHA256SUMS file at its top."
    )


# --- the local mirror -----------------------------------------------------------------------

_VERIFIED: set[tuple[str, int, int]] = set()


def _load_mirror(meta: DatasetInfo, split: str, mirror: Path) -> ImageSet:
    files = [mirror / meta.mirror_dir / f for f in meta.mirror_files[split]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise DatasetUnavailable(
            f"the mirror {mirror} has {meta.mirror_dir}/ but lacks {', '.join(missing)}; "
            f"re-copy it, or unset {DATA_ENV} to download {meta.name!r} with torchvision"
        )
    xs, ys = [], []
    for f in files:
        verify_checksum(f, mirror)
        x, y = _read_npz(f)
        xs.append(x)
        ys.append(y)
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    if x.ndim == 3:
        x = x[:, None]  # (N, H, W) -> (N, 1, H, W)
    elif x.ndim == 4 and x.shape[-1] in (1, 3):
        x = x.transpose(0, 3, 1, 2)  # NHWC -> NCHW
    else:
        raise CorruptData(f"{files[0]}: images have shape {x.shape}; expected NHW or NHWC")
    if x.shape[1:] != (meta.channels, meta.size, meta.size):
        raise CorruptData(f"{files[0]}: images are {x.shape[1:]}, expected "
                          f"{(meta.channels, meta.size, meta.size)} for {meta.name}")
    return ImageSet(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y),
                    _classes(meta, mirror), meta.name, f"mirror:{mirror / meta.mirror_dir}")


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as d:
            x, y = d["x"], d["y"]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CorruptData(f"{path} cannot be read as an npz with arrays x and y "
                          f"({type(exc).__name__}: {exc}); re-copy the file") from exc
    if x.dtype != np.uint8 or y.dtype != np.int64 or len(x) != len(y):
        raise CorruptData(f"{path}: expected x uint8 and y int64 of equal length, got "
                          f"x {x.dtype} {x.shape}, y {y.dtype} {y.shape}")
    return x, y


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_checksum(path: Path, mirror: Path) -> None:
    """Check ``path`` against the mirror's SHA256SUMS once; remember success by size and mtime."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _VERIFIED:
        return
    stamp_file = cache_dir() / "verified.json"
    try:
        stamps = json.loads(stamp_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        stamps = {}
    if stamps.get(key[0]) == [key[1], key[2]]:
        _VERIFIED.add(key)
        return
    sums_file = mirror / "SHA256SUMS"
    if not sums_file.is_file():
        raise CorruptData(f"the mirror {mirror} has no SHA256SUMS file; it is needed to verify "
                          f"{path.name} (write one with `sha256sum */*.npz > SHA256SUMS`)")
    rel = path.resolve().relative_to(mirror.resolve()).as_posix()
    expected = None
    for line in sums_file.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == rel:
            expected = parts[0].lower()
    if expected is None:
        raise CorruptData(f"{rel} is not listed in {sums_file}; add its sha256 there")
    actual = _sha256(path)
    if actual != expected:
        raise CorruptData(f"checksum mismatch for {path}: expected {expected}, got {actual}. "
                          f"The file is corrupt or truncated: re-copy it from the source.")
    stamps[key[0]] = [key[1], key[2]]
    write_json(stamp_file, stamps)
    _VERIFIED.add(key)


def _classes(meta: DatasetInfo, mirror: Path | None = None) -> tuple[str, ...]:
    if meta.name == "mnist":
        return MNIST_CLASSES
    if meta.name == "fashion_mnist":
        return FASHION_MNIST_CLASSES
    if meta.name == "cifar10":
        return CIFAR10_CLASSES
    if meta.name == "tiny_imagenet" and mirror is not None:
        table = mirror / meta.mirror_dir / "classes.tsv"
        if table.is_file():
            rows = [r.split("\t") for r in table.read_text().splitlines() if r.strip()]
            return tuple(r[2].split(",")[0] for r in rows)
    return tuple(str(i) for i in range(meta.num_classes))


# --- torchvision downloads ------------------------------------------------------------------

TINY_IMAGENET_URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
TINY_IMAGENET_MD5 = "90528d7ca1a48142e341f4ef8d21d0de"


def _load_torchvision(meta: DatasetInfo, split: str, download: bool) -> ImageSet:
    import torchvision.datasets as tvd

    root = cache_dir() / "torchvision"
    train = split == "train"
    if meta.name == "tiny_imagenet":
        return _load_tiny_imagenet(root, split, download)
    cls = {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10,
           "cifar100": tvd.CIFAR100}[meta.name]
    ds = cls(root=str(root), train=train, download=download)
    x = np.asarray(ds.data)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    y = np.asarray(ds.targets, dtype=np.int64)
    return ImageSet(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y),
                    tuple(ds.classes), meta.name, f"torchvision:{root}")


def _load_tiny_imagenet(root: Path, split: str, download: bool) -> ImageSet:
    """Tiny ImageNet (200 classes, 64x64): torchvision's downloader with the archive's md5."""
    from torchvision.datasets.utils import download_and_extract_archive

    folder = root / "tiny-imagenet-200"
    packed = root / f"tiny_imagenet_{split}.npz"
    if not packed.is_file():
        if not folder.is_dir():
            if not download:
                raise FileNotFoundError(f"{folder} does not exist")
            download_and_extract_archive(TINY_IMAGENET_URL, str(root), md5=TINY_IMAGENET_MD5)
        x, y = _decode_tiny_imagenet(folder, split)

        def save(tmp: Path) -> None:
            with tmp.open("wb") as f:
                np.savez(f, x=x, y=y)

        atomic_write(packed, save)
    x, y = _read_npz(packed)
    wnids = sorted(p.name for p in (folder / "train").iterdir())
    return ImageSet(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y),
                    tuple(wnids), "tiny_imagenet", f"torchvision:{folder}")


def _decode_tiny_imagenet(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    wnids = sorted(p.name for p in (folder / "train").iterdir())
    index = {w: i for i, w in enumerate(wnids)}
    if split == "train":
        items = [(p, index[w]) for w in wnids
                 for p in sorted((folder / "train" / w / "images").glob("*.JPEG"))]
    else:  # the labelled val split serves as test, as in the mirror
        rows = (folder / "val" / "val_annotations.txt").read_text().splitlines()
        items = [(folder / "val" / "images" / r.split("\t")[0], index[r.split("\t")[1]])
                 for r in rows if r.strip()]
    x = np.stack([np.asarray(Image.open(p).convert("RGB")) for p, _ in items])
    y = np.array([label for _, label in items], dtype=np.int64)
    return x, y


# --- bundled, offline -----------------------------------------------------------------------


def _load_digits(split: str) -> ImageSet:
    """scikit-learn's bundled 8x8 digits (1,797 images): the first 1,500 train, the rest test."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    y = bunch.target.astype(np.int64)
    part = slice(0, 1500) if split == "train" else slice(1500, None)
    return ImageSet(torch.from_numpy(x[part].copy()), torch.from_numpy(y[part].copy()),
                    MNIST_CLASSES, "digits", "bundled:sklearn.datasets.load_digits")
