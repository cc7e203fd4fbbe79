from __future__ import annotations

import json

import pytest

from dataprints.results import Claim, Results, judge, load_results

VALUE = Claim("p.x", "P", "Table 1", "accuracy", paper_value=0.69, tolerance=0.05)
HOLDS = Claim("p.y", "P", "Fig. 6", "M1 is worst", kind="holds")


def test_value_claims_are_judged_by_the_interval_of_the_replicates():
    assert VALUE.verdict([0.69, 0.70, 0.68]) == "reproduced"
    assert VALUE.verdict([0.50, 0.52, 0.51]) == "differs"
    # mean inside the tolerance, but the interval too wide to say
    assert VALUE.verdict([0.60, 0.78, 0.70]) == "inconclusive"
    assert VALUE.verdict(None) == "not run" and VALUE.verdict([]) == "not run"
    single = judge(VALUE, 0.70)
    assert single["verdict"] == "single run" and single["agrees"] is True
    assert judge(VALUE, [0.60])["agrees"] is False


def test_holds_claims_need_four_in_five():
    assert HOLDS.verdict([True, True, True]) == "reproduced"
    assert HOLDS.verdict([True, True, False]) == "inconclusive"
    assert HOLDS.verdict([True, True, True, True, False]) == "reproduced"
    assert HOLDS.verdict([False, False, False, True, False]) == "differs"
    assert HOLDS.verdict(True) == "single run"
    with pytest.raises(ValueError, match="True/False"):
        HOLDS.verdict([1.0, 0.0])


def test_sanity_claims_are_never_reproductions():
    check = Claim("p.s", "P", "§3", "ADCS lies in its range", kind="sanity")
    assert check.verdict([True, True]) == "sanity ok"
    assert check.verdict([True, False]) == "sanity failed"


def test_claim_declarations_are_checked():
    with pytest.raises(ValueError, match="needs paper_value"):
        Claim("p.z", "P", "T", "s", kind="value")
    with pytest.raises(ValueError, match="kind must be"):
        Claim("p.z", "P", "T", "s", kind="maybe")


def test_results_file_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("DATAPRINTS_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("DATAPRINTS_PROFILE", "paper")
    res = Results("chapter/nb", params={"epochs": 3})
    res.record("acc", 0.5)
    res.record("ratio", float("inf"))
    res.claim(VALUE, ours=[0.69, 0.70, 0.68], varies="training seed")
    with pytest.raises(ValueError, match="twice"):
        res.claim(VALUE, ours=0.55)
    with pytest.raises(ValueError, match="what varies"):
        res.claim(HOLDS, ours=[True, False])
    res.not_applicable(HOLDS, why="no shortcut was found")
    path = res.save()
    assert path == tmp_path / "chapter" / "nb.json"
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    saved = json.loads(text)
    assert saved["values"]["ratio"] is None and saved["nonfinite"] == {"values.ratio": "inf"}
    assert saved["profile"] == "paper" and saved["params"] == {"epochs": 3}
    assert [c["verdict"] for c in saved["claims"]] == ["reproduced", "not applicable"]
    assert saved["claims"][0]["interval"]["n"] == 3
    assert {"date", "git_sha", "device", "threads"} <= set(saved["provenance"])
    assert load_results(tmp_path)[0]["notebook"] == "chapter/nb"
    (tmp_path / ".running-1" / "chapter").mkdir(parents=True)
    (tmp_path / ".running-1" / "chapter" / "nb.json").write_text("{")  # half a run, unseen
    assert len(load_results(tmp_path)) == 1
    table = res.claims_table()
    assert table["ours"].tolist()[1] == "—" and not table.isna().any().any()
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_results(tmp_path)


def test_for_notebook_records_every_parameter_and_refuses_missing_ones(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "ch").mkdir(parents=True)
    (tmp_path / "notebooks" / "ch" / "nb.py").write_text(
        '# %% tags=["parameters"]\nn_per_class: int = 5  # images [[1..10]]\n'
        'seed: int = 0  # seed\n\n# %%\nprint(n_per_class)\n')
    monkeypatch.setattr("dataprints.results.repo_root", lambda: tmp_path)
    namespace = {"n_per_class": 7, "seed": 3, "unrelated": object()}
    res = Results.for_notebook("ch/nb", namespace)
    assert res.params == {"n_per_class": 7, "seed": 3}
    with pytest.raises(ValueError, match="seed are not defined"):
        Results.for_notebook("ch/nb", {"n_per_class": 7})
    with pytest.raises(FileNotFoundError, match="dataprints list"):
        Results.for_notebook("ch/no_such_notebook", namespace)
