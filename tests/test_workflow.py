"""The GitHub Actions workflow cannot run here, so it is linted (actionlint) and read: it runs
README's two commands, caches models and executed notebooks, and publishes _build/html."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def actionlint() -> str | None:
    beside = Path(sys.executable).with_name("actionlint")
    return str(beside) if beside.is_file() else shutil.which("actionlint")


@pytest.mark.skipif(actionlint() is None, reason="actionlint is in the test extra")
def test_workflow_passes_actionlint():
    done = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_runs_readme_commands_caches_and_publishes():
    flow = yaml.safe_load(WORKFLOW.read_text())
    assert flow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as True
    steps = flow["jobs"]["build"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    readme = (ROOT / "README.md").read_text()
    assert runs == ["make book", "make test"]
    assert all(f"{cmd}   #" in readme or f"{cmd}  #" in readme for cmd in runs)
    cached = " ".join(s["with"]["path"] for s in steps if s.get("uses", "").startswith(
        "actions/cache"))
    assert ".cache" in cached and "notebooks/**/*.ipynb" in cached
    assert "notebooks/**/*.execution.json" in cached and "results/quick" in cached
    pages = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert pages and pages[0]["with"]["path"] == "_build/html"
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")


def test_ci_checks_the_built_pages_after_make_book_without_rebuilding():
    script = (ROOT / ".ci" / "run").read_text()
    steps = [line.strip() for line in script.splitlines() if line.strip().startswith("make ")]
    assert steps == ["make book", "make check-html", "make lint", "make test"]
    assert "apt-get install -y -qq chromium" in script  # Playwright drives Debian's Chromium
    makefile = (ROOT / "Makefile").read_text()
    check = makefile.split("check-html:", 1)[1].split("\n\n", 1)[0]
    assert "dataprints.browser" in check and "dataprints book" not in check
