"""Seed 000 influencing-factor summary against the paper's own tables.

Reference: seed 000 (Zhu & Lu) Table 4 (path estimates, S.E., C.R., p; *** entered as p = 0.0005)
and Table 5 (bias-corrected bootstrap mediation), transcribed in examples/diagnose/make_example.py
and below. Table 5 reports the indirect share as 23 % (industrial cluster factors) and 26.51 %
(local government factors); the prose of §4.5 swaps the latter with the direct share, the table is
followed.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cbeclab.diagnose.factors import summarize_factors
from cbeclab.errors import DataError, SpecError

ROLES = {"F1": "enterprise", "F2": "cluster", "F3": "government", "M": "upgrading"}
LABELS = {
    "F2": {"en": "industrial cluster factors", "zh": "产业集群因素"},
    "M": {"en": "upgrading", "zh": "转型升级"},
}


@pytest.fixture()
def table4() -> pd.DataFrame:
    rows = [
        ("Y", "F1", 0.094, 0.044, 1.898, 0.058),
        ("Y", "F2", 0.392, 0.069, 5.206, 0.0005),
        ("Y", "F3", 0.303, 0.072, 3.89, 0.0005),
        ("Y", "M", 0.318, 0.06, 4.581, 0.0005),
        ("M", "F1", 0.157, 0.068, 2.359, 0.018),
        ("M", "F2", 0.374, 0.099, 3.984, 0.0005),
        ("M", "F3", 0.343, 0.106, 3.455, 0.0005),
    ]
    df = pd.DataFrame(rows, columns=["lhs", "rhs", "est", "se", "z", "pvalue"])
    df.insert(1, "op", "~")
    return df


@pytest.fixture()
def table5() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": ["F1", "F2", "F3"],
            "y": ["Y"] * 3,
            "mediators": ["M"] * 3,
            "indirect": [np.nan, 0.109, 0.101],
            "direct": [np.nan, 0.360, 0.280],
            "total": [np.nan, 0.469, 0.381],
            "indirect_ci_lower": [0.01, 0.039, 0.031],
            "indirect_ci_upper": [0.126, 0.221, 0.221],
            "direct_ci_lower": [-0.005, 0.191, 0.118],
            "direct_ci_upper": [0.192, 0.621, 0.544],
        }
    )


def test_significance_matches_table4(table4) -> None:
    s = summarize_factors(table4, roles=ROLES)
    sig = dict(zip(zip(s.paths["predictor"], s.paths["outcome"]), s.paths["significant"]))
    assert not sig[("F1", "Y")]  # p = 0.058
    assert all(v for k, v in sig.items() if k != ("F1", "Y"))
    assert s.significant_roles == ("cluster", "government", "upgrading")
    assert s.nonsignificant_roles == ("enterprise",)


def test_alpha_boundary(table4) -> None:
    # significant means p < alpha: p = 0.058 is not significant at 0.058, is at 0.0581
    s1 = summarize_factors(table4, alpha=0.058)
    s2 = summarize_factors(table4, alpha=0.0581)
    f1 = (s1.paths["predictor"] == "F1") & (s1.paths["outcome"] == "Y")
    assert not s1.paths.loc[f1, "significant"].item() and s2.paths.loc[f1, "significant"].item()
    with pytest.raises(SpecError):
        summarize_factors(table4, alpha=1.5)


def test_shares_match_table5(table4, table5) -> None:
    s = summarize_factors(table4, table5, roles=ROLES, labels=LABELS)
    e = s.effects.set_index("x")
    assert e.loc["F2", "indirect_share"] == pytest.approx(0.23, abs=0.005)  # Table 5: 23 %
    assert e.loc["F2", "direct_share"] == pytest.approx(0.77, abs=0.005)  # 77 %
    assert e.loc["F3", "indirect_share"] == pytest.approx(0.2651, abs=0.001)  # 26.51 %
    assert e.loc["F3", "direct_share"] == pytest.approx(0.7349, abs=0.001)  # 73.49 %
    assert e.loc["F2", "verdict"] == e.loc["F3", "verdict"] == "partial"
    # F1: indirect CI [0.010, 0.126] excludes 0, direct CI includes 0 -> full mediation by the rule of
    # §4.5 (the paper reads this row as no mediation; the rule is followed here)
    assert e.loc["F1", "verdict"] == "full"
    assert s.mediated_roles == ("enterprise", "cluster", "government")
    en = s.effects.set_index("x").loc["F2", "text_en"]
    assert (
        "industrial cluster factors" in en and "76.8%" in en and "23.2%" in en and "partial mediation" in en
    )
    zh = s.effects.set_index("x").loc["F2", "text_zh"]
    assert "产业集群因素" in zh and "部分中介" in zh
    json.dumps(s.to_dict(), allow_nan=False)


def test_without_mediation_table_uses_path_products(table4) -> None:
    s = summarize_factors(table4)
    e = s.effects.set_index("x")
    assert e.loc["F2", "indirect"] == pytest.approx(0.374 * 0.318)
    assert e.loc["F2", "direct"] == pytest.approx(0.392)
    assert e.loc["F2", "indirect_share"] == pytest.approx(0.374 * 0.318 / (0.392 + 0.374 * 0.318))
    # F1: both links significant (0.018, < 0.001) -> indirect significant; direct not -> full
    assert e.loc["F1", "verdict"] == "full"
    assert e.loc["F1", "source"].startswith("path products")
    assert any("joint-significance" in n for n in s.notes)


def test_sentences_and_to_dict_formats(table4, table5) -> None:
    s = summarize_factors({"params": table4.to_dict("records")}, {"verdicts": table5.to_dict("records")})
    en = s.sentences("en")
    assert en[0].startswith("F1 has no significant effect on Y") and "p = 0.058" in en[0]
    assert "p < 0.001" in en[1]
    assert len(s.sentences("zh")) == len(en) == 7 + 3


def test_bad_inputs(table4) -> None:
    with pytest.raises(DataError, match="lacks columns"):
        summarize_factors(table4.drop(columns=["pvalue"]))
    with pytest.raises(DataError, match="no regression"):
        summarize_factors(table4.assign(op="=~"))
    with pytest.raises(DataError):
        summarize_factors(42)
    with pytest.raises(DataError, match="mediation table lacks"):
        summarize_factors(table4, pd.DataFrame({"x": ["F1"]}))


def test_real_fit_and_mediation_objects() -> None:
    """A cbeclab SEM fit and MediationResult (synthetic Yongkang survey, no bootstrap) are accepted."""
    from cbeclab.datasets.survey import synthetic_yongkang_survey, yongkang_model_syntax
    from cbeclab.sem.mediation import mediation
    from cbeclab.sem.model import Model

    df = synthetic_yongkang_survey(n=233, seed=1)
    fit = Model(yongkang_model_syntax("sem")).fit(df)
    med = mediation(fit, df, bootstrap=0)
    s = summarize_factors(fit, med, roles=ROLES)
    assert len(s.paths) == 7 and len(s.effects) == 3
    assert set(s.effects["mediators"]) == {"M"}
    reg = fit.params[fit.params["op"] == "~"]
    assert list(s.paths["pvalue"]) == list(reg["pvalue"])
    json.dumps(s.to_dict(), allow_nan=False)
