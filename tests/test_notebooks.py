"""The notebooks: static checks on every one, and each executed at its smoke parameters."""

from __future__ import annotations

import time
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


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=key)
def test_notebook_runs_at_smoke_parameters(path, tmp_path):
    run = run_notebook(path, "smoke", output=tmp_path / "out.ipynb", results_dir=tmp_path)
    outputs = [o for cell in nbformat.read(run.output, 4).cells for o in cell.get("outputs", [])]
    if "plt.show()" in path.read_text():
        assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was rendered"
    warnings = [o["text"] for o in outputs if o.get("name") == "stderr" and "Warning" in o["text"]]
    assert not warnings, f"the notebook printed warnings: {warnings}"
    assert list(tmp_path.glob("**/*.json")), "the notebook saved no results"


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
