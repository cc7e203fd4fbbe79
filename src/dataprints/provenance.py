"""Where a result came from, and whether the tree being built could still produce it.

A committed result records a hash of its notebook's source and of the package modules that
notebook imports (followed transitively inside ``dataprints``). Docstrings and comments are not
hashed, so rewording a page does not mark results stale; a change to another chapter's modules
does not either, since they are not imported.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path
from typing import Any

from dataprints.paths import repo_root

PACKAGE = "dataprints"
# Modules that locate, run, log or display results but compute none of them: a change there
# does not make a committed result stale (and their imports are not followed).
NOT_HASHED = frozenset(f"{PACKAGE}.{name}" for name in (
    "atomic", "book", "cli", "notebooks", "paths", "progress", "provenance", "sphinxext"))


# A build fingerprints every results file, and their notebooks share most modules: each text is
# parsed once per process (both functions are pure functions of the text).
@functools.lru_cache(maxsize=1024)
def _code_ast(source: str) -> str:
    """The AST of ``source`` without docstrings: what the code does, not how it is described."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


@functools.lru_cache(maxsize=1024)
def _imports(source: str, module: str | None) -> frozenset[str]:
    """Fully qualified ``dataprints`` modules imported by ``source`` (relative imports resolved)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and module:
                parts = module.split(".")[:-node.level]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != PACKAGE:
                continue
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return frozenset(out)


def _module_file(name: str, src: Path) -> Path | None:
    path = src.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def dependencies(code: str, src: Path | None = None) -> list[str]:
    """Every package module that ``code`` imports, directly or through other package modules
    (a package's ``__init__`` counts as imported with it), less :data:`NOT_HASHED`."""
    src = src or repo_root() / "src"
    seen: dict[str, Path] = {}
    todo = sorted(_imports(code, None))
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
            prefix = ".".join(parts[:i])
            if prefix in seen or prefix in NOT_HASHED:
                continue
            path = _module_file(prefix, src)
            if path is None:
                continue
            seen[prefix] = path
            text = path.read_text()
            is_pkg = path.name == "__init__.py"
            todo += _imports(text, f"{prefix}.__init__" if is_pkg else prefix)
    return sorted(seen)


def notebook_code(path: Path) -> str:
    """The code cells of a py:percent notebook (markdown and comments carry no results)."""
    import jupytext

    nb = jupytext.read(path)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def fingerprint(notebook: Path, src: Path | None = None) -> dict[str, Any]:
    """Hashes of a notebook's code and of every package module it depends on."""
    src = src or repo_root() / "src"
    code = notebook_code(notebook)
    modules = dependencies(code, src)
    digest = hashlib.sha256()
    for name in modules:
        path = _module_file(name, src)
        assert path is not None
        digest.update(name.encode() + b"\0" + _code_ast(path.read_text()).encode() + b"\0")
    notebook_hash = hashlib.sha256(_code_ast(code).encode()).hexdigest()[:16]
    return {"notebook_hash": notebook_hash, "code_hash": digest.hexdigest()[:16],
            "modules": modules}


def staleness(result: dict[str, Any], root: Path | None = None) -> str | None:
    """Why a saved result no longer matches the tree (None when it still does).

    Quick results are rebuilt with the book and never stale; a committed one is stale when its
    notebook's code, or the code of a module it uses, changed since it was produced.
    """
    root = root or repo_root()
    prov = result.get("provenance", {})
    path = root / "notebooks" / f"{result['notebook']}.py"
    if not path.is_file():
        return f"its notebook notebooks/{result['notebook']}.py no longer exists"
    if "notebook_hash" not in prov:
        return "it records no code hashes"
    now = fingerprint(path, root / "src")
    changed = []
    if now["notebook_hash"] != prov["notebook_hash"]:
        changed.append("the notebook's code")
    if now["code_hash"] != prov["code_hash"]:
        changed.append("package code it uses")
    if not changed:
        return None
    return f"{' and '.join(changed)} changed since commit {prov.get('git_sha', 'unknown')}"
