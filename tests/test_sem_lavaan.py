"""Agreement with lavaan 0.6-14 (fixtures made by tests/fixtures/r/sem_*.R; see their "made_by")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.sem import Model
from lavaan_compare import assert_fit_measures_agree

FIX = Path(__file__).parent / "fixtures"
CASES = {
    "hs_cfa": (holzinger_swineford, False),
    "hs_cfa_stdlv": (holzinger_swineford, True),
    "poldem": (political_democracy, False),
    "mediation": (lambda: pd.read_csv(FIX / "sem_mediation_data.csv"), False),
    "second_order": (holzinger_swineford, False),
    "mimic": (holzinger_swineford, False),
    "poldem_stdlv": (political_democracy, True),
}
#: fit measures compared relatively (they scale with n)
RELATIVE = {"chisq", "baseline_chisq", "logl", "unrestricted_logl", "aic", "bic", "bic2", "cn_05", "cn_01"}
#: measures the brief requires (others lavaan prints are compared too)
REQUIRED = {
    "chisq", "df", "pvalue", "baseline_chisq", "baseline_df", "cfi", "tli", "nfi", "ifi", "rfi", "nnfi",
    "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "rmsea_pvalue", "srmr", "gfi", "agfi", "aic", "bic",
    "logl", "npar",
}  # fmt: skip


def _load(name: str) -> dict:
    return json.loads((FIX / f"sem_{name}.json").read_text())


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[dict, object]:
    ref = _load(request.param)
    loader, std_lv = CASES[request.param]
    res = Model(ref["model"], std_lv=std_lv).fit(loader())
    return ref, res


def test_fixture_provenance() -> None:
    for name in CASES:
        assert _load(name)["made_by"].startswith("Rscript tests/fixtures/r/sem_")


def test_parameter_estimates_agree(case: tuple[dict, object]) -> None:
    ref, res = case
    r = pd.DataFrame(ref["params"])
    ours = res.params
    assert len(ours) == len(r)
    m = ours.merge(r, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(m) == len(r), "every lavaan parameter must be in our table (same lhs/op/rhs)"
    for col, rcol in [
        ("est", "est_r"),
        ("se", "se_r"),
        ("z", "z_r"),
        ("pvalue", "pvalue_r"),
        ("ci_lower", "ci.lower"),
        ("ci_upper", "ci.upper"),
        ("std_lv", "std.lv"),
        ("std_all", "std.all"),
    ]:
        a = m[col].to_numpy(float)
        b = m[rcol].to_numpy(float)
        both_nan = np.isnan(a) & np.isnan(b)
        assert np.all(both_nan | (np.abs(a - b) < 1e-3)), (col, np.nanmax(np.abs(a - b)))
    if "label_r" in m:
        assert (m["label"] == m["label_r"].fillna("")).all()


def test_fit_measures_agree(case: tuple[dict, object]) -> None:
    ref, res = case
    fm = res.fit_measures()
    keys = {k.replace(".", "_"): v for k, v in ref["fit"].items()}
    assert REQUIRED <= set(keys) and REQUIRED <= set(fm)
    assert_fit_measures_agree(fm, keys)
    assert fm["chisq_df"] == pytest.approx(fm["chisq"] / fm["df"]) if fm["df"] > 0 else True


def test_r2_agrees(case: tuple[dict, object]) -> None:
    ref, res = case
    r2 = pd.Series(ref["r2"], dtype=float)
    assert res.nobs == ref["nobs"]
    assert set(r2.index) == set(res.r2.index)
    assert np.abs(res.r2[r2.index].to_numpy() - r2.to_numpy()).max() < 1e-3


def test_equality_labels_share_estimates() -> None:
    ref = _load("poldem")
    res = Model(ref["model"]).fit(political_democracy())
    p = res.params
    for lab in "abc":
        est = p.loc[p["label"] == lab, "est"].to_numpy()
        assert len(est) == 2 and est[0] == est[1]
    assert res.partable.n_free == 28


def test_cov_input_matches_raw_data() -> None:
    ref = _load("hs_cfa")
    df = holzinger_swineford()
    cols = [f"x{i}" for i in range(1, 10)]
    r1 = Model(ref["model"]).fit(df)
    r2 = Model(ref["model"]).fit(cov=df[cols].cov(), nobs=len(df))
    assert np.allclose(r1.params["est"], r2.params["est"], atol=1e-6)
    assert r2.fit_measures()["chisq"] == pytest.approx(r1.fit_measures()["chisq"], rel=1e-8)


def test_summary_and_to_dict() -> None:
    ref = _load("mediation")
    res = Model(ref["model"]).fit(pd.read_csv(FIX / "sem_mediation_data.csv"))
    text = res.summary()
    assert "Defined Parameters:" in text and "ind1" in text and "Test statistic" in text
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["nobs"] == 200 and len(d["params"]) == len(res.params)
    assert d["params"][-1]["lhs"] == "total"
