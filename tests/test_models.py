from __future__ import annotations

import pytest
import torch

from dataprints.models import MODELS, HomogeneousMLP, build_model, first_conv


@pytest.mark.parametrize("name,channels,size", [
    ("mlp", 3, 32), ("simple_cnn", 3, 32), ("simple_cnn", 1, 28), ("lenet5", 1, 28),
    ("lenet5", 3, 32), ("alexnet_small", 3, 32), ("resnet18_cifar", 3, 32), ("resnet18", 1, 64),
])
def test_output_shape(name, channels, size):
    model = build_model(name, in_channels=channels, image_size=size, num_classes=10)
    assert model(torch.zeros(2, channels, size, size)).shape == (2, 10)


def test_mlp_is_homogeneous_with_bias_only_in_first_layer():
    model = build_model("mlp", in_channels=1, image_size=28, num_classes=2, width=50)
    assert isinstance(model, HomogeneousMLP)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [lin.bias is not None for lin in linears] == [True, False, False]
    assert linears[0].weight.std() < 1e-3  # N(0,1) * 1e-4 initialisation
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3,)


def test_first_conv_and_channel_replacement():
    model = build_model("resnet50", in_channels=1, image_size=64, num_classes=4)
    conv = first_conv(model)
    assert conv.in_channels == 1 and conv.kernel_size == (7, 7) and conv.out_channels == 64


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("vgg99", in_channels=3, image_size=32, num_classes=10)
    with pytest.raises(ValueError, match="too small"):
        build_model("alexnet", in_channels=3, image_size=32, num_classes=10)
    with pytest.raises(ValueError, match="pretrained"):
        build_model("lenet5", in_channels=1, image_size=28, num_classes=10, pretrained=True)
    with pytest.raises(ValueError, match="positive"):
        build_model("lenet5", in_channels=0, image_size=28, num_classes=10)
    assert set(MODELS) >= {"mlp", "simple_cnn", "lenet5", "alexnet", "convnext_tiny"}
