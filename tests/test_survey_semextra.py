"""Survey workflow additions: sample profile, Harman's test, one-factor CFA comparison, MSV/ASV tables.

Numbers are compared with the measure functions' outputs (themselves checked against R in
tests/test_measure_cmb.py) and with tests/fixtures/psych_semextra.json (R prcomp / lavaan).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.survey.spec import SemExtrasSpec, load_survey_spec
from cbeclab.survey.workflow import run_survey

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"
REF = json.loads((FIX / "psych_semextra.json").read_text())


@pytest.fixture(scope="module")
def res():  # type: ignore[no-untyped-def]
    X = pd.read_csv(FIX / "psych_yongkang_synth.csv", comment="#")
    X["性别"] = np.where(np.arange(len(X)) % 3 == 0, 1.0, 2.0)
    X["企业规模"] = np.where(np.arange(len(X)) % 2 == 0, "小型", "中型")
    X.attrs["value_labels"] = {"性别": {1: "男", 2: "女"}}
    spec = load_survey_spec(ROOT / "examples" / "yongkang" / "survey.yaml")
    spec = spec.model_copy(
        update={"profile": ["性别", "企业规模"], "mediation": [], "lang": "zh", "sem": SemExtrasSpec(),
                "bootstrap": spec.bootstrap.model_copy(update={"draws": 50, "n_jobs": 1})}
    )  # fmt: skip
    return run_survey(spec, data=X)


def test_cmb_numbers_match_r(res) -> None:  # type: ignore[no-untyped-def]
    assert res.harman.share == pytest.approx(REF["prcomp_share"], abs=1e-10)
    c = res.single_factor
    assert c.delta_chisq == pytest.approx(REF["delta_chisq"], rel=1e-5) and c.delta_df == REF["delta_df"]
    for k in ("msv", "asv"):
        for name, v in REF[k].items():
            assert res.msv_asv.loc[name, k] == pytest.approx(v, abs=1e-4)


def test_tables_in_both_languages(res) -> None:  # type: ignore[no-untyped-def]
    zh = res.tables("zh")
    en = res.tables("en")
    for key in ("msv_asv", "harman", "single_factor", "profile"):
        assert key in zh and len(zh[key]) > 0
    h = en["harman"]
    assert h.iloc[0, 1] == pytest.approx(100 * REF["prcomp_share"])
    assert "Δχ²" in en["single_factor"].attrs["note"]
    p = zh["profile"]
    g = p[p["变量"] == "性别"].set_index("类别")
    assert g.loc["男", "人数"] == 78 and g.loc["女", "人数"] == 155  # 233 rows, every third is 1
    assert g["百分比（%）"].sum() == pytest.approx(100.0)
    m = en["msv_asv"].set_index("Construct")
    assert set(m.columns) >= {"AVE", "MSV", "ASV", "MSV < AVE"}
    d = res.to_dict("en")
    json.dumps(d, allow_nan=False)
    assert d["results"]["harman"]["share"] == pytest.approx(REF["prcomp_share"])
