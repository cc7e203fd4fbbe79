"""The notebooks: static checks on every one, and each executed at its smoke parameters."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

from dataprints import book, cli
from dataprints.notebooks import (
    NotebookFailed,
    ParameterError,
    check_overrides,
    parameters,
    parameters_source,
    read_notebook,
    run_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/*.py"))
SMOKE = yaml.safe_load((ROOT / "profiles" / "smoke.yaml").read_text())
PAPER = yaml.safe_load((ROOT / "profiles" / "paper.yaml").read_text())


def key(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=key)
def test_notebook_is_well_formed(path):
    nb = read_notebook(path)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    declared = parameters(path)  # exactly one parameters cell of annotated literals
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert [c.source for c in cells] == [parameters_source(path)]  # the plain-text reading
    assert declared, f"{key(path)} declares no parameters"
    for p in declared.values():
        assert p.help, f"{key(path)}: parameter {p.name} needs a comment saying what it means"
    assert key(path) in SMOKE, f"{key(path)} has no entry in profiles/smoke.yaml"


@pytest.mark.parametrize("profile", [SMOKE, PAPER], ids=["smoke", "paper"])
def test_profiles_name_real_parameters_of_real_notebooks(profile):
    for nb, overrides in profile.items():
        check_overrides(ROOT / nb, overrides or {})


def test_every_toc_entry_exists_and_every_notebook_is_in_the_toc():
    entries = book.toc_entries(ROOT)
    for entry in entries:
        if entry == book.SCORECARD.removesuffix(".md"):
            continue  # generated at build time
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".py")]
        assert any(c.is_file() for c in candidates), f"_toc.yml entry {entry} has no file"
    in_toc = {ROOT / f"{e}.py" for e in entries}
    assert set(NOTEBOOKS) <= in_toc, f"not in _toc.yml: {set(NOTEBOOKS) - in_toc}"


# The smoke runs are independent kernels, so they run two at a time on a 2-core machine (each
# with its own cache, results folder and output); DATAPRINTS_TEST_WORKERS=1 runs them in turn.
SMOKE_WORKERS = int(os.environ.get("DATAPRINTS_TEST_WORKERS") or min(2, os.cpu_count() or 1))
SMOKE_SCRIPT = ("import sys; from dataprints.notebooks import run_notebook; "
                "run_notebook(sys.argv[1], 'smoke', output=sys.argv[2], results_dir=sys.argv[3])")


@pytest.fixture(scope="module")
def smoke_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[dict[Path, Future]]:
    """Every selected notebook's smoke run, started at the first smoke test, SMOKE_WORKERS at a
    time (as separate processes: run_notebook sets the kernel's environment); each test waits
    for its own. A future's value is (returncode, stderr, executed notebook, results folder)."""
    paths = [item.callspec.params["path"] for item in request.session.items
             if item.originalname == "test_notebook_runs_at_smoke_parameters"]
    # the cores are shared between the kernels unless OMP_NUM_THREADS says otherwise
    # (oversubscribed threads make tiny models many times slower)
    threads = os.environ.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1)
                                                             // SMOKE_WORKERS))

    def run(path: Path) -> tuple[int, str, Path, Path]:
        folder = tmp_path_factory.mktemp(path.stem)
        env = {**os.environ, "DATAPRINTS_CACHE": str(folder / "cache"), "OMP_NUM_THREADS": threads}
        out, results = folder / "out.ipynb", folder / "results"
        done = subprocess.run([sys.executable, "-c", SMOKE_SCRIPT, str(path), str(out),
                               str(results)], env=env, capture_output=True, text=True,
                              timeout=600)
        return done.returncode, done.stderr, out, results

    with ThreadPoolExecutor(max_workers=SMOKE_WORKERS) as pool:
        futures = {path: pool.submit(run, path) for path in paths}
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=key)
def test_notebook_runs_at_smoke_parameters(path, smoke_runs):
    code, stderr, output, results = smoke_runs[path].result()
    assert code == 0, f"{key(path)} failed at its smoke parameters:\n{stderr[-6000:]}"
    outputs = [o for cell in nbformat.read(output, 4).cells for o in cell.get("outputs", [])]
    if "plt.show()" in path.read_text():
        assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was rendered"
    warnings = [o["text"] for o in outputs if o.get("name") == "stderr" and "Warning" in o["text"]]
    assert not warnings, f"the notebook printed warnings: {warnings}"
    assert list(results.glob("**/*.json")), "the notebook saved no results"


def test_wrong_parameter_fails_fast_naming_the_valid_ones(capsys):
    start = time.perf_counter()
    code = cli.main(["run", str(ROOT / "notebooks/00_data_tour.py"), "-p", "nonexistent", "3"])
    assert code == 2 and time.perf_counter() - start < 5
    err = capsys.readouterr().err
    assert "nonexistent" in err and "samples_per_class: int" in err
    with pytest.raises(ParameterError, match="takes int"):
        check_overrides(ROOT / "notebooks/00_data_tour.py", {"samples_per_class": "many"})


FAILING = '''# ---
# jupyter:
#   kernelspec: {display_name: Python 3, language: python, name: python3}
# ---

# %% tags=["parameters"]
n: int = 1  # a number

# %%
raise RuntimeError("boom from the failing notebook")
'''


def test_failing_cell_fails_run_and_book(tmp_path, monkeypatch, capsys):
    nb = tmp_path / "failing.py"
    nb.write_text(FAILING)
    with pytest.raises(NotebookFailed, match="boom from the failing notebook"):
        run_notebook(nb, output=tmp_path / "failing.ipynb", results_dir=tmp_path)
    assert not (tmp_path / "failing.ipynb").exists()  # nothing half-written
    monkeypatch.setattr(book, "toc_notebooks", lambda root=None: [nb])
    monkeypatch.setattr(book, "repo_root", lambda: tmp_path)
    rendered = []
    monkeypatch.setattr(book, "render", lambda root=None: rendered.append(root))
    assert cli.main(["book"]) == 1
    assert rendered == [] and "boom" in capsys.readouterr().err


# Notebooks whose every parameter declares what it accepts ([[...]], see dataprints.notebooks).
CONSTRAINED = [ROOT / "notebooks" / p for p in (
    "00_data_tour.py", "filters/argument_and_toy_layer.py", "filters/dataset_variants.py",
    "filters/filter_updates_and_metrics.py", "filters/meta_model_table1.py",
    "frequency/band_stop.py", "frequency/learning_order.py", "frequency/natural_dfm.py",
    "frequency/ood_transfer.py", "frequency/synthetic_spectra.py")]


def test_constraint_syntax():
    from dataprints.notebooks import Constraint

    assert Constraint.parse("1..1000") == Constraint(1, 1000)
    assert Constraint.parse("0..") == Constraint(0, None)
    assert Constraint.parse("1e-6..10").admits(0.5) and not Constraint.parse("1e-6..10").admits(0)
    choice = Constraint.parse("cifar10|fashion_mnist")
    assert choice.admits("cifar10") and not choice.admits("mnist")
    assert Constraint.parse("1|2|4").admits(2) and not Constraint.parse("1|2|4").admits(3)
    assert not Constraint.parse("0..").admits(float("nan"))
    for bad in ("5..1", "..", "a..b"):
        with pytest.raises(ValueError):
            Constraint.parse(bad)


def test_a_default_outside_its_own_constraint_is_refused(tmp_path):
    nb = tmp_path / "bad_default.py"
    nb.write_text(FAILING.replace("n: int = 1  # a number", "n: int = 0  # a number [[1..5]]"))
    with pytest.raises(ParameterError, match="default breaks its own constraint"):
        parameters(nb)


def _bad_value(p) -> str:
    c = p.constraint
    if c.choices:
        return '["no_such_choice"]' if p.type == "list" else "no_such_choice"
    bad = c.low - 1 if c.low is not None else c.high + 1
    return f"[{bad}]" if p.type == "list" else str(bad)


@pytest.mark.parametrize("path", CONSTRAINED, ids=key)
def test_every_parameter_declares_what_it_accepts(path):
    unconstrained = [p.name for p in parameters(path).values()
                     if p.constraint is None and p.type != "bool"]
    assert not unconstrained, f"{key(path)}: no [[...]] constraint on {unconstrained}"


@pytest.mark.parametrize("path", CONSTRAINED, ids=key)
def test_out_of_range_or_unknown_choice_exits_2_in_under_a_second(path, capsys):
    for p in parameters(path).values():
        if p.constraint is None:
            continue
        value = _bad_value(p)
        start = time.perf_counter()
        code = cli.main(["run", str(path), "-p", p.name, value])
        took = time.perf_counter() - start
        err = capsys.readouterr().err
        assert code == 2 and took < 1.0, (p.name, code, took)
        assert f"parameter {p.name}" in err and p.constraint.text() in err, err
        assert value.strip("[]\"") in err, err


def test_repeated_parameter_is_rejected(capsys, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: pytest.fail("ran"))
    code = cli.main(["run", str(ROOT / "notebooks/00_data_tour.py"), "-p", "seed", "1",
                     "-p", "seed", "2"])
    assert code == 2 and "given twice" in capsys.readouterr().err


def test_output_into_a_missing_folder_is_rejected_before_the_kernel(tmp_path, capsys,
                                                                    monkeypatch):
    import papermill

    def no_kernel(*args, **kwargs):
        raise AssertionError("the kernel must not start")

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    nb = ROOT / "notebooks/00_data_tour.py"
    start = time.perf_counter()
    code = cli.main(["run", str(nb), "-o", str(tmp_path / "missing" / "out.ipynb")])
    assert code == 2 and time.perf_counter() - start < 1.0
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    code = cli.main(["run", str(nb), "-o", str(tmp_path / "file" / "out.ipynb")])
    assert code == 2 and str(tmp_path / "file") in capsys.readouterr().err


SLOW_WRITER = '''# ---
# jupyter:
#   kernelspec: {display_name: Python 3, language: python, name: python3}
# ---

# %% tags=["parameters"]
tag: str = "a"  # which run wrote the files
delay: float = 0.0  # seconds between the two files

# %%
import os, time
from pathlib import Path
out = Path(os.environ["DATAPRINTS_RESULTS_DIR"])
(out / "first.txt").write_text(tag)
time.sleep(delay)
(out / "second.txt").write_text(tag)
'''


def test_concurrent_runs_of_one_notebook_do_not_mix(tmp_path):
    """Two runs of one notebook into one output: each has its own temporary notebook and
    results folder, and the finished set of files is moved into place whole."""
    import subprocess
    import sys

    nb = tmp_path / "writer.py"
    nb.write_text(SLOW_WRITER)
    results, out = tmp_path / "results", tmp_path / "writer.ipynb"
    results.mkdir()
    script = ("import sys; from dataprints.notebooks import run_notebook; "
              "run_notebook(sys.argv[1], overrides={'tag': sys.argv[2], 'delay': sys.argv[3]}, "
              "output=sys.argv[4], results_dir=sys.argv[5])")

    def start(tag: str, delay: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", script, str(nb), tag, delay, str(out),
                                 str(results)], stderr=subprocess.PIPE, text=True)

    slow = start("slow", "6")
    time.sleep(1.5)
    fast = start("fast", "0")
    errors = [p.communicate(timeout=120)[1] for p in (fast, slow)]
    assert [fast.returncode, slow.returncode] == [0, 0], errors
    assert (results / "first.txt").read_text() == (results / "second.txt").read_text()
    assert out.is_file() and not list(tmp_path.glob(".writer.running*"))
    assert sorted(p.name for p in results.iterdir() if not p.name.endswith(".lock")) == [
        "first.txt", "second.txt"]
