"""The teachers' runtime table comes from the build's runtimes JSON (no typed timings): each
notebook's wall time, the 90-minute session, and which notebooks need a GPU at paper scale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dataprints import book

ROOT = Path(__file__).resolve().parents[1]
GPU_NOTE = f"# ```{{admonition}} {book.GPU_ADMONITION}\n# :class: warning\n# A GPU.\n# ```\n"


def make_root(root: Path) -> Path:
    (root / "_toc.yml").write_text("format: jb-book\nroot: teachers\nchapters:\n"
                                   "  - file: notebooks/00_data_tour\n"
                                   "  - file: notebooks/anomaly/filter_clusters\n")
    (root / "_config.yml").write_text("title: t\nonly_build_toc_files: true\n"
                                      "execute:\n  execute_notebooks: 'off'\n")
    (root / "notebooks" / "anomaly").mkdir(parents=True)
    (root / "notebooks/00_data_tour.py").write_text("# %% [markdown]\n# # Tour\n")
    (root / "notebooks/anomaly/filter_clusters.py").write_text("# %% [markdown]\n# # FC\n"
                                                               + GPU_NOTE)
    for name in ("00_data_tour", "anomaly/filter_clusters"):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}")]
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    (root / "teachers.md").write_text("# Teachers\n\n```{include} _runtimes.md\n```\n")
    return root


def test_table_reads_the_runtimes_json(tmp_path):
    root = make_root(tmp_path)
    text = book.write_runtimes_table(root).read_text()
    assert "No notebook has been executed yet" in text and "not executed yet" in text
    (root / "_build").mkdir()
    (root / book.RUNTIMES).write_text(json.dumps({"profile": "quick", "notebooks": {
        "00_data_tour": {"seconds": 31.4, "cached": False},
        "anomaly/filter_clusters": {"seconds": 150.0, "cached": True}}}))
    text = book.write_runtimes_table(root).read_text()
    assert "| {doc}`/notebooks/00_data_tour` | 31 s | yes | no |" in text
    assert "| {doc}`/notebooks/anomaly/filter_clusters` | 2.5 min | yes | yes |" in text
    assert "*quick* profile" in text and "take 3.0 min to execute in all" in text


@pytest.mark.slow
def test_teachers_page_includes_the_table_without_warnings(tmp_path):
    root = make_root(tmp_path)
    (root / "book").mkdir()
    table = book.write_runtimes_table(root)
    (root / "_runtimes.md").write_text(table.read_text())
    exe = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(exe), "build", str(root), "-W", "--quiet"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    html = (root / "_build/html/teachers.html").read_text()
    assert "Paper profile needs a GPU" in html and "notebooks/00_data_tour.html" in html


def test_every_session_notebook_is_in_the_toc_and_named_on_the_teachers_page():
    toc = set(book.toc_entries(ROOT))
    page = (ROOT / "book/teachers.md").read_text()
    assert "book/teachers" in toc
    for name in book.SESSION:
        assert f"notebooks/{name}" in toc
        assert f"{{doc}}`/notebooks/{name}`" in page
