from __future__ import annotations

import pytest
import torch

from dataprints.data import load, normalize
from dataprints.models import build_model
from dataprints.train import CheckpointMismatch, TrainConfig, evaluate, train


@pytest.fixture(scope="module")
def digits():
    ds = load("digits", "train")
    return normalize(ds.float(), "digits")[:600], ds.y[:600]


def fresh_model(seed: int = 0):
    torch.manual_seed(seed)
    return build_model("lenet5", in_channels=1, image_size=16, num_classes=10)


def upsample(x):
    return torch.nn.functional.interpolate(x, size=16, mode="nearest")


CFG = TrainConfig(epochs=4, batch_size=64, optimizer="adam", lr=3e-3)


def test_training_learns_and_is_deterministic(digits):
    x, y = upsample(digits[0]), digits[1]
    h1 = train(fresh_model(), CFG, (x, y), (x[:200], y[:200]), progress=False)
    h2 = train(fresh_model(), CFG, (x, y), (x[:200], y[:200]), progress=False)
    assert h1.train_loss == h2.train_loss
    assert h1.train_acc[-1] > 0.8 and h1.train_acc[-1] > h1.train_acc[0] + 0.2
    assert h1.val_acc[-1] > 0.8
    assert len(h1.val_acc) == 4


def test_channels_last_is_opt_in_and_trains_the_same_model_up_to_rounding(digits):
    x, y = upsample(digits[0]), digits[1]
    cfg = TrainConfig(epochs=1, batch_size=64, optimizer="adam", lr=3e-3)
    default, last = fresh_model(), fresh_model()
    train(default, cfg, (x, y), progress=False)
    seen = []
    train(last, cfg, (x, y), progress=False, memory_format=torch.channels_last,
          step_callbacks=[lambda s: seen.append(
              s.model.features[3].weight.is_contiguous(memory_format=torch.channels_last))])
    assert seen and all(seen)
    assert all(p.is_contiguous() for p in default.parameters())  # the default layout stays
    for a, b in zip(default.parameters(), last.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)


class Interrupt(Exception):
    pass


def test_resume_after_interruption_gives_same_weights(digits, tmp_path):
    x, y = upsample(digits[0]), digits[1]
    reference = fresh_model()
    train(reference, CFG, (x, y), progress=False)

    def crash_mid_epoch(state):
        if state.epoch == 2 and state.step == 2 * 10 + 3:  # 10 steps per epoch: in epoch 3
            raise Interrupt

    interrupted = fresh_model()
    with pytest.raises(Interrupt):
        train(interrupted, CFG, (x, y), step_callbacks=[crash_mid_epoch],
              checkpoint_dir=tmp_path, progress=False)
    resumed = fresh_model(seed=123)  # different init: the checkpoint must overwrite it
    history = train(resumed, CFG, (x, y), checkpoint_dir=tmp_path, progress=False)
    assert history.epoch == [1, 2, 3, 4]
    for a, b in zip(reference.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_checkpoint_from_other_config_is_refused(digits, tmp_path):
    x, y = upsample(digits[0][:64]), digits[1][:64]
    train(fresh_model(), TrainConfig(epochs=1, batch_size=32), (x, y), checkpoint_dir=tmp_path,
          progress=False)
    with pytest.raises(CheckpointMismatch, match="different training config"):
        train(fresh_model(), TrainConfig(epochs=2, batch_size=16), (x, y),
              checkpoint_dir=tmp_path, progress=False)
    (tmp_path / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointMismatch, match="cannot read"):
        train(fresh_model(), TrainConfig(epochs=1, batch_size=32), (x, y),
              checkpoint_dir=tmp_path, progress=False)


def test_full_batch_logistic_float64_and_early_stop():
    torch.manual_seed(0)
    x = torch.randn(40, 1, 4, 4)
    y = (x.flatten(1).sum(1) > 0).long()
    model = build_model("mlp", in_channels=1, image_size=4, num_classes=2, width=32,
                        init_scale=1e-2)
    cfg = TrainConfig(epochs=500, batch_size=0, optimizer="sgd", lr=0.5, loss="logistic",
                      dtype="float64")

    def stop_when_separated(state):
        state.stop = state.history.train_acc[-1] == 1.0

    history = train(model, cfg, (x, y), callbacks=[stop_when_separated], progress=False)
    assert next(model.parameters()).dtype == torch.float64
    assert history.train_acc[-1] == 1.0 and len(history.epoch) < 500
    loss, acc = evaluate(model, x.double(), y, "logistic")
    assert acc == 1.0 and loss < 0.7


def test_bad_config_is_explained():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="epochs must be an integer in 1..10,000,000"):
        TrainConfig(epochs=10**9)  # would run until killed
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig(optimizer="sgd", momentum=1.5)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=float("nan"))
    with pytest.raises(ValueError, match="weight_decay"):
        TrainConfig(weight_decay=-1e-4)
    with pytest.raises(ValueError, match="inputs but"):
        train(fresh_model(), TrainConfig(epochs=1), (torch.zeros(3, 1, 16, 16),
                                                     torch.zeros(2).long()), progress=False)
