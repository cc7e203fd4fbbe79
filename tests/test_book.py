"""The scorecard is generated from results files; the book's table of contents is read right."""

from __future__ import annotations

from pathlib import Path

from dataprints import book
from dataprints.results import Claim, Results


def make_root(tmp_path: Path) -> Path:
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: book/ch\n        sections:\n          - file: notebooks/ch/nb\n"
        "      - file: book/scorecard\n")
    return tmp_path


def save(root: Path, profile: str, ours: float | None, monkeypatch) -> None:
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(root / "results" / profile))
    monkeypatch.setenv("DATAPRINTS_PROFILE", profile)
    res = Results("ch/nb")
    res.claim(Claim("ch.acc", "Someone et al.", "Table 1", "accuracy is 0.69 | or near",
                    paper_value=0.69, tolerance=0.05), ours=ours, note="" if ours else "no data")
    res.claim(Claim("ch.order", "Someone et al.", "Fig. 2", "A beats B", kind="holds"),
              ours=False)
    res.save()


def test_toc_reading(tmp_path):
    root = make_root(tmp_path)
    assert book.toc_entries(root) == ["book/intro", "book/ch", "notebooks/ch/nb", "book/scorecard"]
    assert book.toc_notebooks(root) == [root / "notebooks/ch/nb.py"]


def test_scorecard_shows_quick_and_paper_values(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    save(root, "quick", 0.70, monkeypatch)
    text = book.write_scorecard(root).read_text()
    assert "1 reproduced, 1 differs, 0 not run (of 2 claims)" in text
    assert "| {doc}`/book/ch` | 1 | 1 | 0 |" in text
    assert "## ch/nb\n\nNotebook: {doc}`/notebooks/ch/nb`" in text
    assert "| 0.69 ± 0.05 | 0.7 reproduced | not run yet |" in text
    assert "| holds | no **differs** |" in text
    save(root, "paper", None, monkeypatch)
    text = book.write_scorecard(root).read_text()
    assert "| 0.7 reproduced | not run (no data) |" in text


def test_empty_scorecard_says_how_to_fill_it(tmp_path):
    text = book.write_scorecard(make_root(tmp_path)).read_text()
    assert "No results yet" in text


def test_pipes_in_claims_are_escaped(tmp_path, monkeypatch):
    root = make_root(tmp_path)
    save(root, "quick", 0.70, monkeypatch)
    assert r"accuracy is 0.69 \| or near" in book.write_scorecard(root).read_text()
