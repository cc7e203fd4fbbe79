"""Sweeps: specs per notebook, and the three executors (a local pool, submitit's local executor,
a local Ray) running the same tiny sweep of real training specs to identical artifacts."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import needs_mirror
from sweep_toys import KillOnce, SweepToy

from dataprints.anomaly.runs import RunSpec, control_spec, shared_spec
from dataprints.artifacts import MANIFEST
from dataprints.cli import main
from dataprints.sweep import Resources, SweepError, execute, missing, run_specs, sweep_specs
from dataprints.sweep.run import SweepReport, record_path, start_ray
from dataprints.train import TrainConfig

TESTS = Path(__file__).parent
SPECS = [SweepToy(n=32, train=TrainConfig(epochs=2, batch_size=16, seed=s)) for s in range(2)]
EXP1 = "notebooks/anomaly/overfitting_anomaly_counts.py"
# Ray starts a dozen processes (about 40 s on a busy 2-core machine): opt out with DATAPRINTS_NO_RAY
SKIP_RAY = os.environ.get("DATAPRINTS_NO_RAY") == "1"


@pytest.fixture(autouse=True)
def workers_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers import the toy specs from here, and train on one thread each."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def artifacts(specs: list[Any]) -> dict[str, dict[str, str]]:
    """Per spec, the sha256 of every file its manifest lists, read through the sweep's record."""
    out = {}
    for spec in specs:
        record = json.loads(record_path(spec).read_text())
        folder = Path(os.environ["DATAPRINTS_CACHE"]) / "artifacts" / record["artifact"]
        manifest = json.loads((folder / MANIFEST).read_text())
        out[record["artifact"]] = {name: f["sha256"] for name, f in manifest["files"].items()}
    return out


def sweep_in(cache: Path, monkeypatch: pytest.MonkeyPatch, executor: str,
             **options: Any) -> tuple[SweepReport, dict[str, dict[str, str]]]:
    monkeypatch.setenv("DATAPRINTS_CACHE", str(cache))
    report = run_specs(SPECS, executor, poll=0.2, **options)
    print(f"{executor}: {report.summary()}")
    assert report.ok, report.summary()
    assert len(report.done) == len(SPECS) and all(o.built for o in report.done)
    assert all(missing(s) is None for s in SPECS)
    return report, artifacts(SPECS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The tiny sweep executed in this process, on one thread, as a notebook would train it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATAPRINTS_CACHE", str(tmp_path_factory.mktemp("reference")))
        for spec in SPECS:
            execute(spec)
        found = artifacts(SPECS)
    torch.set_num_threads(threads)
    return found


@pytest.mark.slow
def test_local_executor_gives_the_same_artifacts_and_skips_them_next_time(
        reference: dict[str, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    report, found = sweep_in(tmp_path / "local", monkeypatch, "local", workers=2)
    assert found == reference
    assert "sweep: trained in" in (report.folder / f"{report.done[0].label}.log").read_text()
    again = run_specs(SPECS, "local", workers=2, poll=0.2)
    assert len(again.skipped) == len(SPECS) and not again.done and again.ok


@pytest.mark.slow
def test_submitit_local_executor_gives_the_same_artifacts(
        reference: dict[str, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("submitit", reason="submitit is not installed: pip install "
                        "'dataprints[slurm]'")
    report, found = sweep_in(tmp_path / "submitit", monkeypatch, "submitit", cluster="local")
    assert found == reference
    assert list((report.folder / "submitit").glob("*_result.pkl"))


@pytest.mark.slow
@pytest.mark.skipif(SKIP_RAY, reason="DATAPRINTS_NO_RAY=1")
def test_ray_gives_the_same_artifacts(reference: dict[str, dict[str, str]], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'dataprints[ray]'")
    start = time.perf_counter()
    start_ray(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20,
              log_to_driver=False)
    print(f"ray.init: {time.perf_counter() - start:.1f} s")
    try:
        _, found = sweep_in(tmp_path / "ray", monkeypatch, "ray")
    finally:
        ray.shutdown()
    assert found == reference


@pytest.mark.slow
def test_a_killed_workers_spec_reruns_and_is_never_read_as_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_thread: None) -> None:
    sentinel = tmp_path / "kill-once"
    spec = KillOnce(n=32, train=TrainConfig(epochs=2, batch_size=16), sentinel=str(sentinel))
    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path / "clean"))
    execute(spec)  # no sentinel: trains through, here
    expected = artifacts([spec])

    monkeypatch.setenv("DATAPRINTS_CACHE", str(tmp_path / "killed"))
    sentinel.touch()
    killed = run_specs([spec], "local", poll=0.2)
    assert not sentinel.exists(), "the worker never reached its second epoch"
    (failure,) = killed.failed
    assert failure.why == "killed by signal 9" and Path(failure.logs[0]).is_file()
    assert "KillOnce" in Path(failure.logs[0]).read_text()
    artifacts_dir = tmp_path / "killed" / "artifacts"
    assert not list(artifacts_dir.glob("*/MANIFEST.json"))
    assert list(artifacts_dir.glob(".KillOnce-*.run/run/last.pt")), "no checkpoint was left"
    assert missing(spec) == "not executed yet"

    rerun = run_specs([spec], "local", poll=0.2)  # resumes from the checkpoint
    assert rerun.ok and [o.built for o in rerun.done] == [True]
    assert artifacts([spec]) == expected

    # a complete artifact damaged later is missing again (the next sweep rebuilds it)
    folder = artifacts_dir / json.loads(record_path(spec).read_text())["artifact"]
    with open(folder / "model.pt", "r+b") as f:
        f.truncate(100)
    assert "truncated" in missing(spec)


@pytest.mark.slow
def test_two_sweeps_over_one_cache_do_not_collide(reference: dict[str, dict[str, str]],
                                                  isolated_cache: Path) -> None:
    reports: list[SweepReport] = []

    def sweep(specs: list[Any]) -> None:
        reports.append(run_specs(specs, "local", workers=1, poll=0.2))

    threads = [threading.Thread(target=sweep, args=(order,)) for order in (SPECS, SPECS[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in reports) and reports[0].folder != reports[1].folder
    trained = [o.label for r in reports for o in r.done if o.built]
    assert sorted(trained) == sorted({o.label for r in reports for o in r.done})  # each once
    assert artifacts(SPECS) == reference


def test_exp1_specs_at_each_profile() -> None:
    paper = sweep_specs(EXP1, "paper")
    assert len(paper) == 3 * 3 * 3 * 2  # datasets x models x seeds, each with its control
    runs = [s for s in paper if not s.augment]
    assert paper[1::2] == [control_spec(s) for s in runs]
    assert {(s.epochs, s.n_per_class) for s in paper} == {(100, 0)}
    assert {s.image_size for s in paper if s.model == "alexnet"} == {227}
    assert {s.image_size for s in paper if s.model != "alexnet"} == {0}
    quick = sweep_specs(EXP1, "quick")
    base = shared_spec("simple_cnn", "cifar10")
    assert quick[:2] == [base, control_spec(base)] and len(quick) == 4
    assert sweep_specs(EXP1, "quick", {"seeds": "[3, 3]"}) == [
        s for m in ("simple_cnn", "lenet5") for s in
        (replace(shared_spec(m), seed=3), control_spec(replace(shared_spec(m), seed=3)))]


def test_syn_specs_are_shared_by_learning_order_and_band_stop() -> None:
    learning = sweep_specs("notebooks/frequency/learning_order.py", "paper")
    band_stop = sweep_specs("notebooks/frequency/band_stop.py", "paper")
    assert len(learning) == 2 * 2 * 1 * 4 and len(band_stop) == 1 * 2 * 1 * 4
    assert set(band_stop) <= set(learning)
    assert {s.train.epochs for s in learning} == {200}


def test_natural_specs_are_shared_by_natural_dfm_and_ood_transfer() -> None:
    dfm = sweep_specs("notebooks/frequency/natural_dfm.py", "paper")
    ood = sweep_specs("notebooks/frequency/ood_transfer.py", "paper")
    assert [s.augment for s in dfm] == ["none", "autoaugment", "augmix"]
    assert ood == dfm[:1] and ood[0].data.n_per_class == 4500 and ood[0].train.epochs == 200


def test_a_notebook_without_sweep_and_bad_parameters_are_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SweepError, match="has no sweep yet; sweeps exist for: .*anomaly"):
        sweep_specs("notebooks/filters/meta_model_table1.py")
    with pytest.raises(SweepError, match="epochs"):
        sweep_specs(EXP1, "quick", {"epochs": "1"})
    with pytest.raises(SweepError, match="no way to run a TrainConfig|frozen"):
        run_specs([TrainConfig()])
    assert main(["sweep", "notebooks/filters/meta_model_table1.py"]) == 2
    assert "has no sweep yet" in capsys.readouterr().err


def test_missing_extras_and_bad_cluster_configs_are_refused_before_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "submitit", None)  # import submitit raises ImportError
    with pytest.raises(SweepError, match=r"pip install 'dataprints\[slurm\]'"):
        run_specs(SPECS, "submitit")
    assert not (tmp_path / "cache" / "sweeps").exists()
    config = tmp_path / "cluster.yaml"
    config.write_text("partition: gpu\ngpus: 1\ntime_min: 90\nextra: {slurm_account: lab}\n")
    loaded = Resources.load(config, gpus=2, cpus=None)
    assert (loaded.partition, loaded.gpus, loaded.time_min, loaded.cpus) == ("gpu", 2, 90, 1)
    assert loaded.extra == {"slurm_account": "lab"}
    config.write_text("partitoin: gpu\n")
    with pytest.raises(SweepError, match="partitoin"):
        Resources.load(config)
    with pytest.raises(SweepError, match="gpus >= 0"):
        Resources(gpus=-1)


def test_cli_dry_run_lists_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", EXP1, "--profile", "paper", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("not executed yet: RunSpec(") == 54 and "54 runs, 0 complete" in out


@pytest.mark.slow
@needs_mirror
def test_the_notebooks_find_the_swept_models(one_thread: None) -> None:
    """execute() trains each kind of spec as its notebook asks for it: same key, one artifact
    (which executor calls execute() does not matter, see above)."""
    from dataprints.anomaly.runs import train_run
    from dataprints.frequency.trained import natural_model, syn_models

    exp1 = {"n_per_class": "1", "n_val": "10", "epochs": "2", "models": "['simple_cnn']"}
    syn = {"archs": "['simple_cnn']", "n_train": "2", "n_test": "2", "epochs": "1",
           "generators": "['standard']", "every": "1", "max_steps": "2"}
    natural = {"n_per_class": "2", "n_val_per_class": "1", "epochs": "1",
               "augments": "['none', 'augmix']"}
    specs = [*sweep_specs(EXP1, "quick", exp1),
             *sweep_specs("notebooks/frequency/learning_order.py", "quick", syn),
             *sweep_specs("notebooks/frequency/natural_dfm.py", "quick", natural)]
    assert all(execute(s).built for s in specs)
    assert all(train_run(s, progress=False).from_cache for s in specs if isinstance(s, RunSpec))
    runs = syn_models(["simple_cnn"], ["standard"], [0], (1, 2, 3, 4), 2, 2, 1, 0.01, 64, 1, 2,
                      progress=False)
    assert all(trained.from_cache for trained, _ in runs.values())
    for augment in ("none", "augmix"):
        _, trained = natural_model("cifar10", 2, 1, 0, 32, "simple_cnn_bn", augment, 1, 0.05,
                                   "plateau", 16, progress=False)
        assert trained.from_cache
