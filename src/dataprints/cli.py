"""Command line: ``dataprints list | run NOTEBOOK [-p NAME VALUE] | book | diagnose | sweep``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from dataprints.diagnostics import command as diagnose_command
from dataprints.notebooks import PROFILES, NotebookFailed, ParameterError
from dataprints.sweep import command as sweep_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dataprints", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="show the book's notebooks and their parameters")

    run = sub.add_parser("run", help="execute one notebook with papermill")
    run.add_argument("notebook", type=Path, help="a notebooks/**/*.py file")
    run.add_argument("--profile", choices=PROFILES, default="quick",
                     help="quick = the notebook's defaults (CPU, CI); reference = profiles/"
                     "reference.yaml (about an hour per chapter on 2 CPU cores, seeds); paper = "
                     "profiles/paper.yaml (a GPU)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="override one parameter (repeatable)")
    run.add_argument("-o", "--output", type=Path, help="executed notebook path "
                     "(default: beside the source, where the book renders it)")

    book = sub.add_parser("book", help="execute every notebook in _toc.yml, then build the HTML")
    book.add_argument("--profile", choices=PROFILES, default="quick")
    book.add_argument("--no-execute", action="store_true",
                      help="render the notebooks executed earlier without running them again")
    book.add_argument("--force", action="store_true",
                      help="rerun every notebook, even those whose source, parameters, package "
                      "code and data are unchanged since their last successful run")

    diagnose_command.add_arguments(sub.add_parser(
        "diagnose", help="run the four diagnostics on your own trained model; write a report"))
    sweep_command.add_arguments(sub.add_parser(
        "sweep", help="train a notebook's runs here, on Slurm or on Ray, into the cache"))

    args = parser.parse_args(argv)
    # SIGTERM as an exception, so that a killed run removes its temporary files
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if args.command == "list":
            return _list()
        if args.command == "run":
            return _run(args.notebook, args.profile, _overrides(args.parameter), args.output)
        if args.command == "diagnose":
            return diagnose_command.run(args)
        if args.command == "sweep":
            return sweep_command.run(args)
        return _book(args.profile, args.no_execute, args.force)
    except (ParameterError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _list() -> int:
    from dataprints.book import toc_notebooks
    from dataprints.notebooks import describe, parameters
    from dataprints.paths import repo_root

    root = repo_root()
    for path in toc_notebooks(root):
        print(f"{path.relative_to(root)}\n{describe(parameters(path))}")
    return 0


def _overrides(pairs: list[list[str]]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs as a dict; a name given twice is an error, not "last wins"."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise ParameterError(f"parameter {name} given twice (-p {name} {out[name]!r} and "
                                 f"-p {name} {value!r}); give it once")
        out[name] = value
    return out


def _run(notebook: Path, profile: str, overrides: dict[str, str], output: Path | None) -> int:
    from dataprints.notebooks import run_notebook

    # run_notebook checks parameters, constraints and both destinations before a kernel starts
    run = run_notebook(notebook, profile, overrides, output=output)
    print(f"{notebook}: {run.seconds:.1f} s -> {run.output}; results in {run.results_dir}")
    return 0


def _book(profile: str, no_execute: bool, force: bool = False) -> int:
    from dataprints.book import execute_all, render, write_runtimes_table, write_scorecard

    start = time.perf_counter()
    if not no_execute:
        runs = execute_all(profile, force=force)
        ran = [r for r in runs if not r.cached]
        print(f"executed {len(ran)} notebooks in {sum(r.seconds for r in ran):.1f} s; "
              f"{len(runs) - len(ran)} unchanged since their last run")
    write_scorecard()
    write_runtimes_table()
    try:
        render()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"book built in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
