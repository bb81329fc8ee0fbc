"""``cbeclab diagnose``: outputs of the example spec, language, escaping, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cbeclab.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "diagnose"


def run(*args: str):
    return CliRunner().invoke(main, ["diagnose", *args])


@pytest.fixture()
def example(tmp_path: Path) -> Path:
    d = tmp_path / "ex"
    shutil.copytree(EXAMPLE, d)
    return d


def test_example_spec_writes_json_and_html(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run(str(example / "spec.yaml"), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "top mode: Traditional foreign trade moving online" in r.output  # the display name of the mode key
    d = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert d["modes"]["top_mode"] == "traditional_trade_online"
    assert d["empowerment"]["table"][0]["pattern"] == "single_point"
    assert d["focus"] == "Synthetic cluster A"
    assert len(d["subsystems4"]["latest"]) == 3
    assert d["factors"]["nonsignificant_roles"] == ["enterprise"]
    rec = {x["id"]: x for x in d["recommendations"]}
    assert {"s000_leading_firms", "s004_smart_subsidy", "s003_linkage"} <= set(rec)
    assert all(x["why_en"] and x["citation"] for x in rec.values())
    html = (out / "diagnosis.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'lang="en"' in html
    assert not [p for p in out.iterdir() if p.suffix == ".tmp"]  # atomic writes leave nothing behind


def test_lang_zh(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "zh"
    r = run(str(example / "spec.yaml"), "--out", str(out), "--lang", "zh")
    assert r.exit_code == 0, r.output
    html = (out / "diagnosis.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and "对策建议" in html and "单点突破" in html


def test_html_escapes_profile_text(tmp_path: Path) -> None:
    city = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "src/cbeclab/diagnose/profiles/cities/hefei.yaml").read_text(
            "utf-8"
        )
    )
    city["name"] = "<script>alert(1)</script>"
    city["sources"] = ['<img src=x onerror="x">']
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text("city: city.yaml\ncluster: foshan_home\n", encoding="utf-8")
    r = run(str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "o"))
    assert r.exit_code == 0, r.output
    html = (tmp_path / "o" / "diagnosis.html").read_text(encoding="utf-8")
    html = re.sub(r"<script>.*?</script>", "", html, flags=re.S)  # vendored chart code and escaped specs
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<img" not in html


def _spec(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "text,needle",
    [
        ("city: hangzhou\nunknown_key: 1\n", "unknown_key"),
        ("lang: fr\ncity: hangzhou\n", "lang"),
        ("title: nothing\n", "nothing to diagnose"),
        ("city: missing_city.yaml\n", "file not found"),
        ("cluster: foshan_home\nsem:\n  result: nope.json\n", "SEM result file not found"),
        ("city: [unclosed\n", "not valid YAML"),
        ("panel:\n  path: panel.csv\n  entity: cluster\n  period: year\n  focus: Nowhere\n", "focus entity"),
    ],
)
def test_errors_are_one_line_exit_2(example: Path, tmp_path: Path, text: str, needle: str) -> None:
    spec = example / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    r = run(str(spec), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert r.output.startswith("error: ") and needle in r.output
    assert "Traceback" not in r.output


def test_profile_out_of_range_names_field_and_file(tmp_path: Path) -> None:
    city = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "src/cbeclab/diagnose/profiles/cities/hefei.yaml").read_text(
            "utf-8"
        )
    )
    city["values"]["airport_cargo"] = {"value": 5000, "estimate": True}
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    r = run(str(_spec(tmp_path, "city: city.yaml\n")), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert "airport_cargo" in r.output and "[0, 1000]" in r.output and "city.yaml" in r.output
    assert "Traceback" not in r.output


def test_bad_json_and_missing_spec(tmp_path: Path) -> None:
    (tmp_path / "sem.json").write_text("{not json", encoding="utf-8")
    r = run(str(_spec(tmp_path, "sem:\n  result: sem.json\n")), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "JSON" in r.output and "Traceback" not in r.output
    r = run(str(tmp_path / "absent.yaml"), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "spec file not found" in r.output


def test_help_lists_the_command() -> None:
    r = CliRunner().invoke(main, ["diagnose", "--help"])
    assert r.exit_code == 0 and "--lang" in r.output and "--out" in r.output


def test_example_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    import importlib.util

    import pandas as pd

    from cbeclab.diagnose import example_panel

    shipped = pd.read_csv(EXAMPLE / "panel.csv")
    fresh = example_panel().reset_index()
    pd.testing.assert_frame_equal(shipped, fresh, check_exact=False, rtol=1e-12, check_dtype=False)
    spec = importlib.util.spec_from_file_location("make_example", EXAMPLE / "make_example.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    sem = json.loads((EXAMPLE / "sem_seed000_tables.json").read_text(encoding="utf-8"))
    assert [(p["lhs"], p["rhs"], p["est"], p["pvalue"]) for p in sem["params"]] == [
        (y, x, e, p) for y, x, e, _, _, p in mod.TABLE4
    ]
    assert "transcribed" in sem["note"]
