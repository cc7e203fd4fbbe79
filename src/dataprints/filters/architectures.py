"""The architectures of the filter chapter: the paper's four, and small CPU stand-ins.

The paper reads the first layer of ResNet-50 and ResNet-18 (64 filters 3x7x7, stride 2),
MobileNetV3-Large (16 of 3x3x3) and ConvNeXt-Tiny (96 of 3x4x4, stride 4). Training those on
two CPU cores is out of reach, so the quick profile uses stand-ins that keep each family's first
layer exactly and shrink everything after it (torchvision's own blocks):

- ``mini_resnet_deep`` (for ResNet-50): the ResNet stem, then four 32-wide basic blocks;
- ``mini_resnet_shallow`` (for ResNet-18): the same stem, then one 32-wide basic block;
- ``mini_convnext`` (for ConvNeXt-Tiny): the 4x4 stride-4 patchify stem of 96 filters with
  LayerNorm, then one ConvNeXt block;
- ``mini_mobilenet`` (for MobileNetV3-Large): its 3x3 stride-2 stem of 16 filters with batch
  norm and hard-swish, then two of its inverted-residual blocks.
"""

from __future__ import annotations

from functools import partial

from torch import nn
from torchvision.models.convnext import CNBlock, LayerNorm2d
from torchvision.models.mobilenetv3 import InvertedResidual, InvertedResidualConfig
from torchvision.models.resnet import BasicBlock

from dataprints.models import MODELS, build_model

PAPER_ARCHS = ("resnet50", "resnet18", "mobilenet_v3_large", "convnext_tiny")
MINI_ARCHS = {
    "mini_resnet_deep": "ResNet stem (64 filters 7x7/2) + 4 basic blocks of width 32",
    "mini_resnet_shallow": "ResNet stem (64 filters 7x7/2) + 1 basic block of width 32",
    "mini_convnext": "ConvNeXt stem (96 filters 4x4/4, LayerNorm) + 1 ConvNeXt block",
    "mini_mobilenet": "MobileNetV3 stem (16 filters 3x3/2, hard-swish) + 2 inverted residuals",
}


def _resnet_stem() -> list[nn.Module]:
    return [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, stride=2, padding=1)]


def _mini_resnet(blocks: int, num_classes: int) -> nn.Module:
    down = nn.Sequential(nn.Conv2d(64, 32, 1, bias=False), nn.BatchNorm2d(32))
    body = [BasicBlock(64, 32, downsample=down)] + [BasicBlock(32, 32) for _ in range(blocks - 1)]
    return nn.Sequential(*_resnet_stem(), *body, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, num_classes))


def _mini_convnext(num_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 96, 4, stride=4), LayerNorm2d(96),
        CNBlock(96, layer_scale=1e-6, stochastic_depth_prob=0.0,
                norm_layer=partial(nn.LayerNorm, eps=1e-6)),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(96), nn.Linear(96, num_classes))


def _mini_mobilenet(num_classes: int) -> nn.Module:
    norm = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # as torchvision's MobileNetV3
    # MobileNetV3-Large's first two blocks (torchvision's configuration rows 1 and 2)
    blocks = [InvertedResidual(InvertedResidualConfig(*row, width_mult=1.0), norm)
              for row in ((16, 3, 16, 16, False, "RE", 1, 1),
                          (16, 3, 64, 24, False, "RE", 2, 1))]
    return nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), norm(16),
                         nn.Hardswish(inplace=True), *blocks, nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(24, num_classes))


def build_arch(name: str, num_classes: int, image_size: int, pretrained: bool = False,
               ) -> nn.Module:
    """A stand-in from :data:`MINI_ARCHS` or a paper architecture (``pretrained`` uses
    torchvision's ImageNet weights; needs the internet once). Inputs have 3 channels."""
    if name in MINI_ARCHS:
        if pretrained:
            raise ValueError(f"{name} is a small stand-in without pretrained weights; "
                             f"use one of {PAPER_ARCHS} for pretrained=True")
        if name == "mini_convnext":
            return _mini_convnext(num_classes)
        if name == "mini_mobilenet":
            return _mini_mobilenet(num_classes)
        return _mini_resnet(4 if name == "mini_resnet_deep" else 1, num_classes)
    if name in MODELS:
        return build_model(name, in_channels=3, image_size=image_size, num_classes=num_classes,
                           pretrained=pretrained)
    raise ValueError(f"unknown architecture {name!r}; choose one of: "
                     f"{', '.join([*MINI_ARCHS, *MODELS])}")
