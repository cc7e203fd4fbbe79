"""Committed reference and paper results: each parses, names only parameters its notebook
declares, and was produced with exactly its profile's values (or says which differ)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from dataprints.notebooks import PROFILES, check_overrides, parameters, profile_overrides

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = [p for profile in ("reference", "paper")
             for p in sorted((ROOT / "results" / profile).glob("**/*.json"))]


def test_every_profile_names_real_notebooks_and_allowed_values():
    for profile in PROFILES[1:]:
        table = yaml.safe_load((ROOT / "profiles" / f"{profile}.yaml").read_text()) or {}
        for notebook, overrides in table.items():
            assert (ROOT / notebook).is_file(), f"profiles/{profile}.yaml names {notebook}"
            check_overrides(ROOT / notebook, overrides or {})  # names, types, ranges


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_result_matches_its_notebook_and_profile(path):
    result = json.loads(path.read_text())  # valid JSON, no NaN/Infinity
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{path}: {c}"))
    profile = path.relative_to(ROOT / "results").parts[0]
    assert result["profile"] == profile
    notebook = ROOT / "notebooks" / f"{result['notebook']}.py"
    assert notebook.is_file(), f"{path} belongs to no notebook"
    declared = parameters(notebook)
    unknown = set(result["params"]) - set(declared)
    assert not unknown, f"{path} records parameters its notebook does not declare: {unknown}"
    expected = {name: p.default for name, p in declared.items()}
    expected.update(check_overrides(notebook, profile_overrides(notebook, profile, ROOT)))
    differ = {k: (result["params"].get(k), v) for k, v in expected.items()
              if result["params"].get(k) != v}
    assert not differ, f"{path} was not run at profiles/{profile}.yaml: (ran, profile) {differ}"
    for figure in result.get("figures", []):
        assert (path.parent / figure).is_file(), f"{path} names a missing figure {figure}"
    for key in ("notebook_hash", "code_hash", "git_sha", "device", "date"):
        assert key in result["provenance"], f"{path} lacks provenance {key}"
