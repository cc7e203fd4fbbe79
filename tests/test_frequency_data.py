"""Syn_B1..B4 generator, the style-shifted set, augmentations and learning-order tracking."""

from __future__ import annotations

import pytest
import torch

from dataprints.data import ImageSet
from dataprints.data.styles import STYLES, style_shifted, stylize
from dataprints.data.synthetic_bands import DISTINCTIVE, special_frequencies, syn_bands
from dataprints.frequency.adcs import adcs
from dataprints.frequency.augment import crop_flip, make_augment
from dataprints.frequency.learning_order import first_learned, learned_first
from dataprints.frequency.spectra import band_index
from dataprints.frequency.trained import paper_config, syn_splits, train_syn


@pytest.mark.parametrize("band", [1, 2, 3, 4])
def test_syn_specials_lie_in_their_band_and_top_the_adcs(band: int) -> None:
    ds = syn_bands(band, "train", n_per_class=60)
    assert ds.x.shape == (240, 3, 32, 32) and ds.y.bincount().tolist() == [60] * 4
    specials = special_frequencies(band)
    bands = band_index(32)
    a = adcs(ds.float(), ds.y, 4)
    for freqs in specials:
        for kr, kc in freqs:
            assert bands[16 + kr, 16 + kc] == band
    kr, kc = specials[DISTINCTIVE][0]
    assert a[DISTINCTIVE, 16 + kr, 16 + kc] == 3  # more energy there than every other class
    unique = set(specials[DISTINCTIVE]) - {f for c in range(3) for f in specials[c]}
    assert unique == set(specials[DISTINCTIVE])


def test_syn_is_deterministic_and_splits_differ() -> None:
    a, b = syn_bands(2, "train", 5), syn_bands(2, "train", 5)
    assert torch.equal(a.x, b.x)
    assert not torch.equal(a.x, syn_bands(2, "test", 5).x)
    with pytest.raises(ValueError, match="band"):
        syn_bands(5)
    with pytest.raises(ValueError, match="split"):
        syn_bands(1, "val")


def test_styles_keep_labels_and_change_the_images() -> None:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(4, 3, 32, 32, generator=g) * 255).to(torch.uint8)
    data = ImageSet(x, torch.tensor([0, 1, 2, 3]), ("a", "b", "c", "d"), "toy", "test")
    grey = stylize(data, "grey")
    assert torch.equal(grey.x[:, 0], grey.x[:, 1]) and torch.equal(grey.y, data.y)
    for style in STYLES:
        assert not torch.equal(stylize(data, style).x, x)
    assert torch.equal(stylize(data, "cartoon").x, stylize(data, "cartoon").x)
    assert len(style_shifted(data)) == 4 * len(STYLES)
    with pytest.raises(ValueError, match="unknown style"):
        stylize(data, "oil")


def test_augmentations_keep_shape_and_are_seeded() -> None:
    x = torch.randn(6, 3, 32, 32)
    out = crop_flip(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert torch.equal(out, crop_flip(x, torch.Generator().manual_seed(0)))
    for name in ("autoaugment", "augmix"):
        aug = make_augment(name, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
        torch.manual_seed(1)
        first = aug(x, torch.Generator().manual_seed(0))
        torch.manual_seed(1)
        assert torch.equal(first, aug(x, torch.Generator().manual_seed(0)))
        assert first.shape == x.shape
    with pytest.raises(ValueError, match="choose one of"):
        make_augment("mixup", (0.5,), (0.2,))


def test_per_image_policies_restore_the_thread_count() -> None:
    aug = make_augment("augmix", (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        aug(torch.randn(2, 3, 32, 32), torch.Generator().manual_seed(0))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_learned_first_ignores_a_class_predicted_for_everything() -> None:
    curves = {"steps": [5, 10, 15],
              "acc": [[1.0, 0.0, 0.0], [0.2, 0.95, 0.1], [0.95, 0.95, 0.9]],
              "fpr": [[1.0, 0.0, 0.0], [0.1, 0.05, 0.0], [0.0, 0.05, 0.0]]}
    assert first_learned(curves) == [15.0, 10.0, 15.0]
    assert learned_first(curves) == 1
    with pytest.raises(ValueError, match="threshold"):
        first_learned(curves, 0.3)


def test_tracked_training_records_curves_and_reuses_them() -> None:
    data = syn_splits(4, 20, 5)
    cfg = paper_config(epochs=1, batch_size=16)
    trained, curves = train_syn(4, "simple_cnn", data, cfg, every=1, max_steps=3, n_train=20,
                                progress=False)
    assert curves["steps"] == [1, 2, 3] and len(curves["acc"][0]) == 4
    again, same = train_syn(4, "simple_cnn", data, cfg, every=1, max_steps=3, n_train=20,
                            progress=False)
    assert again.from_cache and same == curves


def test_interrupted_tracked_run_resumes_with_complete_curves(isolated_cache, monkeypatch,
                                                              one_thread) -> None:
    """A learning-order run interrupted after its first checkpoint gives the curves (and so the
    verdicts) of an uninterrupted one, not only the steps after the checkpoint."""
    import os

    from dataprints.frequency.learning_order import PerClassAccuracy

    data = syn_splits(4, 20, 5)
    cfg = paper_config(epochs=2, batch_size=16)  # 80 images: 5 steps per epoch
    kwargs = dict(every=1, max_steps=10, n_train=20, progress=False)
    reference = train_syn(4, "simple_cnn", data, cfg, **kwargs)[1]
    assert reference["steps"] == list(range(1, 11))
    monkeypatch.setenv("DATAPRINTS_CACHE", os.fspath(isolated_cache / "second"))
    real = PerClassAccuracy.__call__

    def interrupt(self, state):
        if state.step == 7:
            raise KeyboardInterrupt
        real(self, state)

    monkeypatch.setattr(PerClassAccuracy, "__call__", interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_syn(4, "simple_cnn", data, cfg, **kwargs)
    monkeypatch.setattr(PerClassAccuracy, "__call__", real)
    trained, curves = train_syn(4, "simple_cnn", data, cfg, **kwargs)
    assert not trained.from_cache and curves == reference
    assert learned_first(curves) == learned_first(reference)
    assert train_syn(4, "simple_cnn", data, cfg, **kwargs)[1] == reference


def test_syn_model_refuses_arguments_that_name_other_data() -> None:
    data = syn_splits(4, 20, 5)
    with pytest.raises(ValueError, match="built as"):
        train_syn(3, "simple_cnn", data, paper_config(1), every=1, max_steps=3, n_train=20,
                  progress=False)
