"""`cbeclab survey` end to end with click's CliRunner (synthetic Yongkang example, few bootstrap draws)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import yaml
from click.testing import CliRunner

from cbeclab.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "yongkang"


def _copy_example(tmp: Path) -> Path:
    for name in ("survey.yaml", "model.lav", "yongkang_survey_SYNTHETIC.csv"):
        shutil.copy(EXAMPLE / name, tmp / name)
    return tmp / "survey.yaml"


def test_cli_writes_three_files_in_zh(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main, ["survey", str(spec), "--out", str(out), "--lang", "zh", "--bootstrap", "50", "--seed", "3"]
    )
    assert r.exit_code == 0, r.output
    for name in ("survey.json", "survey.xlsx", "survey.html"):
        assert (out / name).is_file()
    wb = openpyxl.load_workbook(out / "survey.xlsx", read_only=True)
    assert "表1 测量模型" in wb.sheetnames and "表5 中介效应" in wb.sheetnames
    header = next(wb["表1 测量模型"].iter_rows(values_only=True))
    assert "标准化载荷（CFA）" in header
    html = (out / "survey.html").read_text(encoding="utf-8")
    assert "表3  结构方程模型拟合指标" in html and "<svg" in html and "合成数据" in html
    d = json.loads((out / "survey.json").read_text(encoding="utf-8"))
    assert d["spec"]["bootstrap"]["draws"] == 50 and d["spec"]["seed"] == 3
    assert d["results"]["mediation"]


def test_cli_bad_data_is_one_line_error(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path)
    csv = tmp_path / "yongkang_survey_SYNTHETIC.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[3] = "7"
    lines[5] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["survey", str(spec), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert r.output.startswith("error: ") and "column T13" in r.output and "rows 6" in r.output
    assert "Traceback" not in r.output


def test_cli_bad_spec_names_field(tmp_path: Path) -> None:
    spec = _copy_example(tmp_path)
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    raw["bootstrap"]["ci"] = "bca"
    spec.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["survey", str(spec), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "field bootstrap.ci" in r.output
