from __future__ import annotations

import json

import pytest

from dataprints.results import Claim, Results, load_results


def test_claim_verdicts():
    value = Claim("p.x", "P", "Table 1", "accuracy", paper_value=0.69, tolerance=0.05)
    assert value.verdict(0.70) == "reproduced"
    assert value.verdict(0.60) == "differs"
    assert value.verdict(None) == "not run"
    holds = Claim("p.y", "P", "Fig. 6", "M1 is worst", kind="holds")
    assert holds.verdict(True) == "reproduced" and holds.verdict(False) == "differs"
    with pytest.raises(ValueError, match="needs paper_value"):
        Claim("p.z", "P", "T", "s", kind="value")
    with pytest.raises(ValueError, match="kind must be"):
        Claim("p.z", "P", "T", "s", kind="maybe")


def test_results_file_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("DATAPRINTS_PROFILE", "paper")
    res = Results("chapter/nb", params={"epochs": 3})
    res.record("acc", 0.5)
    res.claim(Claim("p.x", "P", "T1", "acc", paper_value=0.5, tolerance=0.1), ours=0.55)
    with pytest.raises(ValueError, match="twice"):
        res.claim(Claim("p.x", "P", "T1", "acc", paper_value=0.5, tolerance=0.1), ours=0.55)
    path = res.save()
    assert path == tmp_path / "chapter" / "nb.json"
    saved = json.loads(path.read_text())
    assert saved["profile"] == "paper" and saved["params"] == {"epochs": 3}
    assert saved["claims"][0]["verdict"] == "reproduced"
    assert {"date", "git_sha", "device"} <= set(saved["provenance"])
    assert load_results(tmp_path)[0]["notebook"] == "chapter/nb"
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_results(tmp_path)


def test_for_notebook_records_every_parameter_and_refuses_missing_ones():
    namespace = {"n_per_class": 7, "seed": 3, "unrelated": object()}
    res = Results.for_notebook("frequency/synthetic_spectra", namespace)
    assert res.params == {"n_per_class": 7, "seed": 3}
    with pytest.raises(ValueError, match="seed are not defined"):
        Results.for_notebook("frequency/synthetic_spectra", {"n_per_class": 7})
    with pytest.raises(FileNotFoundError, match="dataprints list"):
        Results.for_notebook("frequency/no_such_notebook", namespace)
