"""The scorecard is generated from results files; the book's table of contents is read right;
committed results whose code changed are shown as stale."""

from __future__ import annotations

import json
from pathlib import Path

from dataprints import book
from dataprints.provenance import dependencies, fingerprint, staleness
from dataprints.results import Claim, Results

NOTEBOOK = """# %%
from dataprints.ch import run
# %% [markdown]
# prose
"""


def make_root(tmp_path: Path) -> Path:
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: book/ch\n        sections:\n          - file: notebooks/ch/nb\n"
        "      - file: book/scorecard\n")
    pkg = tmp_path / "src" / "dataprints"
    (pkg / "ch").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""pkg"""\n')
    (pkg / "ch" / "__init__.py").write_text("from dataprints.ch.core import run\n")
    (pkg / "ch" / "core.py").write_text('"""core"""\nfrom dataprints import util\n\n\n'
                                        'def run():\n    """Doc."""\n    return 1\n')
    (pkg / "util.py").write_text("X = 1\n")
    (pkg / "other.py").write_text("Y = 2\n")
    (tmp_path / "notebooks" / "ch").mkdir(parents=True)
    (tmp_path / "notebooks" / "ch" / "nb.py").write_text(NOTEBOOK)
    return tmp_path


def save(root: Path, profile: str, ours, monkeypatch, varies: str = "") -> Path:
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(root / "results" / profile))
    monkeypatch.setenv("DATAPRINTS_PROFILE", profile)
    res = Results("ch/nb")
    res.claim(Claim("ch.acc", "Someone et al.", "Table 1", "accuracy is 0.69 | or near",
                    paper_value=0.69, tolerance=0.05, central=True), ours=ours, varies=varies,
              note="" if ours else "no data")
    res.claim(Claim("ch.order", "Someone et al.", "Fig. 2", "A beats B", kind="holds"),
              ours=False)
    res.claim(Claim("ch.range", "Someone et al.", "§3", "scores lie in [0, 1]", kind="sanity"),
              ours=True)
    path = res.save()
    saved = json.loads(path.read_text())
    saved["provenance"].update(fingerprint(root / "notebooks/ch/nb.py", root / "src"))
    path.write_text(json.dumps(saved))
    return path


def test_toc_reading(tmp_path):
    root = make_root(tmp_path)
    assert book.toc_entries(root) == ["book/intro", "book/ch", "notebooks/ch/nb", "book/scorecard"]
    assert book.toc_notebooks(root) == [root / "notebooks/ch/nb.py"]


def test_scorecard_has_three_profiles_the_rule_and_sanity_apart(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    save(root, "quick", 0.70, monkeypatch)
    text = book.write_scorecard(root).read_text()
    assert "**Verdict rule.**" in text and "t-interval" in text
    assert "| quick | 0 | 0 | 0 | 2 | 0 | 0 |" in text  # two single runs, none reproduced
    assert "| reference | 0 | 0 | 0 | 0 | 0 | 2 |" in text
    assert "| 0.69 ± 0.05 | 0.7: single run | not run yet | not run yet |" in text
    assert "## Sanity checks" in text and "| holds: sanity ok |" in text
    save(root, "reference", [0.69, 0.70, 0.68], monkeypatch, varies="training seed")
    text = book.write_scorecard(root).read_text()
    assert "| reference | 1 | 0 | 0 | 1 | 0 | 0 |" in text
    assert "reproduced (3 × training seed)" in text and "*stale*:" not in text


def test_a_changed_notebook_or_module_marks_committed_results_stale(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    path = save(root, "reference", [0.69, 0.70, 0.68], monkeypatch, varies="training seed")
    result = json.loads(path.read_text())
    assert staleness(result, root) is None
    assert result["provenance"]["modules"] == ["dataprints", "dataprints.ch",
                                               "dataprints.ch.core", "dataprints.util"]
    core = root / "src/dataprints/ch/core.py"
    core.write_text(core.read_text().replace('"""Doc."""', '"""Reworded doc."""'))
    (root / "src/dataprints/other.py").write_text("Y = 3\n")  # not imported by the notebook
    nb = root / "notebooks/ch/nb.py"
    nb.write_text(nb.read_text().replace("# prose", "# other prose"))
    assert staleness(result, root) is None  # docs, prose and other modules do not count
    (root / "src/dataprints/util.py").write_text("X = 2\n")
    assert "package code it uses changed" in staleness(result, root)
    text = book.write_scorecard(root).read_text()
    assert "*stale*: package code it uses changed since commit" in text
    nb.write_text(nb.read_text().replace("import run", "import run as go"))
    assert "the notebook's code" in staleness(result, root)


def test_dependencies_follow_imports_inside_the_package(tmp_path):
    root = make_root(tmp_path)
    assert "dataprints.other" not in dependencies("import dataprints.ch", root / "src")
    assert dependencies("import numpy", root / "src") == []


def test_empty_scorecard_says_how_to_fill_it(tmp_path):
    text = book.write_scorecard(make_root(tmp_path)).read_text()
    assert "No results yet" in text


def test_pipes_in_claims_are_escaped(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    save(root, "quick", 0.70, monkeypatch)
    assert r"accuracy is 0.69 \| or near" in book.write_scorecard(root).read_text()
