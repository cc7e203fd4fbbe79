"""`dataprints book` skips a notebook whose execution key is unchanged, reruns it when its
source, profile parameters, package code, data or results files changed, and logs one clean
line per notebook (no kernel or papermill noise, even with two kernels at once)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dataprints import book, notebooks

NOTEBOOK = '''# ---
# jupyter:
#   kernelspec: {display_name: Python 3, language: python, name: python3}
# ---

# %% [markdown]
# # A tiny page

# %% tags=["parameters"]
n: int = 2  # a number, 0 = none [[0..]]

# %%
import os
from pathlib import Path
out = Path(os.environ["DATAPRINTS_RESULTS_DIR"]) / "ch"
out.mkdir(parents=True, exist_ok=True)
(out / "nb.json").write_text(f'{{"notebook": "ch/nb", "n": {n}}}')
print("n is", n)
'''


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n"
                                       "  - file: notebooks/ch/nb\n")
    (tmp_path / "notebooks" / "ch").mkdir(parents=True)
    (tmp_path / "notebooks" / "ch" / "nb.py").write_text(NOTEBOOK)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "reference.yaml").write_text("notebooks/ch/nb.py: {n: 5}\n")
    (tmp_path / "src" / "dataprints").mkdir(parents=True)
    (tmp_path / "src" / "dataprints" / "core.py").write_text("X = 1\n")
    monkeypatch.setattr(notebooks, "repo_root", lambda: tmp_path)
    monkeypatch.setattr(book, "repo_root", lambda: tmp_path)
    return tmp_path


def test_second_build_skips_unchanged_notebooks_and_reruns_on_any_change(root, capfd):
    nb = root / "notebooks/ch/nb.py"
    result = root / "results/quick/ch/nb.json"
    first = book.execute_all(root=root)
    assert [r.cached for r in first] == [False] and result.is_file()
    record = json.loads(book.record_path(nb.with_suffix(".ipynb")).read_text())
    assert set(record["key"]) == {"notebook", "parameters", "package", "data", "libraries"}
    assert list(record["results"]) == ["ch/nb.json"]

    again = book.execute_all(root=root)
    assert [r.cached for r in again] == [True]
    assert again[0].seconds == pytest.approx(record["seconds"], abs=0.01)
    out = capfd.readouterr()
    lines = [line for line in out.out.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and lines[0].endswith(" s") and "unchanged, not rerun" in lines[1]
    for noise in ("IPKernelApp", "without encryption", "Unable to parse", "unknown parameter"):
        assert noise not in out.out + out.err, out.err

    runtimes = json.loads((root / book.RUNTIMES).read_text())
    assert runtimes["profile"] == "quick"
    assert runtimes["notebooks"]["ch/nb"]["cached"] is True

    def reran() -> bool:
        return not book.execute_all(root=root)[0].cached

    (root / "src/dataprints/core.py").write_text("X = 2\n")  # package source
    assert reran() and not reran()
    nb.write_text(nb.read_text().replace("# # A tiny page", "# # A tiny page, reworded"))
    assert reran() and not reran()  # prose is rendered from the executed notebook too
    result.write_text("{}")  # a results file changed behind the book's back
    assert reran() and json.loads(result.read_text())["n"] == 2
    result.unlink()
    assert reran() and result.is_file()
    assert not reran()
    assert not book.execute_all(root=root, force=True)[0].cached


def test_profile_parameters_and_data_are_part_of_the_key(root, monkeypatch):
    nb = root / "notebooks/ch/nb.py"
    quick = book.execution_key(nb, "quick", root)
    reference = book.execution_key(nb, "reference", root)
    assert quick["parameters"] != reference["parameters"]
    (root / "profiles/reference.yaml").write_text("notebooks/ch/nb.py: {n: 6}\n")
    assert book.execution_key(nb, "reference", root)["parameters"] != reference["parameters"]
    mirror = root / "mirror"
    mirror.mkdir()
    (mirror / "SHA256SUMS").write_text("abc  mnist/train.npz\n")
    monkeypatch.setenv("DATAPRINTS_DATA", str(mirror))
    with_mirror = book.execution_key(nb, "quick", root)["data"]
    (mirror / "SHA256SUMS").write_text("abd  mnist/train.npz\n")
    assert book.execution_key(nb, "quick", root)["data"] != with_mirror != quick["data"]


def test_two_kernels_at_once_log_nothing_and_do_not_collide(tmp_path):
    """Each run has its own socket folder: two notebooks executed at the same time both
    succeed, with their own outputs, and neither process prints kernel warnings."""
    for tag in ("a", "b"):
        (tmp_path / tag).mkdir()
        (tmp_path / tag / "nb.py").write_text(NOTEBOOK)
    script = ("import sys; from dataprints.notebooks import run_notebook; "
              "run_notebook(sys.argv[1], overrides={'n': sys.argv[2]}, "
              "output=sys.argv[3], results_dir=sys.argv[4])")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / tag / "nb.py"),
                               n, str(tmp_path / tag / "nb.ipynb"), str(tmp_path / tag)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag, n in (("a", "3"), ("b", "4"))]
    logs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs
    assert all(out == "" and err == "" for out, err in logs), logs
    for tag, n in (("a", 3), ("b", 4)):
        assert json.loads((tmp_path / tag / "ch/nb.json").read_text())["n"] == n


@pytest.mark.slow
def test_dataprints_book_twice_renders_the_second_time_without_executing(root, monkeypatch,
                                                                         capsys):
    """The whole command on a tiny book: the second run executes nothing, re-renders
    incrementally and writes the teachers' runtime table from the first run's times."""
    import time

    from dataprints import cli

    (root / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\n"
                                      "execute:\n  execute_notebooks: 'off'\n")
    (root / "book").mkdir()
    (root / "book/intro.md").write_text("# Intro\n\n```{include} _runtimes.md\n```\n")
    monkeypatch.delenv(book.REPOSITORY_ENV, raising=False)
    assert cli.main(["book"]) == 0
    first = capsys.readouterr().out
    assert "executed 1 notebooks" in first and "book rendered" in first

    def no_kernel(*args, **kwargs):
        raise AssertionError("an unchanged notebook was executed again")

    monkeypatch.setattr(book, "run_notebook", no_kernel)
    start = time.perf_counter()
    assert cli.main(["book"]) == 0
    took = time.perf_counter() - start
    second = capsys.readouterr().out
    assert "executed 0 notebooks" in second and "1 unchanged" in second
    assert took < 30, f"second build took {took:.1f} s"
    html = (root / "_build/html/book/intro.html").read_text()
    assert "notebooks/ch/nb" in html and "not executed yet" not in html
    with pytest.raises(AssertionError, match="executed again"):
        cli.main(["book", "--force"])
