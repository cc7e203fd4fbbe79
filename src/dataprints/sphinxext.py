"""Sphinx roles and a directive that put recorded results into the book's pages.

No number in a page is typed: a page names where the number lives and the build reads it from
``results/<profile>/``.

- ``{result}`reference:anomaly/overfitting_anomaly_counts:values.delta.mean|.2f``` one value
  (``values.<dotted path>``, or ``claims.<claim id>`` for a claim's value and verdict), with an
  optional format after ``|``; a missing result file reads "not run yet", a stale one says so.
- ``{results}`anomaly/overfitting_anomaly_counts:values.delta.mean|.2f``` the same value at
  every profile: "quick … | reference … | paper …" (a key absent from a reference or paper
  run reads "not recorded").
- ```` ```{verdict} anomaly ``` ```` the chapter's verdict box: each central claim with what
  the reference and paper results say (quick single runs only when nothing else exists).

A key that does not exist in an existing result is a build warning (and so an error under -W).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from dataprints.book import PROFILES_SHOWN, collect_claims, describe_claim
from dataprints.paths import repo_root
from dataprints.provenance import staleness

logger = logging.getLogger(__name__)


def _result_file(profile: str, notebook: str) -> tuple[dict[str, Any] | None, str | None]:
    """A notebook's results at ``profile`` and why they are stale (None: current or quick)."""
    path = repo_root() / "results" / profile / f"{notebook}.json"
    if not path.is_file():
        return None, None
    return _read(str(path), path.stat().st_mtime_ns, profile != "quick")


@functools.lru_cache(maxsize=256)
def _read(path: str, mtime_ns: int, committed: bool) -> tuple[dict[str, Any], str | None]:
    """Read once per build: a page holds dozens of roles on one file, and the staleness check
    parses every module the notebook imports (keyed by modification time, so a rewrite is seen)."""
    result = json.loads(Path(path).read_text())
    return result, staleness(result) if committed else None


def lookup(profile: str, notebook: str, key: str) -> tuple[Any, str | None, bool]:
    """(value, stale reason, found) of ``key`` in a notebook's results at ``profile``."""
    result, stale = _result_file(profile, notebook)
    if result is None:
        return None, None, False
    if key.startswith("claims."):
        claim_id = key.removeprefix("claims.")
        for claim in result.get("claims", []):
            if claim["id"] == claim_id:
                return {**claim, "_stale": stale}, stale, True
        raise KeyError(f"{profile} results of {notebook} have no claim {claim_id!r}")
    if not key.startswith("values."):
        raise KeyError(f"key {key!r} must start with 'values.' or 'claims.'")
    value: Any = result["values"]
    for part in key.removeprefix("values.").split("."):
        if value is None:  # recorded as not computable (e.g. no seed overfitted)
            return None, stale, True
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            value = value[int(part)]
        else:
            raise KeyError(f"{profile} results of {notebook} have no {key!r} (stuck at "
                           f"{part!r})")
    return value, stale, True


def render_value(value: Any, fmt: str, key: str) -> str:
    if key.startswith("claims."):
        return describe_claim(value)
    if value is None:
        return "n/a"
    if fmt:
        return format(value, fmt)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _parse(text: str) -> tuple[str, str, str]:
    body, _, fmt = text.partition("|")
    notebook, _, key = body.strip().rpartition(":")
    if not notebook or not key:
        raise ValueError(f"expected NOTEBOOK:KEY[|FORMAT], got {text!r}")
    return notebook, key, fmt.strip()


def _one(profile: str, notebook: str, key: str, fmt: str) -> str:
    value, stale, found = lookup(profile, notebook, key)
    if not found:
        return "not run yet"
    shown = render_value(value, fmt, key)
    return f"{shown} (stale)" if stale and not key.startswith("claims.") else shown


def _tolerant(profile: str, notebook: str, key: str, fmt: str) -> str:
    """Like :func:`_one`, but a key that another profile's run did not record (other models,
    other augmentations) reads "not recorded"; the quick results, built with every book, still
    fail loudly on a wrong key."""
    try:
        return _one(profile, notebook, key, fmt)
    except KeyError:
        if profile == "quick":
            raise
        return "not recorded"


def _role(show_all: bool) -> Any:
    def role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
             options: dict | None = None, content: list | None = None):
        try:
            if show_all:
                notebook, key, fmt = _parse(text)
                shown = " | ".join(f"{p} {_tolerant(p, notebook, key, fmt)}"
                                   for p in PROFILES_SHOWN)
            else:
                profile, _, rest = text.partition(":")
                if profile not in PROFILES_SHOWN:
                    raise ValueError(f"profile must be one of {PROFILES_SHOWN}, got {profile!r}")
                notebook, key, fmt = _parse(rest)
                shown = _one(profile, notebook, key, fmt)
        except (KeyError, ValueError, TypeError) as exc:
            msg = inliner.reporter.warning(f"{name}: {exc}", line=lineno)
            return [inliner.problematic(rawtext, rawtext, msg)], [msg]
        return [nodes.inline(rawtext, shown, classes=["dataprints-result"])], []
    return role


class VerdictDirective(SphinxDirective):
    """The verdict box of a chapter, built from its central claims."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        chapter = self.arguments[0]
        by_profile = collect_claims(repo_root())
        central: dict[str, dict[str, dict[str, Any]]] = {}
        for profile in PROFILES_SHOWN:
            for claim_id, claim in by_profile[profile].items():
                if claim.get("central") and claim["_notebook"].split("/")[0] == chapter:
                    central.setdefault(claim_id, {})[profile] = claim
        lines = ["```{admonition} Verdict", ":class: important", ""]
        if not central:
            lines.append("No central claim of this chapter has results yet.")
        for per in central.values():
            first = next(iter(per.values()))
            lines.append(f"- **{first['statement']}** ({first['paper']}, {first['where']})")
            shown = [p for p in ("reference", "paper") if p in per] or ["quick"]
            for profile in shown:
                lines.append(f"  - *{profile}*: {describe_claim(per.get(profile))}")
            if "paper" not in per:
                lines.append("  - *paper*: not run yet (needs a GPU)")
        lines.append("```")
        node = nodes.container()
        self.state.nested_parse(StringList(lines, source=f"verdict:{chapter}"),
                                self.content_offset, node)
        return node.children


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_role("result", _role(False))
    app.add_role("results", _role(True))
    app.add_directive("verdict", VerdictDirective)
    return {"parallel_read_safe": True, "version": "1"}
