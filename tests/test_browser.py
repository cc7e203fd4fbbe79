"""The browser check opens pages in headless Chromium: on a tiny book built here it passes the
good page and fails (with a screenshot) the page with an error cell, the page showing NaN, the
page with a missing image, a broken link, and a scorecard that omits a claim."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dataprints import browser
from dataprints.paths import repo_root

pytest.importorskip("playwright")
needs_chromium = pytest.mark.skipif(
    not any(shutil.which(n) for n in browser.CHROMIUM_NAMES),
    reason="needs Debian's chromium (.ci/run installs it)")

# a 1x1 PNG
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
                         "GAhKmMIQAAAABJRU5ErkJggg==")

PAGES = {
    "intro.md": "# Good page\n\nAn image that loads:\n\n![pixel](pixel.png)\n\n"
                "Math stays TeX offline: $a^2$. Next: {doc}`scorecard`.\n",
    "nan.md": "# Means\n\nThe mean was NaN.\n",
    "code.md": "# Code\n\nIn code, `np.nan` is fine:\n\n```python\nx = np.nan\n```\n",
    "noimage.md": "# Missing image\n\n<img src=\"gone.png\" alt=\"gone\">\n",
    "badlink.md": "# Broken link\n\n<a href=\"nowhere.html\">a page that is not there</a>\n",
    "scorecard.md": "# Scorecard\n\n| Where | Claim |\n|---|---|\n"
                    "| Someone, Table 1 | accuracy of *M_base* is near $0.69$ |\n",
}


def error_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cell = nbformat.v4.new_code_cell("1 / 0", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                           evalue="division by zero",
                                           traceback=["ZeroDivisionError: division by zero"])]
    nb.cells = [nbformat.v4.new_markdown_cell("# A page with an error cell"), cell]
    return nb


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tinybook")
    (root / "_config.yml").write_text(
        "title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: 'off'\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n" + "".join(
            f"  - file: {name}\n" for name in ("errorcell", "nan", "code", "noimage",
                                               "badlink", "scorecard")))
    for name, text in PAGES.items():
        (root / name).write_text(text)
    (root / "pixel.png").write_bytes(PIXEL)
    nbformat.write(error_notebook(), root / "errorcell.ipynb")
    exe = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run([str(exe), "build", str(root), "--quiet"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "_build" / "html"


CLAIMS = [{"id": "ch.acc", "statement": "accuracy of *M_base* is near $0.69$"},
          {"id": "ch.gone", "statement": "a claim the scorecard does not show"}]


@pytest.fixture(scope="module")
def checked_site(tiny_book: Path, tmp_path_factory: pytest.TempPathFactory,
                 ) -> dict[str, browser.Page]:
    """One Chromium pass over the tiny book (the slow part), read by both tests below."""
    shots = tmp_path_factory.mktemp("shots")
    return {p.path: p for p in browser.check_site(tiny_book, CLAIMS, scorecard="scorecard.html",
                                                  screenshots=shots)}


@needs_chromium
@pytest.mark.slow
def test_browser_check_fails_each_broken_page_and_keeps_screenshots(checked_site):
    checked = checked_site
    assert set(checked) >= {"intro.html", "errorcell.html", "nan.html", "noimage.html",
                            "badlink.html", "scorecard.html", "genindex.html"}
    assert checked["intro.html"].problems == []  # image loads; MathJax's CDN is let go
    assert checked["code.html"].problems == []  # nan in source code is not an output
    assert checked["intro.html"].screenshot is None
    assert any("error output cell" in p for p in checked["errorcell.html"].problems)
    assert any("'NaN'" in p for p in checked["nan.html"].problems)
    assert any("image does not load" in p and "gone.png" in p
               for p in checked["noimage.html"].problems)
    assert any("nowhere.html is HTTP 404" in p for p in checked["badlink.html"].problems)
    assert checked["scorecard.html"].problems == ["scorecard omits claim ch.gone"]
    for name in ("errorcell.html", "nan.html", "noimage.html", "badlink.html"):
        shot = checked[name].screenshot
        assert shot is not None and shot.is_file() and shot.read_bytes()[:4] == b"\x89PNG"


@needs_chromium
@pytest.mark.slow
def test_command_exits_1_naming_the_error_page(tiny_book, checked_site, tmp_path, capsys,
                                               monkeypatch):
    """The command's part: what it checks, its report and exit code (the pages are the pass
    above, so Chromium runs once for both tests)."""
    calls = []

    def recorded(html, claims=None, scorecard="book/scorecard.html", screenshots=None):
        calls.append((Path(html), claims, scorecard, screenshots))
        return list(checked_site.values())

    monkeypatch.setattr(browser, "check_site", recorded)
    assert browser.main([str(tiny_book), "--screenshots", str(tmp_path)]) == 1
    ((html, claims, scorecard, screenshots),) = calls
    assert html == tiny_book and screenshots == tmp_path and scorecard == "book/scorecard.html"
    assert claims == browser.results_claims(repo_root())  # the repository's claims
    out = capsys.readouterr().out
    assert "FAIL errorcell.html" in out and "FAIL intro.html" not in out
    assert f"of {len(checked_site)} pages fine" in out


def test_pages_leave_theme_assets_out(tmp_path):
    for rel in ("index.html", "book/a.html", "_static/x.html", "_sources/y.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    assert browser.pages(tmp_path) == ["book/a.html", "index.html"]


def test_statements_match_across_markdown_and_rendered_text():
    text = "Someone, Table 1 accuracy of M_base is near \\(0.69\\) 0.7: single run"
    assert browser.missing_claims(text, CLAIMS) == ["ch.gone"]
    quoted = [{"id": "q", "statement": "the paper's \"best\" -- or worst..."}]
    assert browser.missing_claims("as the paper\u2019s \u201cbest\u201d \u2013 or worst\u2026",
                                  quoted) == []


def test_nan_in_any_case_and_tracebacks_count_as_bad_text():
    found = browser.BAD_TEXT.findall("[nan, nan] NaN Traceback (most recent call last) nano")
    assert sorted(set(found)) == ["NaN", "Traceback (most recent call last)", "nan"]
