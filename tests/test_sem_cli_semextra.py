"""``cbeclab sem``: GBK model files, every fit measure in --json, --likelihood, --amos, bootstrap SE labels."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.datasets.classic import holzinger_swineford
from cbeclab.sem import Model

FIX = Path(__file__).parent / "fixtures"
HS = "# 三因子模型 (注释)\nvisual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "m.lav"
    model.write_bytes(HS.encode("gbk"))
    data = tmp_path / "hs.csv"
    holzinger_swineford().to_csv(data, index=False)
    return model, data


def test_gbk_model_and_all_fit_measures(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "o.json"
    r = CliRunner().invoke(main, ["sem", str(model), str(data), "--json", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    fm = Model(HS).fit(holzinger_swineford()).fit_measures()
    assert set(fm) <= set(doc["fit"])
    for k in ("rmsea_pvalue", "rfi", "logl"):
        assert doc["fit"][k] == pytest.approx(fm[k])
    ref = json.loads((FIX / "sem_hs_cfa.json").read_text())
    assert doc["fit"]["rmsea_pvalue"] == pytest.approx(ref["fit"]["rmsea.pvalue"], abs=1e-4)
    assert doc["se"] == "standard"


def test_likelihood_wishart_and_amos(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "o.json"
    r = CliRunner().invoke(
        main, ["sem", str(model), str(data), "--likelihood", "wishart", "--amos", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    ref = json.loads((FIX / "sem_wishart_hs.json").read_text())
    doc = json.loads(out.read_text())
    assert doc["likelihood"] == "wishart"
    assert doc["fit"]["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-5)
    assert "HOELTER .05" in r.output and "PCFI" in r.output


def test_bootstrap_se_in_main_table_delta_kept(files: tuple[Path, Path], tmp_path: Path) -> None:
    model, data = files
    out = tmp_path / "o.json"
    r = CliRunner().invoke(
        main, ["sem", str(model), str(data), "--bootstrap", "200", "--seed", "1", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    assert doc["se"] == "bootstrap" and doc["ci"].startswith("bootstrap")
    boot = pd.DataFrame(doc["bootstrap"]["params"])
    plain = Model(HS).fit(holzinger_swineford()).params
    row = next(p for p in doc["params"] if p["lhs"] == "visual" and p["rhs"] == "x2")
    b = boot[(boot["lhs"] == "visual") & (boot["rhs"] == "x2")].iloc[0]
    d = plain[(plain["lhs"] == "visual") & (plain["rhs"] == "x2")].iloc[0]
    assert row["se"] == pytest.approx(b["se"]) and row["ci_lower"] == pytest.approx(b["ci_lower"])
    assert row["se_delta"] == pytest.approx(d["se"]) and row["ci_upper_delta"] == pytest.approx(d["ci_upper"])
    assert row["z"] == pytest.approx(row["est"] / row["se"])
    assert row["se"] != pytest.approx(row["se_delta"], rel=1e-6)
    assert "delta" in json.dumps(doc["se_columns"])
