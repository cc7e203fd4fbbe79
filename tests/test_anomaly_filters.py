"""Hooks, criteria, outlier samples, gradients and masking on small generated inputs."""

from __future__ import annotations

import pytest
import torch

from dataprints.anomaly.criteria import Criteria, criteria, evaluate_criteria
from dataprints.anomaly.features import capture, feeding_conv, relu_after_conv
from dataprints.anomaly.masking import accuracy_change, masked
from dataprints.anomaly.outliers import mean_abs_gradients, outlier_samples
from dataprints.anomaly.runs import pick_epochs, scan_subset, shared_spec
from dataprints.anomaly.scan import LayerScan
from dataprints.models import build_model


@pytest.fixture
def lenet():
    torch.manual_seed(0)
    return build_model("lenet5", in_channels=1, image_size=28, num_classes=10)


def test_capture_hooks_and_layer_maps(lenet):
    assert relu_after_conv(lenet) == ["features.1", "features.4"]
    maps = capture(lenet, torch.randn(7, 1, 28, 28), ["features.1", "features.5"], batch_size=3)
    assert maps["features.1"].shape == (7, 6, 28, 28) and (maps["features.1"] >= 0).all()
    assert maps["features.5"].shape == (7, 16, 5, 5)
    assert feeding_conv(lenet, "features.5") == "features.3"
    with pytest.raises(ValueError, match="choose from"):
        capture(lenet, torch.randn(2, 1, 28, 28), ["nope"])
    with pytest.raises(ValueError, match="not feature maps"):
        capture(lenet, torch.randn(2, 1, 28, 28), ["classifier.0"])


def test_masking_zeroes_the_feeding_filter_only(lenet):
    x = torch.randn(5, 1, 28, 28)
    out = masked(lenet, [("features.4", 3)])
    maps, ref = capture(out, x, ["features.4"]), capture(lenet, x, ["features.4"])
    assert (maps["features.4"][:, 3] == 0).all()
    assert torch.equal(maps["features.4"][:, 4], ref["features.4"][:, 4])
    assert lenet.features[3].weight[3].abs().sum() > 0  # the original is untouched
    y = torch.randint(0, 10, (5,))
    change = accuracy_change(lenet, [], {"train": (x, y)})
    assert change == {"train": 0.0}
    with pytest.raises(ValueError, match="channels"):
        masked(lenet, [("features.4", 99)])


def toy_scan() -> LayerScan:
    """Three filters over 200 samples: balanced, one with two tiny clusters, one nearly dead."""
    labels = torch.zeros(3, 200, dtype=torch.long)
    labels[0, 100:] = 1
    labels[1, :4], labels[1, 4:8], labels[1, 8:] = 1, 2, 0
    labels[2, :150] = 1
    return LayerScan("l", torch.zeros(3, 200, 2), (2, 3), torch.zeros(3, 2),
                     torch.tensor([2, 3, 2]), torch.tensor([50.0, 400.0, 500.0]), labels,
                     torch.tensor([1.0, 1.0, 0.01]), torch.tensor([True, True, True]))


def test_three_criteria_and_outlier_samples():
    flags = evaluate_criteria(toy_scan(), Criteria(5, 0.2, 1.0, 0.2))
    assert flags["unbalanced"].tolist() == [False, True, False]
    assert flags["high_ch"].tolist() == [False, True, True]
    assert flags["active"].tolist() == [True, True, False]
    assert flags["anomaly"].tolist() == [False, True, False]
    outliers = outlier_samples([toy_scan()], 5)
    assert outliers[:8].all() and not outliers[8:].any()
    assert criteria("exp3").small_cluster == 50
    with pytest.raises(ValueError, match="exp1"):
        criteria("exp2")


def test_per_sample_gradients_match_a_loop(lenet):
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    fast = mean_abs_gradients(lenet, x, y, batch_size=3)
    for i in range(4):
        lenet.zero_grad()
        torch.nn.functional.cross_entropy(lenet(x[i:i + 1]), y[i:i + 1]).backward()
        slow = torch.stack([p.grad.abs().mean() for p in lenet.parameters()]).mean()
        assert torch.isclose(fast[i], slow, rtol=1e-4)


def test_pick_epochs():
    assert pick_epochs([0.2, 0.5, 0.45, 0.47, 0.40]) == (2, 5)
    assert pick_epochs([0.2, 0.5, 0.49]) == (2, None)
    with pytest.raises(ValueError, match="validation"):
        pick_epochs([])


def test_shared_spec_and_scan_subset():
    # every notebook builds the same spec from the same parameters; the size is AlexNet's only
    assert shared_spec("lenet5", image_size=227) == shared_spec("lenet5")
    assert shared_spec("alexnet", image_size=227).image_size == 227
    x, y = torch.arange(20.0)[:, None], torch.arange(20)
    sx, sy = scan_subset((x, y), 6, seed=1)
    assert len(sy) == 6 and len(set(sy.tolist())) == 6 and torch.equal(sx[:, 0].long(), sy)
    assert torch.equal(scan_subset((x, y), 6, seed=1)[1], sy)
    assert scan_subset((x, y), 0)[1] is y
    with pytest.raises(ValueError, match="n_scan"):
        scan_subset((x, y), -1)


def test_layers_with_one_by_one_maps_are_scanned():
    """A conv whose output is 1x1 (a small input's last layer) gives one PCA coordinate."""
    from dataprints.anomaly.scan import scan_maps

    gen = torch.Generator().manual_seed(0)
    maps = {"relu_small": torch.rand(60, 4, 1, 1, generator=gen),
            "relu_big": torch.rand(60, 3, 4, 4, generator=gen)}
    scans = scan_maps(maps, ks=(2, 3))
    assert [s.points.shape for s in scans] == [(4, 60, 2), (3, 60, 2)]
    assert bool(scans[0].live.all()) and (scans[0].k >= 2).all()


def test_prediction_table_of_no_samples_is_all_zero():
    from dataprints.anomaly.masking import prediction_table

    model = build_model("lenet5", in_channels=1, image_size=28, num_classes=10)
    table = prediction_table(model, model, torch.zeros(0, 1, 28, 28), torch.zeros(0).long())
    assert set(table.values()) == {0} and len(table) == 4
