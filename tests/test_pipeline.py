"""End-to-end: spec file -> run_spec -> result.json / result.xlsx / report.html, and the engine CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cbeclab.cli import main
from cbeclab.models.coupling import coupling_coordination
from cbeclab.models.synergy import synergy
from cbeclab.pipeline import run_spec
from cbeclab.render.engine_report import write_outputs
from cbeclab.spec import load_spec

SPEC = """
title: test run
data: {path: panel.csv, entity: 集群, period: year}
subsystems:
  digital_trade: {exports: +, imports: +, cbec_firms: +}
  industrial_cluster: {output_value: +, firms: +, energy_per_output: -}
weights: entropy
synergy: {bound_margin: 0.1, aggregate: weighted, base: first, scope: per_entity}
coupling: {model: classical, scope: pooled}
forecast: {horizon: 2}
"""


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for e, name in enumerate(["纺织", "皮具", "珠宝"]):
        for t, year in enumerate(range(2015, 2023)):
            g = (1 + 0.08 * (e + 1)) ** t
            rows.append(
                {
                    "集群": name,
                    "year": year,
                    "exports": 100 * g * rng.uniform(0.95, 1.05),
                    "imports": 60 * g * rng.uniform(0.9, 1.1),
                    "cbec_firms": 20 + 5 * t * (e + 1) + rng.integers(0, 3),
                    "output_value": 500 * g * rng.uniform(0.97, 1.03),
                    "firms": 300 + 10 * t + rng.integers(0, 5),
                    "energy_per_output": 1.0 / g * rng.uniform(0.97, 1.03),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture()
def spec_dir(tmp_path: Path) -> Path:
    _panel().to_csv(tmp_path / "panel.csv", index=False, encoding="gb18030")  # as Chinese Excel saves it
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def test_run_spec_matches_the_model_functions(spec_dir: Path) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    X = _panel().set_index(["集群", "year"]).sort_index().astype(float)
    subs = {
        "digital_trade": {"exports": 1, "imports": 1, "cbec_firms": 1},
        "industrial_cluster": {"output_value": 1, "firms": 1, "energy_per_output": -1},
    }
    ref = synergy(X, subs, weights="entropy", scope="per_entity")
    got = res.synergy.synergy["synergy"].to_numpy()
    np.testing.assert_allclose(got, ref.synergy["synergy"].to_numpy(), atol=1e-12, equal_nan=True)
    cref = coupling_coordination(X, subs, weights="entropy", scope="pooled")
    np.testing.assert_allclose(res.coupling.table["D"].to_numpy(), cref.table["D"].to_numpy(), atol=1e-12)
    summ = res.summary()
    assert list(summ["entity"]) == ["珠宝", "皮具", "纺织"] or set(summ["entity"]) == {"纺织", "皮具", "珠宝"}
    assert {"stage", "D", "grade_en", "lagging"} <= set(summ.columns)


def test_outputs_written_and_consistent(spec_dir: Path, tmp_path: Path) -> None:
    res = run_spec(load_spec(spec_dir / "spec.yaml"))
    paths = write_outputs(res, tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["schema_version"] == 2
    assert data["data"]["entity"] == "集群"
    assert len(data["synergy"]["synergy"]) == 3 * 8
    assert {r["entity"] for r in data["summary"]} == {"纺织", "皮具", "珠宝"}
    # every row keyed by entity and period
    for table in (data["synergy"]["subsystem_order"], data["coupling"]["table"], data["stages"]):
        assert all("entity" in r and "period" in r for r in table)
    wb = load_workbook(paths["xlsx"], read_only=True)
    # the report's workbook: display names, contents sheet first
    assert wb.sheetnames[0] == "Contents" and {"Summary", "Synergy", "Coupling", "Weights"} <= set(wb.sheetnames)
    assert paths["docx"].stat().st_size > 0
    html = paths["html"].read_text(encoding="utf-8")
    assert "vegaEmbed" in html and "纺织" in html and 'src="http' not in html  # charts offline


def test_cli_run_zh_and_errors(spec_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(main, ["run", str(spec_dir / "spec.yaml"), "--out", str(out), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "协同阶段" in r.output
    assert (out / "report.html").read_text(encoding="utf-8").count('lang="zh-CN"') == 1
    # an indicator the data lacks: one line, names it and suggests the close match, exit 2, no traceback
    bad = SPEC.replace("cbec_firms: +", "cbec_firm: +")
    (spec_dir / "bad.yaml").write_text(bad, encoding="utf-8")
    r = runner.invoke(main, ["run", str(spec_dir / "bad.yaml"), "--out", str(out)])
    assert r.exit_code == 2
    assert "cbec_firm" in r.output and "did you mean 'cbec_firms'" in r.output
    assert "Traceback" not in r.output


def test_cli_one_off_commands(spec_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    csv = str(spec_dir / "panel.csv")
    common = ["--entity", "集群", "--period", "year"]
    r = runner.invoke(
        main, ["weights", csv, *common, "--cost", "energy_per_output", "--out", str(tmp_path / "w.json")]
    )
    assert r.exit_code == 0, r.output
    w = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    assert abs(sum(row["weight"] for row in w) - 1) < 1e-12
    subs = ["--subsystem", "t=exports,imports", "--subsystem", "c=output_value,energy_per_output"]
    r = runner.invoke(main, ["synergy", csv, *common, *subs, "--cost", "energy_per_output"])
    assert r.exit_code == 0, r.output and "synergy" in r.output
    r = runner.invoke(
        main,
        [
            "coupling",
            csv,
            *common,
            *subs,
            "--cost",
            "energy_per_output",
            "--compat",
            "spssau",
            "--out",
            str(tmp_path / "c.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    c = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig")
    assert c["D"].between(0, 1).all()
    r = runner.invoke(main, ["coupling", csv, *common, "--subsystem", "t=exports"])
    assert r.exit_code == 2 and "at least two" in r.output
