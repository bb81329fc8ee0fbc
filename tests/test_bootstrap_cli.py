"""``cbeclab sem --bootstrap`` with FIML, MLR and groups: the JSON says which columns are bootstrap."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.sem import Model

FIX = Path(__file__).parent / "fixtures"
LK = FIX / "sem_likert_missing.csv"
SINGLE = "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nB ~ a*A\nind := a*1\n"
GROUPS = (
    "A =~ a1 + a2 + a3 + a4\nB =~ b1 + b2 + b3 + b4\nC =~ c1 + c2 + c3 + c4\n"
    "B ~ c(a1, a2)*A\nC ~ c(b1, b2)*B + A\n"
    "ind_small := a1*b1\nind_large := a2*b2\ndiff := a1*b1 - a2*b2\n"
)


def _run(tmp_path: Path, syntax: str, *opts: str) -> dict:
    model = tmp_path / "m.lav"
    model.write_text(syntax, encoding="utf-8")
    out = tmp_path / "o.json"
    r = CliRunner().invoke(main, ["sem", str(model), str(LK), *opts, "--seed", "4", "--json", str(out)])
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text())


@pytest.mark.parametrize("estimator, model_se", [("ML", "observed information"), ("MLR", "Huber-White")])
def test_fiml_bootstrap_json(tmp_path: Path, estimator: str, model_se: str) -> None:
    doc = _run(tmp_path, SINGLE, "--missing", "ml", "--estimator", estimator, "--bootstrap", "30")
    assert doc["se"] == "bootstrap" and doc["ci"] == "bootstrap bc"
    cols = doc["se_columns"]
    assert "bootstrap (30 draws" in cols["se, z, pvalue, ci_lower, ci_upper"]
    delta = cols["se_delta, z_delta, pvalue_delta, ci_lower_delta, ci_upper_delta"]
    assert model_se in delta and "delta method" in delta
    fit = Model(SINGLE).fit(pd.read_csv(LK), missing="ml", estimator=estimator).params
    boot = pd.DataFrame(doc["bootstrap"]["params"])
    for row in doc["params"]:
        if row["op"] not in ("~", "=~", ":=") or row["se_delta"] in (None, 0):
            continue
        f = fit[(fit["lhs"] == row["lhs"]) & (fit["op"] == row["op"]) & (fit["rhs"] == row["rhs"])].iloc[0]
        b = boot[(boot["lhs"] == row["lhs"]) & (boot["op"] == row["op"]) & (boot["rhs"] == row["rhs"])].iloc[0]
        assert row["se_delta"] == pytest.approx(f["se"])  # model-based (FIML / sandwich) SEs kept
        assert row["se"] == pytest.approx(b["se"])  # bootstrap SEs in the main columns
        assert row["ci_lower"] == pytest.approx(b["ci_lower"])
    assert doc["bootstrap"]["n_boot"] == 30 and doc["bootstrap"]["n_failed"] == 0


def test_group_bootstrap_json_and_difference(tmp_path: Path) -> None:
    doc = _run(tmp_path, GROUPS, "--group", "size", "--bootstrap", "30", "--ci", "perc")
    assert doc["se"] == "bootstrap" and doc["ci"] == "bootstrap perc"
    boot = pd.DataFrame(doc["bootstrap"]["params"])
    assert set(boot["group"]) == {"small", "large", ""}
    rows = {(r["lhs"], r["op"], r["rhs"], r["group"]): r for r in doc["params"]}
    a_small = rows[("B", "~", "A", "small")]
    a_large = rows[("B", "~", "A", "large")]
    b_small = boot[(boot["lhs"] == "B") & (boot["op"] == "~") & (boot["group"] == "small")].iloc[0]
    assert a_small["se"] == pytest.approx(b_small["se"]) and a_small["se"] != pytest.approx(a_large["se"])
    diff = next(r for r in doc["params"] if r["lhs"] == "diff")
    small = next(r for r in doc["params"] if r["lhs"] == "ind_small")
    large = next(r for r in doc["params"] if r["lhs"] == "ind_large")
    assert diff["est"] == pytest.approx(small["est"] - large["est"])
    bd = boot[boot["lhs"] == "diff"].iloc[0]
    assert diff["ci_lower"] == pytest.approx(bd["ci_lower"]) and diff["se_delta"] != pytest.approx(diff["se"])


def test_bootstrap_refuses_wishart(tmp_path: Path) -> None:
    model = tmp_path / "m.lav"
    model.write_text(SINGLE, encoding="utf-8")
    r = CliRunner().invoke(main, ["sem", str(model), str(LK), "--likelihood", "wishart", "--bootstrap", "10"])
    assert r.exit_code != 0 and "wishart" in r.output
