"""The architectures the four papers use, built by name for any input channels, size and classes."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class HomogeneousMLP(nn.Module):
    """ReLU MLP d-w-w-1 with a bias in the first layer only (Haim et al. 2022, CreateModel.py).

    The first layer is re-initialised N(0, 1) * ``init_scale`` (weights and bias); the others
    keep PyTorch's defaults, as in the authors' ``use_init_scale_only_first``.
    """

    def __init__(self, in_features: int, width: int = 1000, outputs: int = 1,
                 init_scale: float = 1e-4) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, width, bias=True),
            nn.ReLU(),
            nn.Linear(width, width, bias=False),
            nn.ReLU(),
            nn.Linear(width, outputs, bias=False),
        )
        first = self.layers[1]
        with torch.no_grad():
            first.weight.normal_().mul_(init_scale)
            first.bias.normal_().mul_(init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(x)  # (N, outputs)
        return out.squeeze(1) if out.shape[1] == 1 else out


def _flat_size(features: nn.Module, in_channels: int, image_size: int) -> int:
    with torch.no_grad():
        out = features(torch.zeros(1, in_channels, image_size, image_size))
    return int(out.numel())


class ConvClassifier(nn.Module):
    """A feature extractor followed by a fully connected head; the shape of the small CNNs."""

    def __init__(self, features: nn.Sequential, head: Callable[[int], nn.Sequential],
                 in_channels: int, image_size: int) -> None:
        super().__init__()
        self.features = features
        try:
            flat = _flat_size(features, in_channels, image_size)
        except RuntimeError as exc:
            raise ValueError(f"image size {image_size} is too small for this architecture "
                             f"({exc})") from exc
        self.classifier = head(flat)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def simple_cnn(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """Three 3x3 conv layers of 32-64-64 filters (Dou et al. 2024, §4), each with ReLU, the first
    two max-pooled, then a 64-unit hidden layer. The paper gives only the filter counts; the rest
    follows the common small CNN of that shape."""
    features = nn.Sequential(
        nn.Conv2d(in_channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
    )
    return ConvClassifier(
        features, lambda n: nn.Sequential(nn.Linear(n, 64), nn.ReLU(), nn.Linear(64, num_classes)),
        in_channels, image_size)


def lenet5(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """LeNet-5 (LeCun et al. 1998) with ReLU and max pooling; 28-px inputs are padded to 32."""
    pad = 2 if image_size == 28 else 0
    features = nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    )
    return ConvClassifier(
        features, lambda n: nn.Sequential(nn.Linear(n, 120), nn.ReLU(), nn.Linear(120, 84),
                                          nn.ReLU(), nn.Linear(84, num_classes)),
        in_channels, image_size)


def alexnet(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """The original AlexNet (Krizhevsky et al. 2012) for 227x227 inputs: 96-256-384-384-256."""
    features = nn.Sequential(
        nn.Conv2d(in_channels, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
    )
    return ConvClassifier(
        features, lambda n: nn.Sequential(
            nn.Dropout(0.5), nn.Linear(n, 4096), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes)),
        in_channels, image_size)


def alexnet_small(in_channels: int, image_size: int, num_classes: int) -> nn.Module:
    """A CIFAR-size AlexNet: five conv layers 64-192-384-256-256, three max-pools, small head."""
    features = nn.Sequential(
        nn.Conv2d(in_channels, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    )
    return ConvClassifier(
        features,
        lambda n: nn.Sequential(nn.Linear(n, 512), nn.ReLU(), nn.Linear(512, num_classes)),
        in_channels, image_size)


def _torchvision(arch: str, in_channels: int, num_classes: int, pretrained: bool) -> nn.Module:
    import torchvision.models as tvm

    builder = getattr(tvm, arch)
    if pretrained:  # torchvision's weights API: downloads and checks the published weights
        model = builder(weights="DEFAULT")
        _replace_head(model, num_classes)
    else:
        model = builder(num_classes=num_classes)
    if in_channels != 3:
        _replace_first_conv(model, in_channels)
    return model


def _replace_head(model: nn.Module, num_classes: int) -> None:
    if hasattr(model, "fc"):
        model.fc = nn.Linear(model.fc.in_features, num_classes)
    else:  # mobilenet / convnext keep the last Linear at the end of .classifier
        last = model.classifier[-1]
        model.classifier[-1] = nn.Linear(last.in_features, num_classes)


def first_conv(model: nn.Module) -> nn.Conv2d:
    """The model's first convolution (the layer Jorgenson et al. read)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module
    raise ValueError(f"{type(model).__name__} has no Conv2d layer")


def _replace_first_conv(model: nn.Module, in_channels: int) -> None:
    old = first_conv(model)
    new = nn.Conv2d(in_channels, old.out_channels, old.kernel_size, old.stride, old.padding,
                    bias=old.bias is not None)
    for parent in model.modules():
        for name, child in parent.named_children():
            if child is old:
                setattr(parent, name, new)
                return


def resnet18_cifar(in_channels: int, num_classes: int) -> nn.Module:
    """torchvision's ResNet-18 with the CIFAR stem: 3x3 stride-1 first conv and no max-pool."""
    model = _torchvision("resnet18", 3, num_classes, pretrained=False)
    model.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


MODELS: dict[str, str] = {
    "mlp": "homogeneous ReLU MLP d-1000-1000-1, bias in the first layer only (Haim et al.)",
    "simple_cnn": "3 conv layers 32-64-64 (Dou et al.)",
    "lenet5": "LeNet-5",
    "alexnet": "AlexNet, original 227x227 layout",
    "alexnet_small": "AlexNet, CIFAR-size variant",
    "resnet18_cifar": "ResNet-18 with the CIFAR stem (3x3 conv, no max-pool)",
    "resnet18": "torchvision ResNet-18, ImageNet stem",
    "resnet50": "torchvision ResNet-50",
    "mobilenet_v3_large": "torchvision MobileNetV3-Large",
    "convnext_tiny": "torchvision ConvNeXt-Tiny",
}


def build_model(name: str, *, in_channels: int, image_size: int, num_classes: int,
                pretrained: bool = False, **kwargs: float | int) -> nn.Module:
    """Build an architecture from :data:`MODELS` by name.

    ``pretrained`` loads torchvision's ImageNet weights (torchvision models only; needs the
    internet). Extra keyword arguments go to the MLP (``width``, ``init_scale``).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    if in_channels < 1 or image_size < 1 or num_classes < 1:
        raise ValueError(f"in_channels, image_size and num_classes must be positive, got "
                         f"{in_channels}, {image_size}, {num_classes}")
    if pretrained and name not in ("resnet18", "resnet50", "mobilenet_v3_large",
                                   "convnext_tiny"):
        raise ValueError(f"pretrained weights exist only for torchvision models, not {name!r}")
    if name == "mlp":
        outputs = 1 if num_classes <= 2 else num_classes
        return HomogeneousMLP(in_channels * image_size * image_size, outputs=outputs,
                              **kwargs)  # type: ignore[arg-type]
    if kwargs:
        raise ValueError(f"model {name!r} takes no extra options, got {sorted(kwargs)}")
    small = {"simple_cnn": simple_cnn, "lenet5": lenet5, "alexnet": alexnet,
             "alexnet_small": alexnet_small}
    if name in small:
        return small[name](in_channels, image_size, num_classes)
    if name == "resnet18_cifar":
        return resnet18_cifar(in_channels, num_classes)
    return _torchvision(name, in_channels, num_classes, pretrained)
