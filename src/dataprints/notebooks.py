"""Run a jupytext notebook with papermill: read its parameters, check overrides, execute.

A notebook's ``parameters`` cell holds annotated literals with a comment each
(``epochs: int = 3  # training epochs``); their values are the quick profile. Other profiles
live in ``profiles/<profile>.yaml`` as ``{notebook path: {name: value}}``.

A trailing ``[[...]]`` in the comment declares what a parameter accepts, checked for every
override before a kernel starts: ``[[1..1000]]`` (inclusive range), ``[[0..]]`` or ``[[..1]]``
(one-sided), ``[[cifar10|fashion_mnist]]`` (choices). For a list it applies to each element.
"""

from __future__ import annotations

import ast
import math
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dataprints.paths import PROFILE_ENV, RESULTS_ENV, repo_root

TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}
PROFILES = ("quick", "reference", "paper")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class ParameterError(ValueError):
    """A parameter override that the notebook does not declare or cannot take."""


class NotebookFailed(RuntimeError):
    """A cell raised while the notebook ran."""


@dataclass(frozen=True)
class Constraint:
    """What a parameter (or each element of a list parameter) accepts: a range or choices."""

    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """``a..b``, ``a..``, ``..b`` or ``x|y|z``."""
        if ".." in text:
            low, high = (part.strip() for part in text.split("..", 1))
            try:
                bounds = [_number(v) if v else None for v in (low, high)]
            except ValueError:
                raise ValueError(f"[[{text}]]: bounds must be numbers") from None
            if bounds == [None, None] or (None not in bounds and bounds[0] > bounds[1]):
                raise ValueError(f"[[{text}]] is not a range low..high")
            return cls(bounds[0], bounds[1])
        choices = tuple(_literal(c.strip()) for c in text.split("|"))
        if not all(str(c) for c in choices):
            raise ValueError(f"[[{text}]] has an empty choice")
        return cls(choices=choices)

    def text(self) -> str:
        if self.choices:
            return "|".join(map(str, self.choices))
        return f"{'' if self.low is None else self.low}..{'' if self.high is None else self.high}"

    def admits(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return False
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))


def _number(text: str) -> float:
    value = ast.literal_eval(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(text)
    return value


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


CONSTRAINT = re.compile(r"\s*\[\[(.*)\]\]\s*$")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # one of TYPES, or "list"
    default: Any
    help: str
    constraint: Constraint | None = None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` (already of the declared type) is not accepted, or None."""
        if self.constraint is None:
            return None
        allowed = self.constraint.text()
        kind = "one of" if self.constraint.choices else "in"
        if self.type == "list":
            bad = [v for v in value if not self.constraint.admits(v)]
            if bad:
                return (f"parameter {self.name}: every element must be {kind} {allowed}, got "
                        f"{', '.join(map(repr, bad))} in {value!r}")
            return None
        if not self.constraint.admits(value):
            return f"parameter {self.name} must be {kind} {allowed}, got {value!r}"
        return None


def read_notebook(path: Path) -> Any:
    """The notebook as nbformat, read with jupytext (``.py`` percent format)."""
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}; `dataprints list` shows the notebooks")
    return jupytext.read(path)


CELL_MARKER = re.compile(r"^# %%(.*)$")


def parameters_source(path: Path) -> str:
    """The source of the ``py:percent`` cell tagged ``parameters``, read as plain text:
    importing jupytext alone takes about half a second, too slow for rejecting a bad value."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}; `dataprints list` shows the notebooks")
    cells: list[list[str]] = []
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        marker = CELL_MARKER.match(line)
        if marker:
            current = [] if re.search(r"""tags=\[[^\]]*["']parameters["']""", marker.group(1)) \
                else None
            if current is not None:
                cells.append(current)
        elif current is not None:
            current.append(line)
    if len(cells) != 1:
        raise ParameterError(f"{path} must have exactly one cell tagged 'parameters', "
                             f"found {len(cells)}")
    return "\n".join(cells[0]).strip("\n")


def parameters(path: Path) -> dict[str, Parameter]:
    """The declared parameters of a notebook, in order, with type, default and comment."""
    source = parameters_source(path)
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.value is not None):
            raise ParameterError(f"{path}: the parameters cell may hold only annotated "
                                 f"assignments like `epochs: int = 3  # comment` (line "
                                 f"{node.lineno})")
        kind = ast.unparse(node.annotation)
        kind = "list" if kind.startswith(("list", "tuple")) else kind
        if kind not in TYPES and kind != "list":
            raise ParameterError(f"{path}: parameter {node.target.id} has type {kind}; "
                                 f"use int, float, str, bool or list[...]")
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        constraint = None
        found = CONSTRAINT.search(comment)
        if found:
            try:
                constraint = Constraint.parse(found.group(1))
            except ValueError as exc:
                raise ParameterError(f"{path}: parameter {node.target.id}: {exc}") from None
            comment = comment[:found.start()].rstrip()
        param = Parameter(node.target.id, kind, ast.literal_eval(node.value), comment,
                          constraint)
        problem = param.problem(param.default)
        if problem:
            raise ParameterError(f"{path}: the default breaks its own constraint: {problem}")
        out[node.target.id] = param
    return out


def describe(params: dict[str, Parameter]) -> str:
    return "\n".join(f"  {p.name}: {p.type} = {p.default!r}  # {p.help}"
                     + (f" [[{p.constraint.text()}]]" if p.constraint else "")
                     for p in params.values())


def convert(param: Parameter, value: Any) -> Any:
    """Turn a command-line string (or YAML value) into the parameter's declared type."""
    text = value if isinstance(value, str) else None
    try:
        if param.type == "bool":
            if isinstance(value, bool):
                return value
            if text is not None and text.lower() in ("true", "1", "yes"):
                return True
            if text is not None and text.lower() in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if param.type == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if param.type == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if param.type == "list":
            parsed = ast.literal_eval(text) if text is not None else value
            if not isinstance(parsed, list | tuple):
                raise ValueError(value)
            return list(parsed)
        return str(value)
    except (ValueError, SyntaxError, TypeError):
        raise ParameterError(f"parameter {param.name} takes {param.type}, got {value!r}"
                             ) from None


def check_overrides(path: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Validate overrides against the declared parameters, their types and constraints;
    returns them converted."""
    declared = parameters(path)
    unknown = [name for name in overrides if name not in declared]
    if unknown:
        raise ParameterError(f"{path} has no parameter {', '.join(map(repr, unknown))}. "
                             f"Its parameters are:\n{describe(declared)}")
    try:
        converted = {name: convert(declared[name], value) for name, value in overrides.items()}
    except ParameterError as exc:
        raise ParameterError(f"{exc}. Parameters of {path}:\n{describe(declared)}") from None
    problems = [p for name, value in converted.items()
                if (p := declared[name].problem(value)) is not None]
    if problems:
        raise ParameterError(f"{path}: {'; '.join(problems)}")
    return converted


def profile_overrides(path: Path, profile: str, root: Path | None = None) -> dict[str, Any]:
    """The parameter values a profile sets for a notebook (empty for ``quick``)."""
    if profile not in PROFILES and profile != "smoke":
        raise ParameterError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    if profile == "quick":
        return {}
    root = root or repo_root()
    table = yaml.safe_load((root / "profiles" / f"{profile}.yaml").read_text()) or {}
    return dict(table.get(notebook_key(path, root)) or {})


def notebook_key(path: Path, root: Path | None = None) -> str:
    root = root or repo_root()
    return Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()


@dataclass
class Run:
    notebook: Path
    output: Path
    results_dir: Path
    profile: str
    seconds: float
    files: tuple[str, ...] = ()  # what the run wrote, relative to results_dir
    cached: bool = False  # True when the book skipped it (see dataprints.book.execute_all)


def writable_folder(folder: Path, what: str) -> Path:
    """``folder`` if it exists and a file can be created in it; else a ParameterError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"{what} folder {folder} does not exist; create it first")
    try:
        fd, probe = tempfile.mkstemp(prefix=".dataprints-probe-", dir=folder)
    except OSError as exc:
        raise ParameterError(f"cannot write the {what} into {folder} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def _remove_dead_runs(folder: Path, prefix: str) -> None:
    """Delete what killed runs left (``<prefix><pid>-...``) when that process is gone."""
    for item in folder.glob(f"{prefix}*"):
        pid = item.name.removeprefix(prefix).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            if item.is_dir():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, another user's


# the kernel drops the one log line its own shutdown causes and shows missing table values as
# "—" (see dataprints.kernel)
KERNEL_ARGS = ["--IPKernelApp.extensions=dataprints.kernel"]


def kernel_config(folder: Path) -> Any:
    """Kernel settings for one run: ZeroMQ over Unix sockets in ``folder`` (private to the
    run, so two kernels never pick the same socket), not TCP on localhost, which ipykernel
    flags with an "unencrypted TCP" warning on every start."""
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder) / "k")}})


def run_notebook(path: Path, profile: str = "quick", overrides: dict[str, Any] | None = None,
                 output: Path | None = None, results_dir: Path | None = None,
                 timeout: int | None = None) -> Run:
    """Execute ``path`` with papermill at a profile plus overrides.

    The executed notebook goes beside the source as ``.ipynb`` (where the book renders it)
    unless ``output`` is given; results go to ``results/<profile>/``. Parameters and both
    destinations are checked before the kernel starts. The kernel writes into a private
    temporary notebook and results folder, moved into place (under a lock per notebook) only
    when every cell succeeded, so concurrent runs never mix and a failing cell (raising
    :class:`NotebookFailed` naming it) leaves nothing behind.
    """
    path = Path(path).resolve()
    root = repo_root()
    params = {**profile_overrides(path, profile, root), **(overrides or {})}
    params = check_overrides(path, params)
    output = Path(output) if output else path.with_suffix(".ipynb")
    writable_folder(output.parent, "executed notebook")
    results_dir = Path(results_dir) if results_dir else root / "results" / profile
    results_dir.mkdir(parents=True, exist_ok=True)
    writable_folder(results_dir, "results")
    import papermill as pm  # after the checks: importing it takes a while
    from filelock import FileLock
    from papermill.exceptions import PapermillExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = read_notebook(path)
    _remove_dead_runs(output.parent, f".{output.stem}.running-")
    _remove_dead_runs(results_dir, ".running-")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.stem}.running-{os.getpid()}-",
                                    suffix=".ipynb", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    staging = Path(tempfile.mkdtemp(prefix=f".running-{os.getpid()}-", dir=results_dir))
    # the kernel inherits the environment: a caller's MPLBACKEND=Agg would silently drop every
    # figure, so notebooks always get the inline backend
    env = {RESULTS_ENV: str(staging), PROFILE_ENV: profile, "MPLBACKEND": INLINE_BACKEND}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    sockets = Path(tempfile.mkdtemp(prefix="dpk-"))  # short: a socket path has ~100 bytes
    start = time.perf_counter()
    files: list[str] = []
    try:
        # check_overrides validated every value already; papermill's own inference of the
        # parameters cell misreads comments holding "=" and logs "Unable to parse line" and
        # "Passed unknown parameter", so the cell is injected here and papermill gets none
        if params:
            nb = parameterize_notebook(load_notebook_node(nb), params, kernel_name="python3",
                                       language="python")
        pm.execute_notebook(nb, str(tmp), kernel_name="python3", cwd=str(path.parent),
                            progress_bar=False, request_save_on_cell_execute=False,
                            execution_timeout=timeout, config=kernel_config(sockets),
                            extra_arguments=KERNEL_ARGS)
        with FileLock(str(results_dir / f".{notebook_key(path, root).replace('/', '_')}.lock")):
            for item in sorted(staging.rglob("*")):
                if item.is_file():
                    relative = item.relative_to(staging)
                    target = results_dir / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(item, target)
                    files.append(relative.as_posix())
            os.replace(tmp, output)
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{notebook_key(path, root)} failed in cell {exc.cell_index} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"--- cell source ---\n{exc.source}") from None
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return Run(path, output, results_dir, profile, time.perf_counter() - start,
               tuple(files))
