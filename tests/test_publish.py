"""Launch buttons: none while no public repository is configured; Binder and Colab (and the
repository button) once DATAPRINTS_REPOSITORY_URL names one. The download button stays."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dataprints import book


def tiny(root: Path) -> Path:
    (root / "_config.yml").write_text(
        "title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n"
        "html:\n  use_download_button: true\n")
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: notebooks/nb\n")
    (root / "intro.md").write_text("# Intro\n")
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook"),
                nbformat.v4.new_code_cell("1 + 1", execution_count=1)]
    nbformat.write(nb, root / "notebooks" / "nb.ipynb")
    return root


@pytest.mark.slow
def test_launch_buttons_only_with_a_repository(tmp_path, monkeypatch):
    root = tiny(tmp_path)
    monkeypatch.delenv(book.REPOSITORY_ENV, raising=False)
    assert book.publish_config(root) is None
    page = book.render(root).parent / "notebooks" / "nb.html"
    html = page.read_text()
    assert "mybinder.org" not in html and "colab.research.google.com" not in html
    assert "executablebooks/jupyter-book" not in html  # JB1's default repository
    assert "btn-download-source-button" in html or "download" in html.lower()

    monkeypatch.setenv(book.REPOSITORY_ENV, "https://github.com/someone/dataprints")
    html = book.render(root).parent.joinpath("notebooks", "nb.html").read_text()
    assert ("https://mybinder.org/v2/gh/someone/dataprints/main?urlpath=lab/tree/"
            "notebooks/nb.ipynb") in html
    assert "colab.research.google.com/github/someone/dataprints/blob/main/notebooks/nb.ipynb" \
        in html
    assert "https://github.com/someone/dataprints" in html


def test_a_malformed_repository_url_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(book.REPOSITORY_ENV, "github.com/someone")
    with pytest.raises(ValueError, match="OWNER/REPO"):
        book.publish_config(tiny(tmp_path))


def test_pages_are_fully_rebuilt_only_when_what_they_read_changed(tmp_path, monkeypatch):
    """An unchanged book renders incrementally (Sphinx tracks the page sources itself); a
    changed results file or package module, or a failed render, forces --all."""
    import subprocess

    root = tiny(tmp_path)
    (root / "src" / "dataprints").mkdir(parents=True)
    (root / "src/dataprints/sphinxext.py").write_text("X = 1\n")
    (root / "results/quick/ch").mkdir(parents=True)
    (root / "results/quick/ch/nb.json").write_text("{}")
    calls: list[list[str]] = []
    code = [0]
    monkeypatch.setattr(book.subprocess, "run", lambda cmd, cwd: calls.append(cmd) or
                        subprocess.CompletedProcess(cmd, code[0]))
    monkeypatch.delenv(book.REPOSITORY_ENV, raising=False)

    def full() -> bool:
        book.render(root)
        return "--all" in calls[-1]

    assert full() and not full() and not full()
    (root / "results/quick/ch/nb.json").write_text('{"a": 1}')
    assert full() and not full()
    (root / "src/dataprints/sphinxext.py").write_text("X = 2\n")
    assert full() and not full()
    code[0] = 1
    with pytest.raises(RuntimeError):
        book.render(root)
    code[0] = 0
    assert full()
