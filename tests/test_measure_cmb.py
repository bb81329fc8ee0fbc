"""Harman's test, single-factor CFA comparison, MSV/ASV and the sample profile.

References: tests/fixtures/psych_semextra.json (made by tests/fixtures/r/psych_semextra.R: R prcomp,
psych::principal, lavaan cfa + anova, lavInspect cor.lv); the profile counts are worked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import DataError
from cbeclab.measure.cmb import harman_single_factor, msv_asv, single_factor_comparison
from cbeclab.measure.profile import sample_profile
from cbeclab.sem import Model
from cbeclab.survey.workflow import latent_correlations

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "psych_semextra.json").read_text())
X = pd.read_csv(FIX / "psych_yongkang_synth.csv", comment="#")
MEAS = "\n".join(
    [
        "F1 =~ T11 + T12 + T13 + T14 + T15",
        "F2 =~ T21 + T22 + T23 + T24 + T25 + T26",
        "F3 =~ T31 + T32 + T33 + T34",
        "M =~ M1 + M2 + M3 + M4 + M5",
        "Y =~ Y1 + Y2 + Y3 + Y4",
    ]
)


def test_harman_matches_prcomp_and_principal() -> None:
    h = harman_single_factor(X)
    assert REF["made_by"].startswith("Rscript tests/fixtures/r/psych_semextra.R")
    assert h.share == pytest.approx(REF["prcomp_share"], abs=1e-10)
    assert h.share == pytest.approx(REF["principal_share"], abs=1e-10)
    assert np.allclose(h.eigenvalues.to_numpy()[:5], REF["prcomp_eigen"], atol=1e-9)
    assert np.allclose(h.loadings.to_numpy(), REF["principal_loadings"], atol=1e-8)
    assert h.passed  # 28.7 % < 50 %
    with pytest.raises(DataError):
        harman_single_factor(X.iloc[:2])


def test_single_factor_comparison_matches_lavaan_anova() -> None:
    one = Model("CMV =~ " + " + ".join(X.columns)).fit(X)
    meas = Model(MEAS).fit(X)
    c = single_factor_comparison(one, meas)
    for row, key in (("one_factor", "one_factor"), ("measurement", "measurement")):
        for k in ("chisq", "df", "cfi", "tli", "rmsea", "srmr"):
            assert c.table.loc[row, k] == pytest.approx(REF[key][k], abs=1e-3 * max(1, abs(REF[key][k]))), (
                row,
                k,
            )
    assert c.delta_chisq == pytest.approx(REF["delta_chisq"], rel=1e-5)
    assert c.delta_df == REF["delta_df"]
    assert c.delta_pvalue == pytest.approx(REF["delta_p"], abs=1e-6)


def test_msv_asv_match_lavaan_cor_lv() -> None:
    meas = Model(MEAS).fit(X)
    t = msv_asv(latent_correlations(meas.params, ["F1", "F2", "F3", "M", "Y"]))
    for c in t.index:
        assert t.loc[c, "msv"] == pytest.approx(REF["msv"][c], abs=1e-4)
        assert t.loc[c, "asv"] == pytest.approx(REF["asv"][c], abs=1e-4)


def test_msv_asv_by_hand() -> None:
    phi = pd.DataFrame(
        [[1, 0.5, -0.2], [0.5, 1, 0.3], [-0.2, 0.3, 1]], index=list("abc"), columns=list("abc")
    )
    t = msv_asv(phi)
    assert t.loc["a", "msv"] == pytest.approx(0.25) and t.loc["a", "asv"] == pytest.approx((0.25 + 0.04) / 2)
    assert t.loc["c", "msv"] == pytest.approx(0.09)


def test_sample_profile_with_value_labels() -> None:
    df = pd.DataFrame(
        {"性别": [1.0, 2.0, 2.0, 1.0, 2.0, np.nan], "企业规模": ["小", "中", "小", "大", "小", "小"]}
    )
    df.attrs["value_labels"] = {"性别": {1: "男", 2: "女"}}
    p = sample_profile(df, ["性别", "企业规模"])
    g = p[p["variable"] == "性别"].set_index("category")
    assert g.loc["男", "n"] == 2 and g.loc["女", "n"] == 3 and g.loc["女", "percent"] == pytest.approx(50.0)
    assert len(g) == 3  # 男, 女 and the missing row
    s = p[p["variable"] == "企业规模"].set_index("category")
    assert s.loc["小", "n"] == 4 and s["percent"].sum() == pytest.approx(100.0)
    with pytest.raises(DataError):
        sample_profile(df, ["年龄"])


def test_sample_profile_reads_sav_labels(tmp_path: Path) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    from cbeclab.io.readers import read_table

    df = pd.DataFrame({"gender": [1.0, 2.0, 2.0, 1.0], "size": [1.0, 1.0, 3.0, 2.0]})
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(
        df,
        str(path),
        variable_value_labels={"gender": {1.0: "男", 2.0: "女"}, "size": {1.0: "小", 2.0: "中", 3.0: "大"}},
    )
    p = sample_profile(read_table(path), ["gender", "size"])
    assert list(p["category"]) == ["男", "女", "小", "中", "大"]
    assert list(p["n"]) == [2, 2, 2, 1, 1]
