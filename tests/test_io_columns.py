"""Items mapped to Chinese headers by order or label (issue 11): map_columns, survey data.columns,
sem --columns, SPSS variable labels as item texts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cbeclab.cli import main
from cbeclab.errors import DataError, SpecError
from cbeclab.io.columns import map_columns, parse_column_option

ROOT = Path(__file__).resolve().parents[1]
YK = ROOT / "examples" / "yongkang"


def test_map_by_order_letter_number_header() -> None:
    h = ["编号", "性别", "问题1", "问题2", "问题3"]
    want = {"a": "问题1", "b": "问题2", "c": "问题3"}
    assert map_columns(["a", "b", "c"], h, first="C") == want
    assert map_columns(["a", "b", "c"], h, first=3) == want
    assert map_columns(["a", "b", "c"], h, first="问题1") == want
    with pytest.raises(DataError, match="ends at column E"):
        map_columns(["a", "b", "c", "d"], h, first="C")


def test_map_by_label_and_text() -> None:
    h = ["id", "1. 管理水平(T11)", "2. 学历(T12)", "3. 产品(T13)"]
    assert map_columns(["T11", "T12"], h, match="({item})") == {
        "T11": "1. 管理水平(T11)",
        "T12": "2. 学历(T12)",
    }
    assert map_columns(["x"], h, match="{label}", texts={"x": "学历"}) == {"x": "2. 学历(T12)"}
    with pytest.raises(DataError, match="0 headers contain"):
        map_columns(["T19"], h, match="({item})")
    with pytest.raises(DataError, match="3 headers contain"):
        map_columns(["T1"], h, match="{item}")
    with pytest.raises(SpecError, match="exactly one"):
        map_columns(["a"], h)


def test_parse_column_option() -> None:
    assert parse_column_option("first=C") == {"first": "C"}
    assert parse_column_option("match=({item})") == {"match": "({item})"}
    with pytest.raises(SpecError, match="--columns"):
        parse_column_option("C")


def _survey_spec(tmp_path: Path, data_name: str, columns: dict | None) -> dict:
    raw = yaml.safe_load((YK / "survey.yaml").read_text(encoding="utf-8"))
    raw["data"] = {"path": data_name, **({"columns": columns} if columns else {})}
    raw["bootstrap"] = {"draws": 20}
    raw["efa"] = {"enabled": False}
    for key in ("sem", "profile"):  # the relabelled copies rename the background columns too
        raw.pop(key, None)
    for f in YK.glob("*.lav"):
        shutil.copy(f, tmp_path / f.name)
    return raw


def test_survey_items_by_label_give_the_same_estimates(tmp_path: Path) -> None:
    from cbeclab.survey.spec import survey_spec_from_dict
    from cbeclab.survey.workflow import run_survey

    df = pd.read_csv(YK / "yongkang_survey_SYNTHETIC.csv")
    cn = df.rename(columns={c: f"第{i}题（{c}）" for i, c in enumerate(df.columns) if c != "respondent"})
    cn = cn.rename(columns={"respondent": "编号"})
    cn.to_csv(tmp_path / "cn.csv", index=False, encoding="gbk")
    shutil.copy(YK / "yongkang_survey_SYNTHETIC.csv", tmp_path / "yongkang_survey_SYNTHETIC.csv")
    ref = run_survey(
        survey_spec_from_dict(
            _survey_spec(tmp_path, "yongkang_survey_SYNTHETIC.csv", None), base_dir=tmp_path
        )
    )
    by_label = run_survey(
        survey_spec_from_dict(_survey_spec(tmp_path, "cn.csv", {"match": "（{item}）"}), base_dir=tmp_path)
    )
    pd.testing.assert_frame_equal(ref.sem.params, by_label.sem.params)
    by_order = run_survey(
        survey_spec_from_dict(_survey_spec(tmp_path, "cn.csv", {"first": "B"}), base_dir=tmp_path)
    )
    pd.testing.assert_frame_equal(ref.sem.params, by_order.sem.params)


def test_sav_variable_labels_become_item_texts(tmp_path: Path) -> None:
    import pyreadstat

    from cbeclab.survey.spec import survey_spec_from_dict
    from cbeclab.survey.tables import table1
    from cbeclab.survey.workflow import run_survey

    df = pd.read_csv(YK / "yongkang_survey_SYNTHETIC.csv").astype(float)
    labels = {c: f"题目{c}" for c in df.columns}
    pyreadstat.write_sav(df, str(tmp_path / "a.sav"), column_labels=labels)
    raw = _survey_spec(tmp_path, "a.sav", None)
    for cs in raw["constructs"].values():  # drop the spec's own item texts
        cs["items"] = list(cs["items"]) if isinstance(cs["items"], dict) else cs["items"]
    res = run_survey(survey_spec_from_dict(raw, base_dir=tmp_path))
    t1 = table1(res, "zh")
    col = "题项内容" if "题项内容" in t1.columns else "item_text"
    assert "题目T11" in t1[col].astype(str).tolist()
    assert res.spec.constructs["F1"].items["T12"].zh == "题目T12"


def test_sem_columns_option(tmp_path: Path) -> None:
    d = pd.read_csv(ROOT / "tests" / "fixtures" / "sem_mediation_data.csv")
    model = tmp_path / "m.lav"
    model.write_text("m1 ~ a*x\ny ~ b*m1 + x\nab := a*b\n")
    out_ref, out_cn = tmp_path / "r.json", tmp_path / "c.json"
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "sem",
            str(model),
            str(ROOT / "tests" / "fixtures" / "sem_mediation_data.csv"),
            "--json",
            str(out_ref),
        ],
    )
    assert r.exit_code == 0, r.output
    cn = d.rename(columns={c: f"问题({c})" for c in d.columns})
    cn.to_csv(tmp_path / "cn.csv", index=False)
    r = runner.invoke(
        main,
        ["sem", str(model), str(tmp_path / "cn.csv"), "--columns", "match=({item})", "--json", str(out_cn)],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out_ref.read_text())["params"] == json.loads(out_cn.read_text())["params"]
    r = runner.invoke(main, ["sem", str(model), str(tmp_path / "cn.csv"), "--columns", "match=[{item}]"])
    assert r.exit_code == 2 and "0 headers contain" in r.output
