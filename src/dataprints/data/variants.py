"""The 20 dataset variants of Jorgenson et al. (2025, §4.1) and the base sets they modify.

Every variant changes one global property of a dataset (apparent resolution, sharpness or
noise) while keeping its content; a classifier trained on it should carry that property into
its first-layer filters. Variants work on 3-channel images at the size of the base set and
return uint8 images, as a dataset stored on disk would be (noise is clipped to [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.transforms.functional import gaussian_blur

from dataprints.data.sources import DatasetUnavailable, ImageSet, load
from dataprints.data.tasks import balanced_subset
from dataprints.paths import cache_dir


@dataclass(frozen=True)
class Variant:
    """One modification: ``kind`` is original, dilate, resize, blur or noise."""

    name: str
    kind: str
    amount: float = 0.0  # dilate: upscale factor; resize: fraction; blur: sigma; noise: sigma
    kernel: int = 0  # blur kernel size (pixels)


def _variants() -> dict[str, Variant]:
    out = [Variant("original", "original")]
    # Jorgenson et al. §4.1: five "size dilations", upsampled then cropped back to the size
    out += [Variant(f"dilate_{f:g}", "dilate", f) for f in (1.25, 1.5, 2.0, 2.5, 3.0)]
    # four down-then-up resizes to a fraction of the resolution
    out += [Variant(f"resize_{f:g}", "resize", f) for f in (0.1, 0.25, 0.5, 0.75)]
    # five Gaussian blurs, kernel size / sigma 3/1, 7/2, 11/3, 15/4, 19/5
    out += [Variant(f"blur_{k}_{s}", "blur", float(s), k)
            for k, s in ((3, 1), (7, 2), (11, 3), (15, 4), (19, 5))]
    # five additive Gaussian noise levels on [0, 1] pixels (the paper's scale is our reading)
    out += [Variant(f"noise_{s:g}", "noise", s) for s in (0.1, 0.25, 0.5, 0.75, 1.0)]
    return {v.name: v for v in out}


VARIANTS: dict[str, Variant] = _variants()
BASE_SETS = ("cifar10", "fashion_mnist", "tiny_imagenet", "imagenette")


def variant(name: str) -> Variant:
    """Look a variant up by name, with an error that lists the valid names."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown variant {name!r}; choose one of: "
                         f"{', '.join(VARIANTS)}") from None


def apply_variant(x: torch.Tensor, name: str, seed: int = 0) -> torch.Tensor:
    """Apply variant ``name`` to float images (N, C, H, W) in [0, 1]; same size out, in [0, 1].

    The noise draw depends only on ``seed`` and the images' shape.
    """
    v = variant(name)
    if x.ndim != 4 or not x.is_floating_point():
        raise ValueError(f"expected float images (N, C, H, W) in [0, 1], got {x.dtype} "
                         f"{tuple(x.shape)}")
    size = x.shape[-2:]
    if v.kind == "dilate":
        big = F.interpolate(x, scale_factor=v.amount, mode="bilinear", align_corners=False)
        top = (big.shape[-2] - size[0]) // 2
        left = (big.shape[-1] - size[1]) // 2
        out = big[..., top:top + size[0], left:left + size[1]]
    elif v.kind == "resize":
        small = (max(1, round(size[0] * v.amount)), max(1, round(size[1] * v.amount)))
        down = F.interpolate(x, size=small, mode="bilinear", antialias=True, align_corners=False)
        out = F.interpolate(down, size=tuple(size), mode="bilinear", align_corners=False)
    elif v.kind == "blur":
        out = gaussian_blur(x, [v.kernel, v.kernel], [v.amount, v.amount])
    elif v.kind == "noise":
        gen = torch.Generator().manual_seed(seed)
        out = x + v.amount * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    else:
        out = x
    return out.clamp(0.0, 1.0)


@dataclass(frozen=True)
class BaseImagesSpec:
    """Names (and builds) :func:`base_images`."""

    name: str
    n_per_class: int
    image_size: int
    seed: int = 0
    split: str = "train"

    def build(self) -> ImageSet:
        return base_images(self.name, self.n_per_class, self.image_size, self.seed, self.split)


@dataclass(frozen=True)
class VariantSpec:
    """Names (and builds) :func:`make_variant` of a built base set."""

    base: BaseImagesSpec
    variant: str
    seed: int = 0

    def build(self) -> ImageSet:
        return make_variant(self.base.build(), self.variant, self.seed)


def make_variant(data: ImageSet, name: str, seed: int = 0) -> ImageSet:
    """The variant ``name`` of an image set, as uint8 images named ``<set>:<variant>``."""
    x = apply_variant(data.float(), name, seed)
    x8 = (x * 255.0).round().to(torch.uint8)
    spec = VariantSpec(data.spec, name, seed) if isinstance(data.spec, BaseImagesSpec) else None
    return ImageSet(x8, data.y.clone(), data.classes, f"{data.name}:{name}", data.source, spec)


def base_images(name: str, n_per_class: int, image_size: int, seed: int = 0,
                split: str = "train") -> ImageSet:
    """A balanced subset of a base set as 3-channel images of ``image_size`` pixels.

    Grey sets (Fashion-MNIST, our stand-in for WHOI-Plankton) are repeated over three
    channels, as grey images are fed to ImageNet models; every set is resized with
    antialiasing. ``imagenette`` is downloaded by torchvision (internet needed once).
    """
    if name not in BASE_SETS:
        raise ValueError(f"unknown base set {name!r}; choose one of: {', '.join(BASE_SETS)}")
    if image_size < 8:
        raise ValueError(f"image_size must be at least 8 pixels, got {image_size}")
    data = load_imagenette(split, image_size) if name == "imagenette" else load(name, split)
    data = balanced_subset(data, n_per_class, seed)
    x = data.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-1] != image_size or x.shape[-2] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", antialias=True,
                          align_corners=False).clamp(0.0, 1.0)
    x8 = (x * 255.0).round().to(torch.uint8).contiguous()
    return ImageSet(x8, data.y, data.classes, name, data.source,
                    BaseImagesSpec(name, n_per_class, image_size, seed, split))


def load_imagenette(split: str, image_size: int) -> ImageSet:
    """ImageNette (10 ImageNet classes) through torchvision, centre-cropped to squares.

    Downloads the 160-px release into the cache folder on first use; raises
    :class:`DatasetUnavailable` with what to do when that is impossible.
    """
    from torchvision.datasets import Imagenette
    from torchvision.transforms import v2

    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; choose 'train' or 'test'")
    root = cache_dir() / "torchvision"
    tv_split = "train" if split == "train" else "val"
    transform = v2.Compose([v2.PILToTensor(), v2.Resize(image_size, antialias=True),
                            v2.CenterCrop(image_size)])
    try:
        done = (Path(root) / "imagenette2-160").is_dir()
        ds = Imagenette(str(root), split=tv_split, size="160px", download=not done,
                        transform=transform)
    except Exception as exc:  # no network, or a broken archive: both mean "not available"
        raise DatasetUnavailable(
            f"ImageNette could not be loaded or downloaded into {root} ({type(exc).__name__}: "
            f"{exc}); use a machine with internet access once, or choose another base set "
            f"({', '.join(b for b in BASE_SETS if b != 'imagenette')})") from exc
    pairs = [ds[i] for i in range(len(ds))]
    xs = torch.stack([img for img, _ in pairs])
    ys = torch.tensor([label for _, label in pairs], dtype=torch.int64)
    classes = tuple(names[0] for names in ds.classes)
    return ImageSet(xs.to(torch.uint8), ys, classes, "imagenette", f"torchvision:{root}")

