"""The 20 dataset variants, the base sets, and the synthetic shapes at five scales."""

import os

import numpy as np
import pytest
import torch

from dataprints.data.shapes import SCALES, SHAPES, make_shapes
from dataprints.data.sources import ImageSet
from dataprints.data.variants import VARIANTS, apply_variant, base_images, make_variant
from dataprints.filters.properties import laplacian_variance

needs_mirror = pytest.mark.skipif(not os.environ.get("DATAPRINTS_DATA"),
                                  reason="DATAPRINTS_DATA (the dataset mirror) is not set")


def images(n=6, size=32, seed=0):
    return make_shapes(n, 0.5, size, seed)


def test_the_twenty_variants_of_the_paper():
    assert len(VARIANTS) == 20
    kinds = [v.kind for v in VARIANTS.values()]
    assert kinds.count("dilate") == 5 and kinds.count("resize") == 4
    assert kinds.count("blur") == 5 and kinds.count("noise") == 5
    blur = [(v.kernel, v.amount) for v in VARIANTS.values() if v.kind == "blur"]
    assert blur == [(3, 1.0), (7, 2.0), (11, 3.0), (15, 4.0), (19, 5.0)]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variants_keep_shape_labels_and_range(name):
    data = images()
    out = make_variant(data, name, seed=0)
    assert out.x.shape == data.x.shape and out.x.dtype == torch.uint8
    assert torch.equal(out.y, data.y) and out.name.endswith(name)


def sharpness(data: ImageSet) -> float:
    return float(np.mean([laplacian_variance(im) for im in data.float().numpy()]))


def test_blur_and_resize_lower_sharpness_noise_raises_it_in_order():
    data = images(8)
    s = {name: sharpness(make_variant(data, name)) for name in VARIANTS}
    blurs = [s[f"blur_{k}_{g}"] for k, g in ((3, 1), (7, 2), (11, 3))]
    assert s["original"] > blurs[0] > blurs[1] > blurs[2]
    assert s["resize_0.25"] < s["resize_0.75"] < s["original"]
    assert s["dilate_3"] < s["dilate_1.25"] < s["original"]
    assert s["original"] < s["noise_0.1"] < s["noise_0.25"] < s["noise_0.5"]


def test_noise_is_seeded_and_original_is_unchanged():
    x = images().float()
    assert torch.equal(apply_variant(x, "noise_0.5", seed=1), apply_variant(x, "noise_0.5",
                                                                             seed=1))
    assert not torch.equal(apply_variant(x, "noise_0.5", seed=1),
                           apply_variant(x, "noise_0.5", seed=2))
    assert torch.equal(apply_variant(x, "original"), x)
    with pytest.raises(ValueError, match="choose one of"):
        apply_variant(x, "blur_5_1")
    with pytest.raises(ValueError, match="float images"):
        apply_variant(images().x, "original")


def test_dilation_magnifies_the_centre():
    x = torch.zeros(1, 3, 20, 20)
    x[..., 8:12, 8:12] = 1.0  # a 4-px square in the middle
    out = apply_variant(x, "dilate_2")
    assert 40 < float((out[0, 0] > 0.5).sum()) < 90  # about 8 x 8 pixels


def test_shapes_are_deterministic_and_scale_object_size():
    a, b = make_shapes(3, 0.35, 32, seed=5), make_shapes(3, 0.35, 32, seed=5)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert a.classes == SHAPES and len(a) == 18 and a.x.shape[1:] == (3, 32, 32)

    def object_fraction(scale):
        # disks on an even background: pixels far from the corner colour belong to the object
        x = make_shapes(10, scale, 32, seed=0)
        disks = x.float()[x.y == 0]
        corner = disks[..., :1, :1]
        return float(((disks - corner).abs().amax(1) > 0.15).float().mean())

    sizes = [object_fraction(s) for s in SCALES]
    assert sizes == sorted(sizes)
    with pytest.raises(ValueError, match="scale"):
        make_shapes(2, 1.5)


@needs_mirror
def test_base_images_are_three_channel_at_the_requested_size(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path))
    fm = base_images("fashion_mnist", 3, 32, seed=0)
    assert fm.x.shape == (30, 3, 32, 32)
    assert torch.equal(fm.x[:, 0], fm.x[:, 2])  # grey set: equal channels
    assert len(torch.unique(fm.y)) == 10
    with pytest.raises(ValueError, match="choose one of"):
        base_images("plankton", 2, 32)
