"""Pages read recorded values through roles: found, formatted, missing or stale."""

from __future__ import annotations

import pytest

from dataprints import sphinxext
from dataprints.results import Claim, Results


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(sphinxext, "repo_root", lambda: tmp_path)
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(tmp_path / "results" / "quick"))
    res = Results("ch/nb")
    res.record("summary", {"m": {"delta": {"mean": 2.345}, "none": None}, "xs": [1, 2]})
    res.claim(Claim("ch.c", "P", "T1", "s", kind="holds"), ours=[True, True, True],
              varies="training seed")
    res.save()
    return tmp_path


def test_values_are_found_and_formatted(results):
    assert sphinxext._one("quick", "ch/nb", "values.summary.m.delta.mean", ".1f") == "2.3"
    assert sphinxext._one("quick", "ch/nb", "values.summary.xs.1", "") == "2"
    assert sphinxext._one("quick", "ch/nb", "values.summary.m.none.mean", "") == "n/a"
    assert sphinxext._one("reference", "ch/nb", "values.summary.m.delta.mean", "") == "not run yet"
    assert "holds in 3 of 3: reproduced" in sphinxext._one("quick", "ch/nb", "claims.ch.c", "")


def test_a_wrong_key_is_an_error_not_a_blank(results):
    with pytest.raises(KeyError, match="stuck at 'nope'"):
        sphinxext.lookup("quick", "ch/nb", "values.summary.nope")
    with pytest.raises(KeyError, match="no claim"):
        sphinxext.lookup("quick", "ch/nb", "claims.ch.other")
    with pytest.raises(ValueError, match="NOTEBOOK:KEY"):
        sphinxext._parse("no-colon-here")


def test_all_profiles_tolerate_a_key_only_quick_recorded(results, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(results / "results" / "reference"))
    monkeypatch.setenv("DATAPRINTS_PROFILE", "reference")
    Results("ch/nb").save()
    assert sphinxext._tolerant("reference", "ch/nb", "values.summary.xs.1", "") == "not recorded"
    with pytest.raises(KeyError):
        sphinxext._tolerant("quick", "ch/nb", "values.summary.nope", "")
