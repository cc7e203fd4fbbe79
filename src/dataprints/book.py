"""Build the book: execute every notebook in ``_toc.yml``, write the scorecard, render with JB1.

Jupyter Book never executes anything itself (``execute_notebooks: off``): it renders the
notebooks papermill produced, so what the reader sees is exactly what ran.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from dataprints.atomic import atomic_write
from dataprints.notebooks import NotebookFailed, Run, run_notebook
from dataprints.paths import repo_root
from dataprints.results import VERDICTS, load_results

SCORECARD = "book/scorecard.md"  # generated at build time, git-ignored


def toc_entries(root: Path | None = None) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml`` (root first), in reading order."""
    root = root or repo_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text())

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "file" in node:
                yield str(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    yield from walk(child)
        elif isinstance(node, list):
            for child in node:
                yield from walk(child)

    return [str(toc["root"]), *walk(toc)]


def toc_notebooks(root: Path | None = None) -> list[Path]:
    """The jupytext sources of the notebooks in the table of contents."""
    root = root or repo_root()
    return [root / f"{entry}.py" for entry in toc_entries(root) if entry.startswith("notebooks/")]


def execute_all(profile: str = "quick", root: Path | None = None,
                notebooks: list[Path] | None = None) -> list[Run]:
    """Run the book's notebooks in order, printing one line each; stops at the first failure."""
    root = root or repo_root()
    runs = []
    paths = notebooks if notebooks is not None else toc_notebooks(root)
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.relative_to(root)} ...", end=" ", flush=True)
        try:
            run = run_notebook(path, profile)
        except NotebookFailed:
            print("FAILED", flush=True)
            raise
        print(f"{run.seconds:.1f} s", flush=True)
        runs.append(run)
    return runs


def write_scorecard(root: Path | None = None) -> Path:
    """Render every declared claim from the results files into ``book/scorecard.md``: a
    summary per chapter, then one table per notebook (paper value, ours quick, ours paper scale).
    """
    root = root or repo_root()
    by_profile = {p: _claims(root / "results" / p) for p in ("quick", "paper")}
    ids = list(dict.fromkeys([*by_profile["quick"], *by_profile["paper"]]))
    in_toc = toc_entries(root)
    by_notebook: dict[str, list[str]] = {}
    for claim_id in ids:
        claim = by_profile["quick"].get(claim_id) or by_profile["paper"][claim_id]
        by_notebook.setdefault(claim["_notebook"], []).append(claim_id)
    order = {entry: i for i, entry in enumerate(in_toc)}
    notebooks = sorted(by_notebook, key=lambda nb: (order.get(f"notebooks/{nb}", len(order)), nb))
    lines = [
        "# Scorecard",
        "",
        "Every claim the chapters test, generated from the notebooks' results files when the book "
        "was built (nothing here is typed by hand). *Quick* is the CPU miniature this book "
        "executes; *paper scale* comes from committed results of a GPU run, with its provenance, "
        "when one exists. A value claim is *reproduced* when ours lies within the stated "
        "tolerance of the paper's value; a *holds* claim when the statement is true of our run.",
        "",
    ]
    if not ids:
        lines.append("No results yet: run `dataprints book`.")
    totals: dict[str, dict[str, int]] = {}
    for nb in notebooks:
        chapter = nb.split("/")[0] if "/" in nb else nb
        counts = totals.setdefault(chapter, {v: 0 for v in VERDICTS})
        for claim_id in by_notebook[nb]:
            quick = by_profile["quick"].get(claim_id)
            counts[quick["verdict"] if quick else "not run"] += 1
    if totals:
        grand = {v: sum(c[v] for c in totals.values()) for v in VERDICTS}
        summary = ", ".join(f"{n} {v}" for v, n in grand.items())
        lines += [f"At the quick profile: {summary} (of {len(ids)} claims).", "",
                  "| Chapter | " + " | ".join(VERDICTS) + " |", "|---|---|---|---|",
                  *(f"| {_chapter_link(name, order)} | "
                    + " | ".join(str(c[v]) for v in VERDICTS) + " |"
                    for name, c in totals.items()), ""]
    for nb in notebooks:
        link = f"Notebook: {{doc}}`/notebooks/{nb}`" if f"notebooks/{nb}" in order else ""
        lines += [f"## {nb}", "", link, "",
                  "| Where | Claim | Paper | Ours, quick | Ours, paper scale |",
                  "|---|---|---|---|---|"]
        for claim_id in by_notebook[nb]:
            quick = by_profile["quick"].get(claim_id)
            paper = by_profile["paper"].get(claim_id)
            claim = quick or paper
            assert claim is not None
            cells = [f"{claim['paper']}, {claim['where']}", claim["statement"],
                     _paper_value(claim), _ours(quick),
                     _ours(paper) if paper else "not run yet"]
            lines.append("| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |")
        lines.append("")
    text = "\n".join(lines) + "\n"
    out = root / SCORECARD
    return atomic_write(out, lambda tmp: tmp.write_text(text))


def _chapter_link(chapter: str, order: dict[str, int]) -> str:
    return f"{{doc}}`/book/{chapter}`" if f"book/{chapter}" in order else chapter


def _claims(folder: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return out
    for result in load_results(folder):
        for claim in result.get("claims", []):
            out[claim["id"]] = {**claim, "_notebook": result["notebook"]}
    return out


def _paper_value(claim: dict[str, Any]) -> str:
    if claim["kind"] == "holds":
        return "holds"
    return f"{_fmt(claim['paper_value'])} ± {_fmt(claim['tolerance'])}"


def _ours(claim: dict[str, Any] | None) -> str:
    if claim is None:
        return "—"
    ours = claim["ours"]
    shown = "" if ours is None else ("yes" if ours is True else "no" if ours is False
                                     else _fmt(ours))
    note = f" ({claim['note']})" if claim.get("note") else ""
    verdict = f"**{claim['verdict']}**" if claim["verdict"] == "differs" else claim["verdict"]
    return f"{shown} {verdict}{note}".strip()


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render(root: Path | None = None) -> Path:
    """Run ``jupyter-book build`` on the repository (no execution); fails on any warning."""
    root = root or repo_root()
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.is_file() else (shutil.which("jupyter-book") or "jupyter-book"),
           "build", str(root), "-W", "--keep-going"]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {done.returncode}); see the log "
                           f"above and {root / '_build/html/reports'}")
    print(f"book rendered in {time.perf_counter() - start:.1f} s: "
          f"{root / '_build/html/index.html'}")
    return root / "_build" / "html" / "index.html"
