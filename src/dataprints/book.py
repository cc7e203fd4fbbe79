"""Build the book: execute every notebook in ``_toc.yml``, write the scorecard, render with JB1.

Jupyter Book never executes anything itself (``execute_notebooks: off``): it renders the
notebooks papermill produced, so what the reader sees is exactly what ran.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from dataprints.atomic import atomic_write, write_json
from dataprints.notebooks import NotebookFailed, Run, notebook_key, profile_overrides, run_notebook
from dataprints.paths import repo_root
from dataprints.results import RULE, VERDICTS, load_results, show_ours

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


EXECUTION_RECORD = ".execution.json"  # beside each executed notebook: <name>.execution.json
RUNTIMES = "_build/runtimes.json"  # every notebook's last wall time, written by execute_all
PACKAGE_VERSIONS = ("torch", "torchvision", "numpy", "scikit-learn", "scikit-image", "scipy",
                    "matplotlib", "pandas", "papermill", "ipykernel")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_hash(src: Path) -> str:
    """One hash over every file of the package source (code and data files alike): any edit
    there may change what a notebook computes or prints."""
    digest = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            digest.update(path.relative_to(src).as_posix().encode() + b"\0")
            digest.update(_sha256(path.read_bytes()).encode())
    return digest.hexdigest()


def data_hash() -> str:
    """The dataset mirror's checksum list (every data file is verified against it), or a note
    that data come from torchvision's checksummed downloads."""
    from dataprints.paths import mirror_dir

    mirror = mirror_dir()
    sums = mirror / "SHA256SUMS" if mirror else None
    if sums is not None and sums.is_file():
        return _sha256(sums.read_bytes())
    return "no mirror: torchvision downloads, verified by torchvision"


def execution_key(path: Path, profile: str, root: Path | None = None) -> dict[str, str]:
    """What a notebook's executed form depends on: its source text (code and prose, both
    rendered), the parameters its profile sets, the package source, the data checksums and
    the versions of the libraries doing the work."""
    from importlib.metadata import PackageNotFoundError, version

    root = root or repo_root()
    params = {"profile": profile, **profile_overrides(path, profile, root)}

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "absent"

    return {
        "notebook": _sha256(Path(path).read_bytes()),
        "parameters": _sha256(json.dumps(params, sort_keys=True, default=str).encode()),
        "package": package_hash(root / "src"),
        "data": data_hash(),
        "libraries": ", ".join(f"{n} {installed(n)}" for n in PACKAGE_VERSIONS),
    }


def record_path(output: Path) -> Path:
    """Where the execution key of an executed notebook is kept: beside it."""
    return Path(output).with_suffix(EXECUTION_RECORD)


def cached_run(path: Path, profile: str, root: Path | None = None) -> Run | None:
    """The last successful run of ``path`` at ``profile`` when nothing it depends on changed
    and the executed notebook and every results file it wrote are still there, unchanged;
    else None."""
    root = root or repo_root()
    output = Path(path).with_suffix(".ipynb")
    record_file = record_path(output)
    results_dir = root / "results" / profile
    if not (output.is_file() and record_file.is_file()):
        return None
    try:
        record = json.loads(record_file.read_text())
    except json.JSONDecodeError:
        return None
    if record.get("key") != execution_key(path, profile, root):
        return None
    if record.get("executed") != _sha256(output.read_bytes()):
        return None
    for name, digest in record.get("results", {}).items():
        file = results_dir / name
        if not file.is_file() or _sha256(file.read_bytes()) != digest:
            return None
    return Run(Path(path), output, results_dir, profile, float(record["seconds"]),
               tuple(record.get("results", {})), cached=True)


def write_record(run: Run, key: dict[str, str]) -> Path:
    """Store the key of a successful run beside its executed notebook, with the results
    files it wrote (and their hashes) and its wall time."""
    record = {
        "key": key, "profile": run.profile, "seconds": round(run.seconds, 2),
        "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "executed": _sha256(run.output.read_bytes()),
        "results": {name: _sha256((run.results_dir / name).read_bytes()) for name in run.files},
    }
    return write_json(record_path(run.output), record)


def execute_all(profile: str = "quick", root: Path | None = None,
                notebooks: list[Path] | None = None, force: bool = False) -> list[Run]:
    """Run the book's notebooks in order, printing one line each, skipping those whose
    execution key is unchanged (unless ``force``); stops at the first failure. Writes every
    notebook's wall time to :data:`RUNTIMES`."""
    root = root or repo_root()
    runs = []
    paths = notebooks if notebooks is not None else toc_notebooks(root)
    width = max((len(str(p.relative_to(root))) for p in paths), default=0)
    for i, path in enumerate(paths, 1):
        name = str(path.relative_to(root))
        print(f"[{i:>2}/{len(paths)}] {name:<{width}} ", end="", flush=True)
        run = None if force else cached_run(path, profile, root)
        if run is not None:
            print(f"unchanged, not rerun (took {run.seconds:.1f} s)", flush=True)
            runs.append(run)
            continue
        key = execution_key(path, profile, root)
        try:
            run = run_notebook(path, profile)
        except NotebookFailed:
            print("FAILED", flush=True)
            raise
        write_record(run, key)
        print(f"{run.seconds:.1f} s", flush=True)
        runs.append(run)
    write_runtimes(runs, profile, root)
    return runs


def write_runtimes(runs: list[Run], profile: str, root: Path | None = None) -> Path:
    """``{"profile": ..., "notebooks": {notebook: {"seconds", "cached"}}}``: the wall time of
    each notebook's last execution (for a skipped one, the run it kept)."""
    root = root or repo_root()
    table = {notebook_key(r.notebook, root).removeprefix("notebooks/").removesuffix(".py"):
             {"seconds": round(r.seconds, 1), "cached": r.cached} for r in runs}
    return write_json(root / RUNTIMES, {"profile": profile, "notebooks": table})


RUNTIMES_TABLE = "book/_runtimes.md"  # generated, included by book/teachers.md
GPU_ADMONITION = "Needs a GPU at paper scale"  # the admonition title a notebook carries
# the notebooks of the teachers' page's 90-minute session, in teaching order
SESSION = ("00_data_tour", "filters/argument_and_toy_layer", "filters/filter_updates_and_metrics",
           "anomaly/filter_clusters", "frequency/synthetic_spectra")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def write_runtimes_table(root: Path | None = None) -> Path:
    """The teachers' table, from :data:`RUNTIMES`: each notebook's wall time in the last
    execution, whether it belongs to the 90-minute session, and whether its paper profile
    needs a GPU (the notebook carries the :data:`GPU_ADMONITION` admonition)."""
    root = root or repo_root()
    file = root / RUNTIMES
    recorded = json.loads(file.read_text()) if file.is_file() else {"profile": None,
                                                                  "notebooks": {}}
    times = recorded["notebooks"]
    lines = ["| Notebook | Wall time | In the session | Paper profile needs a GPU |",
             "|---|---|---|---|"]
    session_total = 0.0
    for path in toc_notebooks(root):
        name = notebook_key(path, root).removeprefix("notebooks/").removesuffix(".py")
        entry = times.get(name)
        shown = _duration(entry["seconds"]) if entry else "not executed yet"
        if entry and name in SESSION:
            session_total += entry["seconds"]
        gpu = "yes" if GPU_ADMONITION in path.read_text() else "no"
        lines.append(f"| {{doc}}`/notebooks/{name}` | {shown} | "
                     f"{'yes' if name in SESSION else ''} | {gpu} |")
    if recorded["profile"]:
        intro = (f"Wall times of the last execution at the *{recorded['profile']}* profile "
                 f"on the machine that built this book (a notebook that was unchanged keeps "
                 f"the time of the run it reused). The session's notebooks take "
                 f"{_duration(session_total)} to execute in all.")
    else:
        intro = "No notebook has been executed yet: run `make book`."
    text = intro + "\n\n" + "\n".join(lines) + "\n"
    return atomic_write(root / RUNTIMES_TABLE, lambda tmp: tmp.write_text(text))


PROFILES_SHOWN = ("quick", "reference", "paper")
PROFILE_NOTE = {
    "quick": "the CPU miniature this book executes (single runs)",
    "reference": "about an hour per chapter on 2 CPU cores, with seeds; committed results",
    "paper": "the paper's own scale on a GPU; committed results",
}


def collect_claims(root: Path | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{profile: {claim id: claim}}`` from ``results/<profile>/``; each claim carries its
    notebook (``_notebook``) and, for committed profiles, why its file is stale (``_stale``)."""
    from dataprints.provenance import staleness

    root = root or repo_root()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for profile in PROFILES_SHOWN:
        claims: dict[str, dict[str, Any]] = {}
        folder = root / "results" / profile
        for result in load_results(folder) if folder.is_dir() else []:
            stale = staleness(result, root) if profile != "quick" else None
            for claim in result.get("claims", []):
                claims[claim["id"]] = {**claim, "_notebook": result["notebook"],
                                       "_stale": stale}
        out[profile] = claims
    return out


def write_scorecard(root: Path | None = None) -> Path:
    """Render every declared claim from the results files into ``book/scorecard.md``: the
    verdict rule, counts per profile and chapter, then one table per notebook (paper value,
    ours at quick, reference and paper scale); sanity checks in a section of their own."""
    root = root or repo_root()
    by_profile = collect_claims(root)
    ids = list(dict.fromkeys(i for p in PROFILES_SHOWN for i in by_profile[p]))
    order = {entry: i for i, entry in enumerate(toc_entries(root))}
    by_notebook: dict[str, list[str]] = {}
    for claim_id in ids:
        claim = next(by_profile[p][claim_id] for p in PROFILES_SHOWN if claim_id in by_profile[p])
        by_notebook.setdefault(claim["_notebook"], []).append(claim_id)
    notebooks = sorted(by_notebook, key=lambda nb: (order.get(f"notebooks/{nb}", len(order)), nb))
    kind = {i: next(by_profile[p][i]["kind"] for p in PROFILES_SHOWN if i in by_profile[p])
            for i in ids}
    lines = [
        "# Scorecard",
        "",
        "Every claim the chapters test, generated from the notebooks' results files when the book "
        "was built (nothing here is typed by hand). Three profiles: "
        + "; ".join(f"*{p}*, {PROFILE_NOTE[p]}" for p in PROFILES_SHOWN) + ". A committed result "
        "whose notebook or package code changed since it was produced is marked *stale*, with "
        "the commit it came from.",
        "",
        f"**Verdict rule.** {RULE}",
        "",
    ]
    if not ids:
        lines.append("No results yet: run `dataprints book`.")
    tested = [i for i in ids if kind[i] != "sanity"]
    if tested:
        lines += [f"Claims tested against the papers: {len(tested)}; sanity checks: "
                  f"{len(ids) - len(tested)}.", "",
                  "| Profile | " + " | ".join(VERDICTS) + " |",
                  "|---|" + "---|" * len(VERDICTS)]
        for profile in PROFILES_SHOWN:
            counts = _counts(by_profile[profile], tested)
            lines.append(f"| {profile} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |")
        lines += ["", "Per chapter (reproduced / inconclusive / differs / single run / not "
                  "applicable / not run):", "",
                  "| Chapter | " + " | ".join(PROFILES_SHOWN) + " |",
                  "|---|" + "---|" * len(PROFILES_SHOWN)]
        chapters = list(dict.fromkeys(nb.split("/")[0] for nb in notebooks))
        for chapter in chapters:
            mine = [i for nb in notebooks if nb.split("/")[0] == chapter
                    for i in by_notebook[nb] if kind[i] != "sanity"]
            if not mine:
                continue
            cells = [" / ".join(str(c) for c in _counts(by_profile[p], mine).values())
                     for p in PROFILES_SHOWN]
            lines.append(f"| {_chapter_link(chapter, order)} | " + " | ".join(cells) + " |")
        lines.append("")
    header = ["| Where | Claim | Paper | " + " | ".join(p.capitalize() for p in PROFILES_SHOWN)
              + " |", "|---|---|---|" + "---|" * len(PROFILES_SHOWN)]
    sanity_rows: list[str] = []
    for nb in notebooks:
        rows = []
        for claim_id in by_notebook[nb]:
            claim = next(by_profile[p][claim_id] for p in PROFILES_SHOWN
                         if claim_id in by_profile[p])
            cells = [f"{claim['paper']}, {claim['where']}", claim["statement"],
                     _paper_value(claim),
                     *(describe_claim(by_profile[p].get(claim_id)) for p in PROFILES_SHOWN)]
            row = "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"
            (sanity_rows if claim["kind"] == "sanity" else rows).append(row)
        if rows:
            link = f"Notebook: {{doc}}`/notebooks/{nb}`" if f"notebooks/{nb}" in order else ""
            lines += [f"## {nb}", "", link, "", *header, *rows, ""]
    if sanity_rows:
        lines += ["## Sanity checks", "",
                  "True by construction, or checks of our own implementation: they show the code "
                  "does what it says, not that a paper holds, and are never counted above.", "",
                  *header, *sanity_rows, ""]
    text = "\n".join(lines) + "\n"
    out = root / SCORECARD
    return atomic_write(out, lambda tmp: tmp.write_text(text))


def _counts(claims: dict[str, dict[str, Any]], ids: list[str]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for claim_id in ids:
        claim = claims.get(claim_id)
        counts[claim["verdict"] if claim else "not run"] += 1
    return counts


def _chapter_link(chapter: str, order: dict[str, int]) -> str:
    return f"{{doc}}`/book/{chapter}`" if f"book/{chapter}" in order else chapter


def _paper_value(claim: dict[str, Any]) -> str:
    if claim["kind"] != "value":
        return "holds"
    return f"{_fmt(claim['paper_value'])} ± {_fmt(claim['tolerance'])}"


def describe_claim(claim: dict[str, Any] | None) -> str:
    """Our value and verdict for one recorded claim, as a table cell or inline text."""
    if claim is None:
        return "not run yet"
    verdict = claim["verdict"]
    shown = show_ours(claim)
    text = verdict if shown == "—" else f"{shown}: {verdict}"
    if verdict in ("differs", "sanity failed"):
        text = text.replace(verdict, f"**{verdict}**")
    note = re.sub(r"\bnan\b", "n/a", claim.get("note") or "")  # e.g. a one-seed bootstrap
    extra = [x for x in (claim.get("varies") and f"{claim['n']} × {claim['varies']}", note) if x]
    if claim.get("_stale"):
        extra.append(f"*stale*: {claim['_stale']}")
    return f"{text} ({'; '.join(extra)})" if extra else text



def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


REPOSITORY_ENV = "DATAPRINTS_REPOSITORY_URL"  # e.g. https://github.com/OWNER/REPO, once public
BRANCH_ENV = "DATAPRINTS_REPOSITORY_BRANCH"  # default main
LAUNCH_BUTTONS = {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
                  "colab_url": "https://colab.research.google.com"}


def publish_config(root: Path | None = None) -> Path | None:
    """With :data:`REPOSITORY_ENV` set, ``_config.yml`` plus the repository and Binder/Colab
    launch buttons, written to ``_build/_config.published.yml`` for the build; None without
    it (Jupyter Book 1 would otherwise point every button at its own repository, and an empty
    URL makes the theme fail)."""
    root = root or repo_root()
    url = os.environ.get(REPOSITORY_ENV, "").strip().rstrip("/")
    if not url:
        return None
    if not re.fullmatch(r"https://(github\.com|gitlab\.com)/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"{REPOSITORY_ENV}={url!r}: expected https://github.com/OWNER/REPO")
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["repository"] = {"url": url, "path_to_book": "",
                            "branch": os.environ.get(BRANCH_ENV, "").strip() or "main"}
    config["html"] = {**config.get("html", {}), "use_repository_button": True,
                      "use_issues_button": True}
    config["launch_buttons"] = dict(LAUNCH_BUTTONS)
    out = root / "_build" / "_config.published.yml"
    text = yaml.safe_dump(config, sort_keys=False)
    return atomic_write(out, lambda tmp: tmp.write_text(text))


RENDER_KEY = "_build/.render-key"  # what the pages were last rendered from


def render_key(root: Path | None = None) -> str:
    """What the rendered pages depend on beyond their own sources (which Sphinx tracks): the
    results files the roles, verdict boxes and scorecard read, the package code that renders
    them, and the repository URL of the launch buttons."""
    root = root or repo_root()
    digest = hashlib.sha256(package_hash(root / "src").encode())
    results = root / "results"
    for path in sorted(results.rglob("*")) if results.is_dir() else []:
        if path.is_file() and not any(part.startswith(".") for part in path.parts[-2:]):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(_sha256(path.read_bytes()).encode())
    digest.update(os.environ.get(REPOSITORY_ENV, "").encode())
    return digest.hexdigest()


def render(root: Path | None = None, full: bool | None = None) -> Path:
    """Run ``jupyter-book build`` on the repository (no execution); fails on any warning.

    ``full`` rebuilds every page (``--all``); by default only when :func:`render_key` changed
    since the last successful render, since otherwise Sphinx's own tracking of sources is
    enough and an unchanged book renders in seconds."""
    root = root or repo_root()
    key = render_key(root)
    previous = root / RENDER_KEY
    if full is None:
        full = not (previous.is_file() and previous.read_text() == key)
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.is_file() else (shutil.which("jupyter-book") or "jupyter-book"),
           "build", str(root), "-W", "--keep-going", *(["--all"] if full else [])]
    published = publish_config(root)
    if published is not None:
        cmd += ["--config", str(published)]
    start = time.perf_counter()
    previous.unlink(missing_ok=True)  # a failed or interrupted render forces a full one
    done = subprocess.run(cmd, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed (exit {done.returncode}); see the log "
                           f"above and {root / '_build/html/reports'}")
    atomic_write(previous, lambda tmp: tmp.write_text(key))
    print(f"book rendered in {time.perf_counter() - start:.1f} s: "
          f"{root / '_build/html/index.html'}")
    return root / "_build" / "html" / "index.html"
