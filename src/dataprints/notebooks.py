"""Run a jupytext notebook with papermill: read its parameters, check overrides, execute.

A notebook's ``parameters`` cell holds annotated literals with a comment each
(``epochs: int = 3  # training epochs``); their values are the quick profile. Other profiles
live in ``profiles/<profile>.yaml`` as ``{notebook path: {name: value}}``.
"""

from __future__ import annotations

import ast
import os
import shutil
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
class Parameter:
    name: str
    type: str  # one of TYPES, or "list"
    default: Any
    help: str


def read_notebook(path: Path) -> Any:
    """The notebook as nbformat, read with jupytext (``.py`` percent format)."""
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}; `dataprints list` shows the notebooks")
    return jupytext.read(path)


def parameters_cell(nb: Any, path: Path) -> Any:
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path} must have exactly one cell tagged 'parameters', "
                             f"found {len(cells)}")
    return cells[0]


def parameters(path: Path) -> dict[str, Parameter]:
    """The declared parameters of a notebook, in order, with type, default and comment."""
    nb = read_notebook(path)
    source = parameters_cell(nb, path).source
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
        out[node.target.id] = Parameter(node.target.id, kind, ast.literal_eval(node.value),
                                        comment)
    return out


def describe(params: dict[str, Parameter]) -> str:
    return "\n".join(f"  {p.name}: {p.type} = {p.default!r}  # {p.help}" for p in params.values())


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
    """Validate overrides against the declared parameters; returns them converted."""
    declared = parameters(path)
    unknown = [name for name in overrides if name not in declared]
    if unknown:
        raise ParameterError(f"{path} has no parameter {', '.join(map(repr, unknown))}. "
                             f"Its parameters are:\n{describe(declared)}")
    try:
        return {name: convert(declared[name], value) for name, value in overrides.items()}
    except ParameterError as exc:
        raise ParameterError(f"{exc}. Parameters of {path}:\n{describe(declared)}") from None


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


def run_notebook(path: Path, profile: str = "quick", overrides: dict[str, Any] | None = None,
                 output: Path | None = None, results_dir: Path | None = None,
                 timeout: int | None = None) -> Run:
    """Execute ``path`` with papermill at a profile plus overrides.

    The executed notebook goes beside the source as ``.ipynb`` (where the book renders it)
    unless ``output`` is given; results go to ``results/<profile>/``. The output is written
    only when every cell succeeded; a failing cell raises :class:`NotebookFailed` naming it.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    path = Path(path).resolve()
    root = repo_root()
    params = {**profile_overrides(path, profile, root), **(overrides or {})}
    params = check_overrides(path, params)
    output = Path(output) if output else path.with_suffix(".ipynb")
    results_dir = Path(results_dir) if results_dir else root / "results" / profile
    nb = read_notebook(path)
    tmp = output.with_name(f".{output.stem}.running.ipynb")
    # the kernel inherits the environment: a caller's MPLBACKEND=Agg would silently drop every
    # figure, so notebooks always get the inline backend
    env = {RESULTS_ENV: str(results_dir), PROFILE_ENV: profile, "MPLBACKEND": INLINE_BACKEND}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    start = time.perf_counter()
    try:
        pm.execute_notebook(nb, str(tmp), parameters=params, kernel_name="python3",
                            cwd=str(path.parent), progress_bar=False,
                            request_save_on_cell_execute=False, execution_timeout=timeout)
    except PapermillExecutionError as exc:
        tmp.unlink(missing_ok=True)
        raise NotebookFailed(
            f"{notebook_key(path, root)} failed in cell {exc.cell_index} "
            f"(execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"--- cell source ---\n{exc.source}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(tmp, output)
    return Run(path, output, results_dir, profile, time.perf_counter() - start)
