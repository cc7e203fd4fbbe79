"""A user's model and data, loaded and checked against each other before any diagnostic runs.

Everything that can be wrong with the inputs (a missing file, an unknown architecture, weights
for another model, images the model cannot take, a class count the output does not match)
raises :class:`InputError` naming what mismatched, so no diagnostic starts on bad inputs.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dataprints.data import DATASETS, ImageSet, info, load
from dataprints.models import MODELS, build_model
from dataprints.progress import progress as progress_bar

PREPROCESS = {
    "unit": "pixels in [0, 1]",
    "standard": "per-channel (x - mean) / std of the training split (catalogued for a named "
                "dataset)",
    "imagenet": "per-channel (x - mean) / std with ImageNet's statistics (torchvision's weights)",
    "centered": "the training-mean image subtracted (Haim et al.'s reconstructable MLPs)",
}
HELD_OUT_FOLDERS = ("test", "val", "valid", "validation", "held_out")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class InputError(ValueError):
    """The model or the data cannot be used as given; the message says what and why."""


# --- data -----------------------------------------------------------------------------------


@dataclass
class UserData:
    """Training images (what the model was trained on) and held-out images of the same classes,
    with the preprocessing that turns [0, 1] pixels into the model's inputs."""

    train: ImageSet
    held_out: ImageSet
    preprocess: str
    source: str  # the dataset name or the folder
    held_out_name: str  # "test" for a named dataset, else the folder's name
    _stats: tuple[torch.Tensor, torch.Tensor] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESS:
            raise InputError(f"unknown preprocessing {self.preprocess!r}; choose one of "
                             f"{', '.join(PREPROCESS)}")
        if self.train.x.shape[1:] != self.held_out.x.shape[1:]:
            raise InputError(f"training images are {_shape(self.train)} but held-out images "
                             f"{_shape(self.held_out)}: both splits need one image size")
        if self.train.classes != self.held_out.classes:
            raise InputError(f"the training split has classes {list(self.train.classes)}, the "
                             f"held-out split {list(self.held_out.classes)}: they must match")
        if len(self.train.classes) < 2:
            raise InputError(f"{self.source}: a classifier's data needs at least 2 classes, "
                             f"found {list(self.train.classes)}")
        if len(self.train) == 0 or len(self.held_out) == 0:
            raise InputError(f"{self.source}: the training split has {len(self.train)} images "
                             f"and the held-out split {len(self.held_out)}; both need some")
        self._stats = self._statistics()

    def _statistics(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(shift, scale) broadcastable to (N, C, H, W): inputs = (pixels - shift) / scale."""
        c = self.train.x.shape[1]
        if self.preprocess == "unit":
            return torch.zeros(1, c, 1, 1), torch.ones(1, c, 1, 1)
        if self.preprocess == "centered":
            return self.train.float().mean(0, keepdim=True), torch.ones(1, c, 1, 1)
        if self.preprocess == "imagenet":
            if c != 3:
                raise InputError(f"preprocessing 'imagenet' needs colour images, the data has "
                                 f"{c} channel(s)")
            mean, std = IMAGENET_MEAN, IMAGENET_STD
        elif self.source in DATASETS:
            mean, std = info(self.source).mean, info(self.source).std
        else:
            pixels = self.train.float()
            mean = tuple(pixels.mean((0, 2, 3)).tolist())
            std = tuple(pixels.std((0, 2, 3)).clamp_min(1e-6).tolist())
        return torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)

    @property
    def num_classes(self) -> int:
        return len(self.train.classes)

    def inputs(self, images: ImageSet | torch.Tensor) -> torch.Tensor:
        """Model inputs for uint8 images (an ImageSet or a tensor) or float pixels in [0, 1]."""
        if isinstance(images, ImageSet):
            x = images.float()
        else:
            x = images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()
        shift, scale = self._stats
        return (x - shift) / scale

    def pixels(self, x: torch.Tensor) -> torch.Tensor:
        """Model inputs back to pixel values (the inverse of :meth:`inputs`)."""
        shift, scale = self._stats
        return x * scale.to(x.dtype) + shift.to(x.dtype)

    def describe(self) -> dict[str, object]:
        return {"source": self.source, "classes": list(self.train.classes),
                "image_shape": _shape(self.train), "train_images": len(self.train),
                "held_out_images": len(self.held_out), "held_out_split": self.held_out_name,
                "preprocess": f"{self.preprocess}: {PREPROCESS[self.preprocess]}"}


def _shape(data: ImageSet) -> str:
    return "x".join(str(s) for s in data.x.shape[1:])


def load_data(data: str | Path, preprocess: str = "unit", held_out: str | None = None,
              image_size: int | None = None, progress: bool = True) -> UserData:
    """A supported dataset by name (its train and test splits), or an image folder in
    torchvision's ImageFolder layout: ``train/<class>/*.png`` beside a held-out split folder
    (``held_out``, else the first of :data:`HELD_OUT_FOLDERS` that exists)."""
    if preprocess not in PREPROCESS:
        raise InputError(f"unknown preprocessing {preprocess!r}; choose one of "
                         f"{', '.join(PREPROCESS)}")
    name = str(data)
    if name in DATASETS and not Path(name).exists():
        if held_out not in (None, "test"):
            raise InputError(f"a named dataset's held-out split is 'test', not {held_out!r}")
        if image_size is not None and image_size != info(name).size:
            raise InputError(f"{name} has {info(name).size}-px images; resizing applies to "
                             f"image folders only")
        return UserData(load(name, "train"), load(name, "test"), preprocess, name, "test")
    root = Path(data)
    if not root.is_dir():
        raise InputError(f"data {name!r} is neither a supported dataset "
                         f"({', '.join(sorted(DATASETS))}) nor a folder")
    if not (root / "train").is_dir():
        raise InputError(f"{root} has no train/ folder: an image folder needs train/<class>/ "
                         f"and a held-out split such as test/<class>/")
    if held_out is None:
        found = [f for f in HELD_OUT_FOLDERS if (root / f).is_dir()]
        if not found:
            raise InputError(f"{root} has train/ but no held-out split folder; add one of "
                             f"{', '.join(f + '/' for f in HELD_OUT_FOLDERS)} (or name it)")
        held_out = found[0]
    elif not (root / held_out).is_dir():
        raise InputError(f"{root} has no held-out folder {held_out}/")
    train = read_image_folder(root / "train", image_size, progress)
    test = read_image_folder(root / held_out, image_size, progress)
    return UserData(train, test, preprocess, str(root), held_out)


def read_image_folder(folder: Path, image_size: int | None = None, progress: bool = True,
                      ) -> ImageSet:
    """``folder/<class>/<image>`` as uint8 tensors, classes in sorted order (ImageFolder's
    labels); one image size for all, or ``image_size`` to resize every image to it."""
    from PIL import Image

    classes = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not classes:
        raise InputError(f"{folder} holds no class folders (expected {folder}/<class>/<image>)")
    arrays, labels, sizes = [], [], {}
    for label, cls in enumerate(progress_bar(classes, enabled=progress, unit="class",
                                             desc=f"read {folder.name}/")):
        files = sorted(p for p in (folder / cls).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"class folder {folder / cls} holds no images "
                             f"({', '.join(IMAGE_SUFFIXES)})")
        for path in files:
            with Image.open(path) as img:
                img = img.convert("RGB") if img.mode not in ("L", "RGB") else img
                if image_size is not None:
                    img = img.resize((image_size, image_size), Image.BILINEAR)
                a = np.asarray(img, dtype=np.uint8)
            a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
            sizes.setdefault(a.shape, path)
            arrays.append(a)
            labels.append(label)
    if len(sizes) > 1:
        shown = "; ".join(f"{'x'.join(map(str, s))} (e.g. {p})" for s, p in sizes.items())
        raise InputError(f"images in {folder} differ in size or channels: {shown}; give an "
                         f"image size to resize them, or convert them to one mode")
    return ImageSet(torch.from_numpy(np.stack(arrays)), torch.tensor(labels, dtype=torch.long),
                    tuple(classes), folder.parent.name, f"folder:{folder}")


# --- model ----------------------------------------------------------------------------------


@dataclass
class UserModel:
    """The model to diagnose and, when given, the earlier checkpoints of its run and its
    initial weights (for the filter update the early-filters paper reads)."""

    model: nn.Module
    description: str
    checkpoints: list[tuple[str, nn.Module]] = field(default_factory=list)  # training order
    initial: nn.Module | None = None

    @property
    def scripted(self) -> bool:
        return isinstance(self.model, torch.jit.ScriptModule)


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from ``path`` (weights_only: never runs pickled code); a training
    checkpoint holding one under ``model`` or ``state_dict`` is accepted."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"weights file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputError(f"cannot read {path} as a state dict with weights_only=True "
                         f"({type(exc).__name__}: {exc})") from exc
    if isinstance(state, Mapping):
        for key in ("model", "state_dict"):
            if isinstance(state.get(key), Mapping):
                state = state[key]
                break
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor)
                                                 for v in state.values()):
        raise InputError(f"{path} does not hold a state dict (name -> tensor)")
    return dict(state)


def architectures() -> list[str]:
    """Names accepted as an architecture: dataprints.models, then torchvision's models."""
    import torchvision.models as tvm

    return [*MODELS, *[n for n in tvm.list_models(module=tvm) if n not in MODELS]]


def build_architecture(arch: str, data: UserData, state: Mapping[str, torch.Tensor],
                       ) -> nn.Module:
    """An untrained ``arch`` shaped for ``data`` (no weight download)."""
    import torchvision.models as tvm

    c, size = int(data.train.x.shape[1]), int(data.train.x.shape[2])
    if arch in MODELS:
        kwargs = {}
        if arch == "mlp" and "layers.1.weight" in state:  # the hidden width is in the weights
            kwargs["width"] = int(state["layers.1.weight"].shape[0])
        try:
            return build_model(arch, in_channels=c, image_size=size,
                               num_classes=data.num_classes, **kwargs)
        except ValueError as exc:
            raise InputError(f"architecture {arch!r} cannot take {c}x{size}x{size} images "
                             f"with {data.num_classes} classes: {exc}") from exc
    if arch in tvm.list_models(module=tvm):
        return tvm.get_model(arch, num_classes=data.num_classes)
    raise InputError(f"unknown architecture {arch!r}; choose one of dataprints.models "
                     f"({', '.join(MODELS)}) or a torchvision model name "
                     f"(torchvision.models.list_models())")


def _with_weights(template: nn.Module, state: Mapping[str, torch.Tensor], path: Path,
                  arch: str) -> nn.Module:
    model = copy.deepcopy(template)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise InputError(f"{path} holds weights for a different model than {arch!r} built for "
                         f"this data: {exc}") from exc
    return model.eval()


def load_model(data: UserData, *, arch: str | None = None, weights: Sequence[Path] = (),
               torchscript: Path | None = None, initial: Path | None = None) -> UserModel:
    """A state dict (the last of ``weights``; earlier ones are checkpoints of the same run, in
    training order) into ``arch``, or a TorchScript file."""
    weights = [Path(w) for w in weights]
    if torchscript is not None:
        if arch is not None or weights or initial is not None:
            raise InputError("give either a TorchScript file, or an architecture with weights "
                             "(and optional checkpoints and initial weights), not both")
        path = Path(torchscript)
        if not path.is_file():
            raise InputError(f"TorchScript file {path} does not exist")
        try:
            with warnings.catch_warnings():  # TorchScript is deprecated, but users still have it
                warnings.simplefilter("ignore", FutureWarning)
                model = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise InputError(f"cannot load {path} as TorchScript ({type(exc).__name__}: "
                             f"{exc})") from exc
        return UserModel(model.eval(), f"TorchScript {path.name}")
    if arch is None or not weights:
        raise InputError("a model needs an architecture name and a weights file (state dict), "
                         "or a TorchScript file")
    states = [read_state_dict(w) for w in weights]
    template = build_architecture(arch, data, states[-1])
    models = [_with_weights(template, s, w, arch) for s, w in zip(states, weights, strict=True)]
    start = None
    if initial is not None:
        start = _with_weights(template, read_state_dict(initial), Path(initial), arch)
    checkpoints = [(w.name, m) for w, m in zip(weights, models, strict=True)] \
        if len(models) > 1 else []
    return UserModel(models[-1], f"{arch} from {weights[-1].name}", checkpoints, start)


def check_compatible(model: UserModel, data: UserData, batch: int = 2) -> int:
    """One forward pass on one batch of training images: the model must take their shape and
    give one output per class (one logit for two classes). Returns the number of outputs."""
    x = data.inputs(data.train.subset(torch.arange(min(batch, len(data.train)))))
    shape = "x".join(str(s) for s in x.shape[1:])
    expected = _expected_channels(model.model)
    if expected is not None and expected != x.shape[1]:
        raise InputError(f"input mismatch: the model's first convolution takes {expected} "
                         f"channel(s), the data's images have {x.shape[1]} ({shape})")
    try:
        with torch.no_grad():
            out = model.model(x)
    except Exception as exc:
        raise InputError(f"input mismatch: the model cannot take the data's {shape} images "
                         f"({type(exc).__name__}: {exc})") from exc
    if not isinstance(out, torch.Tensor) or out.ndim not in (1, 2) or out.shape[0] != len(x):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise InputError(f"output mismatch: for {len(x)} images the model returned {got}, not "
                         f"logits (N, classes) or one logit per image (N,)")
    outputs = 1 if out.ndim == 1 else int(out.shape[1])
    k = data.num_classes
    if outputs != k and not (outputs == 1 and k == 2):
        raise InputError(f"class-count mismatch: the model gives {outputs} output(s), the data "
                         f"has {k} classes ({', '.join(data.train.classes)})")
    return outputs


def _expected_channels(model: nn.Module) -> int | None:
    """Input channels of the first Conv2d (eager models), for a clearer message than the
    convolution's own error."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return int(module.in_channels)
    return None
