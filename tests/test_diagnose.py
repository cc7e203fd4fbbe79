"""`dataprints diagnose` end to end on tiny generated image folders: a random-weight CNN on three
classes (with checkpoints and initial weights), a homogeneous MLP on two, a TorchScript model;
and every input mismatch refused before any work, naming what mismatched."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import dataprints.diagnostics
from dataprints import cli
from dataprints.diagnostics.inputs import InputError, load_data
from dataprints.models import build_model

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
FAST = ["--n-scan", "30", "--dfm-images", "2", "--recon-iterations", "20",
        "--recon-candidates", "16"]


def image_folder(root: Path, classes: int, size: int, grey: bool, per_class: dict[str, int],
                 ) -> Path:
    """Class c: noise plus a stripe pattern of frequency c + 1 (so the classes differ)."""
    rng = np.random.default_rng(0)
    grid = np.arange(size)[None, :] * np.ones((size, 1))
    for split, n in per_class.items():
        for c in range(classes):
            folder = root / split / f"class{c}"
            folder.mkdir(parents=True)
            for i in range(n):
                img = 0.5 + 0.3 * np.sin(2 * np.pi * (c + 1) * grid / size)
                img = np.clip(img + 0.2 * rng.standard_normal((size, size)), 0, 1)
                a = (img * 255).astype(np.uint8)
                pixels = a if grey else np.stack([a, a[::-1], a.T], axis=-1)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.fixture
def colour_folder(tmp_path: Path) -> Path:
    return image_folder(tmp_path / "colour", 3, 20, False, {"train": 12, "test": 4})


@pytest.fixture
def binary_folder(tmp_path: Path) -> Path:
    return image_folder(tmp_path / "binary", 2, 12, True, {"train": 8, "val": 4})


def cnn_weights(tmp_path: Path, channels: int = 3, classes: int = 3, size: int = 20,
                arch: str = "simple_cnn", seed: int = 0) -> Path:
    torch.manual_seed(seed)
    path = tmp_path / f"{arch}_{channels}_{classes}_{seed}.pt"
    torch.save(build_model(arch, in_channels=channels, image_size=size,
                           num_classes=classes).state_dict(), path)
    return path


def run_cli(args: list[str]) -> int:
    return cli.main(["diagnose", *args])


class Page(HTMLParser):
    """Collects what a browser would fetch or run: image sources, scripts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag in ("script", "link", "iframe") or (tag != "img" and (a.get("src") or
                                                                       a.get("href"))):
            self.external.append(tag)


def read_report(out: Path) -> dict:
    """report.json, after checking that report.html is self-contained and clean."""
    page = (out / "report.html").read_text()
    parser = Page()
    parser.feed(page)
    assert parser.images and not parser.external
    for src in parser.images:  # every figure is an embedded PNG that decodes
        assert src.startswith("data:image/png;base64,")
        Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).verify()
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # may hold any letters
    for bad in ("Traceback", "NaN", "nan</td>", "http://", "https://"):
        assert bad not in page, bad
    def not_json(constant: str) -> None:
        raise AssertionError(f"report.json holds {constant}, which is not valid JSON")

    return json.loads((out / "report.json").read_text(), parse_constant=not_json)


@pytest.mark.usefixtures("one_thread")
def test_cnn_on_an_image_folder_end_to_end(tmp_path, colour_folder, capsys, monkeypatch):
    from dataprints.diagnostics import early

    monkeypatch.setattr(early, "METAMODEL_FILE", "results/none/meta_model_table1.json")
    ckpts = [cnn_weights(tmp_path, seed=s) for s in (1, 2)]
    out = tmp_path / "report"
    code = run_cli(["--arch", "simple_cnn", "--weights", str(ckpts[0]), "--weights",
                    str(ckpts[1]), "--initial", str(cnn_weights(tmp_path, seed=0)),
                    "--data", str(colour_folder), "--preprocess", "standard", "--out",
                    str(out), *FAST])
    assert code == 0, capsys.readouterr()
    report = read_report(out)
    d = report["diagnostics"]
    assert report["model"]["outputs"] == 3 and report["model"]["checkpoints"] == 2
    assert report["data"]["train_images"] == 36 and report["data"]["held_out_split"] == "test"
    assert {"git_sha", "date", "torch", "dataprints"} <= set(report["provenance"])
    early = d["early filters"]
    assert early["status"] == "ran" and "update" in early["values"]["read"]
    assert set(early["values"]["metrics"]) == {
        "saturation", "hull_volume", "blur_distance", "variance", "roughness",
        "bregman_distance", "laplacian_var", "noise_sigma"}
    assert all(v is not None for v in early["values"]["metrics"].values())
    assert early["values"]["metamodel"] is None
    assert any("not committed" in note for note in early["notes"])
    anomaly = d["anomaly filters"]
    assert anomaly["status"] == "ran" and anomaly["values"]["n_scan"] == 30
    # every conv layer, including the last one's 1x1 maps on 20-px images
    assert [r["layer"] for r in anomaly["values"]["per_layer"]] == [
        "features.1", "features.4", "features.7"]
    assert [r["checkpoint"] for r in anomaly["values"]["per_checkpoint"]] == [
        p.name for p in ckpts]
    freq = d["frequency shortcuts"]
    assert freq["status"] == "ran" and freq["values"]["patch"] == 1
    assert [r["class"] for r in freq["values"]["rates"]] == ["class0", "class1", "class2"]
    assert all(0 <= r["TPR DFM"] <= 1 for r in freq["values"]["rates"])
    assert d["reconstruction"]["status"] == "not applicable"
    assert "one logit" in d["reconstruction"]["why"]


@pytest.mark.usefixtures("one_thread")
def test_homogeneous_mlp_on_a_binary_folder_reconstructs(tmp_path, binary_folder, capsys):
    torch.manual_seed(0)
    weights = tmp_path / "mlp.pt"
    torch.save(build_model("mlp", in_channels=1, image_size=12, num_classes=2,
                           width=32).state_dict(), weights)
    out = tmp_path / "report"
    code = run_cli(["--arch", "mlp", "--weights", str(weights), "--data", str(binary_folder),
                    "--preprocess", "centered", "--out", str(out), *FAST])
    assert code == 0, capsys.readouterr()
    d = read_report(out)["diagnostics"]
    rec = d["reconstruction"]
    assert rec["status"] == "ran" and rec["values"]["candidates"] == 16
    for key in ("best_k_ssim", "null_mean_image", "null_held_out_images"):
        assert -1 <= rec["values"][key] <= 1
    assert d["early filters"]["status"] == "not applicable"
    assert d["anomaly filters"]["status"] == "not applicable"
    assert "one logit" in d["frequency shortcuts"]["why"]


@pytest.mark.usefixtures("one_thread")
def test_python_call_and_torchscript(tmp_path, colour_folder):
    torch.manual_seed(0)
    model = build_model("lenet5", in_channels=3, image_size=20, num_classes=3).eval()
    script = tmp_path / "model.ts"
    torch.jit.trace(model, torch.zeros(1, 3, 20, 20)).save(str(script))
    report = dataprints.diagnose(script, colour_folder, tmp_path / "ts", n_scan=30,
                                 dfm_images=2, progress=False)
    d = read_report(report.folder)["diagnostics"]
    assert d["early filters"]["status"] == "ran"
    assert d["anomaly filters"]["status"] == "not applicable"
    assert "TorchScript" in d["anomaly filters"]["why"]
    assert d["frequency shortcuts"]["status"] == "ran"
    assert "TorchScript" in d["reconstruction"]["why"]
    eager = dataprints.diagnose(model, colour_folder, tmp_path / "eager", n_scan=30,
                                dfm_images=2, progress=False)
    ours = eager.body["diagnostics"]["early filters"]["values"]["metrics"]
    theirs = report.body["diagnostics"]["early filters"]["values"]["metrics"]
    assert ours == pytest.approx(theirs)  # the same first layer, found in both forms


def test_every_mismatch_is_refused_before_work(tmp_path, colour_folder, binary_folder,
                                               capsys):
    def refused(args: list[str], *words: str) -> None:
        assert run_cli([*args, "--out", str(tmp_path / "never")]) == 2
        err = capsys.readouterr().err
        for word in words:
            assert word in err, (word, err)
        assert not (tmp_path / "never").exists()

    colour = ["--data", str(colour_folder)]
    with pytest.raises(InputError, match="'resnet18' needs its trained weights"):
        dataprints.diagnose("resnet18", colour_folder, tmp_path / "never")
    grey_net = tmp_path / "grey.ts"
    torch.jit.trace(build_model("simple_cnn", in_channels=1, image_size=20, num_classes=3).eval(),
                    torch.zeros(1, 1, 20, 20)).save(str(grey_net))
    five = tmp_path / "five.ts"
    torch.jit.trace(build_model("simple_cnn", in_channels=3, image_size=20, num_classes=5).eval(),
                    torch.zeros(1, 3, 20, 20)).save(str(five))
    refused(["--torchscript", str(grey_net), *colour], "input mismatch", "3x20x20")
    refused(["--torchscript", str(five), *colour], "class-count mismatch", "5 output",
            "3 classes")
    refused(["--arch", "lenet5", "--weights", str(cnn_weights(tmp_path)), *colour],
            "different model", "lenet5")
    refused(["--arch", "simple_cnn", "--weights", str(cnn_weights(tmp_path, classes=2)),
             *colour], "different model")
    refused(["--arch", "no_such_net", "--weights", str(cnn_weights(tmp_path)), *colour],
            "unknown architecture", "no_such_net")
    refused(["--arch", "simple_cnn", "--weights", str(tmp_path / "missing.pt"), *colour],
            "does not exist")
    refused(["--arch", "simple_cnn", *colour], "needs --weights")
    refused(["--torchscript", str(five), "--arch", "simple_cnn", *colour], "not both")
    refused(["--torchscript", str(five), "--data", "no_such_set"], "neither a supported")
    (binary_folder / "val").rename(binary_folder / "elsewhere")
    refused(["--torchscript", str(five), "--data", str(binary_folder)], "no held-out split")
    refused(["--torchscript", str(five), "--data", str(binary_folder), "--held-out", "test"],
            "no held-out folder test/")
    Image.fromarray(np.zeros((9, 9), dtype=np.uint8)).save(
        binary_folder / "train" / "class0" / "odd.png")
    refused(["--torchscript", str(five), "--data", str(binary_folder), "--held-out",
             "elsewhere"], "differ in size", "9x9")
    (colour_folder / "test" / "extra").mkdir()
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(
        colour_folder / "test" / "extra" / "0.png")
    refused(["--torchscript", str(five), *colour], "classes", "must match")
    with pytest.raises(InputError, match="unknown preprocessing"):
        load_data(colour_folder, preprocess="bogus")
    refused(["--torchscript", str(five), *colour, "--dfm-top", "0"], "dfm_top")


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["diagnose", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--arch", "--weights", "--initial", "--torchscript", "--data", "--held-out",
                   "--preprocess", "--image-size", "--n-scan", "--dfm-images", "--dfm-patch",
                   "--dfm-top", "--recon-iterations", "--recon-candidates", "--seed", "--out"):
        assert option in text


def test_a_failing_diagnostic_is_reported_and_the_others_still_run(tmp_path, binary_folder,
                                                                    monkeypatch, capsys):
    from dataprints.diagnostics import frequency

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory in the DFM search")

    monkeypatch.setattr(frequency, "frequency_shortcuts", broken)
    torch.manual_seed(0)
    weights = tmp_path / "mlp.pt"
    torch.save(build_model("mlp", in_channels=1, image_size=12, num_classes=2,
                           width=8).state_dict(), weights)
    out = tmp_path / "report"
    assert run_cli(["--arch", "mlp", "--weights", str(weights), "--data", str(binary_folder),
                    "--out", str(out), *FAST]) == 1
    assert "frequency shortcuts: failed - RuntimeError: out of memory" in capsys.readouterr().out
    d = read_report(out)["diagnostics"]
    assert d["frequency shortcuts"]["status"] == "failed"
    assert "out of memory" in d["frequency shortcuts"]["error"]
    assert d["reconstruction"]["status"] == "ran"


def test_meta_model_prediction_is_fitted_from_a_committed_training_table(tmp_path):
    from dataprints.diagnostics.early import metamodel_prediction
    from dataprints.filters.metrics import METRICS

    rng = np.random.default_rng(0)
    columns: dict[str, list] = {c: [] for c in ("arch", "kind", *METRICS, "log10_sharpness",
                                                "log10_noisiness")}
    for i in range(120):
        kind = ("original", "blur", "noise")[i % 3]
        row = {m: float(rng.random()) for m in METRICS}
        row["roughness"] = level = float(i % 6)  # the metric that carries both targets
        for key, value in {"arch": "mini_convnext", "kind": kind, **row,
                           "log10_sharpness": None if kind == "noise" else level,
                           "log10_noisiness": None if kind == "blur" else -level}.items():
            columns[key].append(value)
    table1 = {"finetune_adam | leave-one-variant-out | others → ConvNeXt | log10_sharpness":
              {"r2": [0.7, 0.6]}}
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"git_sha": "abc", "values": {"training_table": columns,
                                                             "table1": table1}}))
    user = {m: 0.5 for m in METRICS} | {"roughness": 3.0}  # a level of both sweeps
    out, notes = metamodel_prediction(user, (96, 3, 4, 4), path)
    assert out["predicted_sharpness"] == pytest.approx(1e3, rel=0.5)
    assert out["predicted_noisiness"] == pytest.approx(1e-3, rel=0.5)
    assert out["sharpness_heldout_r2"] == {"finetune_adam": [0.7, 0.6]}
    assert out["noisiness_heldout_r2"] == {} and out["sharpness_samples"] == 80
    assert not any("unlike" in n for n in notes)
    _, notes = metamodel_prediction(user, (64, 3, 7, 7), path)  # never seen: said so
    assert any("unlike every first layer" in n for n in notes)
