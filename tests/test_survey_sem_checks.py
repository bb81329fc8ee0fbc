"""Survey report: invariance, modification indices, common method bias, MSV/ASV and the sample
profile (issue 10, "Done when").  Every number in the new tables is the output of the public SEM
functions (``cbeclab.sem.multigroup.invariance``, ``cbeclab.sem.modindices.modindices``), which are
themselves checked against lavaan in tests/test_sem_matrix.py; here they are recomputed and
compared, and the tables are looked for in the HTML, XLSX and DOCX files in both languages."""

from __future__ import annotations

import json
import warnings
import zipfile
from html import escape
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cbeclab.errors import SpecError
from cbeclab.render import interpret
from cbeclab.sem import Model
from cbeclab.sem.modindices import modindices
from cbeclab.sem.multigroup import invariance
from cbeclab.survey.report import write_survey_outputs
from cbeclab.survey.spec import load_survey_spec, survey_spec_from_dict
from cbeclab.survey.tables import invariance_group_names
from cbeclab.survey.workflow import run_survey

ROOT = Path(__file__).resolve().parents[1]
YK = ROOT / "examples" / "yongkang"


def _spec():  # type: ignore[no-untyped-def]
    s = load_survey_spec(YK / "survey.yaml")
    return s.model_copy(update={"bootstrap": s.bootstrap.model_copy(update={"draws": 30, "n_jobs": 1})})


@pytest.fixture(scope="module")
def res():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_survey(_spec())


def test_invariance_table_is_the_public_function(res) -> None:  # type: ignore[no-untyped-def]
    d = pd.read_csv(YK / "yongkang_survey_SYNTHETIC.csv")
    ref = invariance(Model(res.spec.measurement_syntax()), d, "firm_size")
    cols = ["chisq", "df", "cfi", "tli", "rmsea", "srmr", "chisq_diff", "pvalue_diff", "delta_cfi"]
    assert np.allclose(res.invariance[cols].to_numpy(float), ref[cols].to_numpy(float), equal_nan=True)
    assert list(res.invariance["step"]) == ["configural", "metric", "scalar", "strict"]
    assert dict(res.invariance_groups) == {"1": 133, "2": 100}  # codes; named by value_labels when printed
    assert invariance_group_names(res, "zh") == ["中小企业", "大型企业"]
    assert invariance_group_names(res, "en") == ["SME", "Large firm"]


def test_modindices_table_is_the_public_function(res) -> None:  # type: ignore[no-untyped-def]
    d = pd.read_csv(YK / "yongkang_survey_SYNTHETIC.csv")
    ref = modindices(Model(res.spec.measurement_syntax()), d, minimum_value=3.84).head(10)
    assert len(res.modindices) == 10 and (res.modindices["mi"] >= 3.84).all()
    assert np.allclose(res.modindices["mi"], ref["mi"]) and np.allclose(
        res.modindices["sepc_all"], ref["sepc_all"]
    )
    assert res.modindices["mi"].is_monotonic_decreasing


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_in_every_output(res, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    tabs = res.tables(lang)
    for key in ("invariance", "modindices", "msv_asv", "harman", "single_factor", "profile"):
        assert key in tabs and len(tabs[key]) > 0, key
    paths = write_survey_outputs(res, tmp_path, lang)
    html = paths["html"].read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    with zipfile.ZipFile(paths["docx"]) as z:
        docx = z.read("word/document.xml").decode("utf-8")
    for key in ("invariance", "modindices", "msv_asv", "harman", "single_factor", "profile"):
        t = tabs[key]
        assert escape(t.attrs["title"]) in html, (key, lang)
        assert escape(t.attrs["title"], quote=False) in docx, (key, lang)
        assert any(t.attrs["sheet"][:31] in s for s in wb.sheetnames), (key, wb.sheetnames)
    assert 'id="checks"' in html and 'id="profile"' in html
    # the paper's tables keep their numbers 1-5
    assert html.index(escape(tabs["table5"].attrs["title"])) < html.index(
        escape(tabs["profile"].attrs["title"])
    )
    inv_sentence = interpret.invariance(
        res.invariance.to_dict("records"), ("中小企业，大型企业" if lang == "zh" else "SME, Large firm"), lang
    )
    assert escape(inv_sentence) in html
    d = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert len(d["results"]["invariance"]) == 4 and len(d["results"]["modindices"]) == 10
    if lang == "zh":
        assert "跨组测量等值性检验" in html and "测量模型的修正指数" in html and "严格等值成立" in html
    else:
        assert "strict invariance holds" in html and "Modification indices of the measurement model" in html


def test_profile_uses_spec_value_labels(res) -> None:  # type: ignore[no-untyped-def]
    zh = res.tables("zh")["profile"].set_axis(["variable", "category", "n", "percent"], axis=1)
    p = zh.set_index(["variable", "category"])
    assert p.loc[("企业规模", "中小企业"), "n"] == 133
    assert p.loc[("跨境电商经营年限", "5年以上"), "n"] == 51
    assert p.groupby(level=0)["percent"].sum().round(9).eq(100).all()
    en = res.tables("en")["profile"]
    assert set(en.iloc[:, 0]) == {"Firm size", "Years in cross-border e-commerce"}
    assert "over 5 years" in set(en.iloc[:, 1])


def test_sav_value_labels_name_groups_and_profile(tmp_path: Path) -> None:
    import pyreadstat

    d = pd.read_csv(YK / "yongkang_survey_SYNTHETIC.csv").astype(float)
    pyreadstat.write_sav(
        d, str(tmp_path / "yk.sav"), variable_value_labels={"firm_size": {1.0: "小微", 2.0: "大型"}}
    )
    raw = {"data": {"path": "yk.sav"}, "constructs": {c: {"items": list(cs.items)} for c, cs in _spec().constructs.items()},
           "model": {"paths": ["F1 -> Y", "M -> Y"]}, "profile": ["firm_size"], "cmb": False,
           "sem": {"invariance": "firm_size", "modindices": True}, "bootstrap": 20}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run_survey(survey_spec_from_dict(raw, base_dir=tmp_path))
    assert dict(r.invariance_groups) == {"小微": 133, "大型": 100}
    assert set(r.profile["category"]) == {"小微", "大型"}
    assert r.spec.sem.modindices is not None and r.spec.sem.modindices.min == 10.0
    assert (r.modindices["mi"] >= 10).all()  # none on these data: the table is empty, and kept
    assert "modindices" in r.tables("en") and len(r.tables("en")["modindices"]) == len(r.modindices)


def test_bad_group_column_names_the_field(tmp_path: Path) -> None:
    raw = {"data": {"path": str(YK / "yongkang_survey_SYNTHETIC.csv")},
           "constructs": {c: {"items": list(cs.items)} for c, cs in _spec().constructs.items()},
           "model": {"paths": ["F1 -> Y"]}, "cmb": False, "sem": {"invariance": {"group": "firmsize"}},
           "bootstrap": 20}  # fmt: skip
    with pytest.raises(SpecError) as e:
        run_survey(survey_spec_from_dict(raw, base_dir=tmp_path, source="s.yaml"))
    assert "sem.invariance.group" in str(e.value.where) and "firm_size" in str(e.value.fix)


def test_interpretation_sentences() -> None:
    steps = [
        {"step": "configural", "cfi": 0.95, "rmsea": 0.04, "delta_cfi": np.nan, "delta_rmsea": np.nan},
        {"step": "metric", "cfi": 0.948, "rmsea": 0.041, "delta_cfi": -0.002, "delta_rmsea": 0.001},
        {"step": "scalar", "cfi": 0.92, "rmsea": 0.06, "delta_cfi": -0.028, "delta_rmsea": 0.019},
        {"step": "strict", "cfi": 0.91, "rmsea": 0.06, "delta_cfi": -0.01, "delta_rmsea": 0.0},
    ]
    assert interpret.invariance(steps, "A, B", "en") == (
        "Across A, B the loadings can be held equal (metric invariance holds), so relations between constructs "
        "can be compared; equal intercepts lower CFI by 0.028 (RMSEA 0.019), so latent means should not be "
        "compared without freeing some intercepts (partial invariance)."
    )
    assert interpret.invariance(steps[:2], "甲、乙", "zh").startswith(
        "在甲、乙之间，形态等值模型拟合良好（CFI = 0.950"
    )
    assert interpret.modindices([], 10, "en") == (
        "No modification index of the measurement model reaches 10: no single omitted loading or residual "
        "covariance would improve the fit by that much."
    )
    rows = [{"lhs": "x1", "op": "~~", "rhs": "x2", "mi": 12.3456, "sepc_all": 0.3}]
    assert "最大者为 x1 ~~ x2（MI = 12.346，标准化 EPC = 0.300）" in interpret.modindices(rows, 10, "zh")
    assert interpret.cmb(0.6, 0.5, 10.0, 5, 0.001, "en").startswith(
        "Harman's single-factor test: the first unrotated factor explains 60.0% of the variance, not below 50%"
    )
    assert "cannot be ruled out" in interpret.cmb(0.3, 0.5, 4.0, 5, 0.5, "en")
    assert "共同方法偏差问题不严重" in interpret.cmb(0.3, 0.5, 400.0, 5, 1e-9, "zh")
    assert interpret.msv_asv({"A": 0.2, "B": 0.6}, {"A": 0.5, "B": 0.5}, "en").startswith(
        "MSV is not below AVE for B"
    )


def test_ordered_items_refuse_invariance(tmp_path: Path) -> None:
    import yaml

    raw = yaml.safe_load((YK / "survey.yaml").read_text(encoding="utf-8"))
    raw["ordinal"] = True
    spec = survey_spec_from_dict(raw, base_dir=YK, source="s.yaml")
    with pytest.raises(SpecError) as e:
        run_survey(spec)
    assert e.value.where == "s.yaml: field sem.invariance"
