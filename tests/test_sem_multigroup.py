"""Multi-group fits, c() modifiers and measurement invariance against lavaan 0.6-14
(fixture tests/fixtures/sem_multigroup.json made by tests/fixtures/r/sem_multigroup.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.classic import holzinger_swineford
from cbeclab.errors import CbecError, SpecError
from cbeclab.sem import Model
from cbeclab.sem.multigroup import STEPS, invariance

FIX = Path(__file__).parent / "fixtures"
REF = json.loads((FIX / "sem_multigroup.json").read_text())
RELATIVE = {"chisq", "baseline_chisq", "logl", "unrestricted_logl", "aic", "bic", "bic2", "cn_05", "cn_01"}
RELATIVE |= {"chisq_scaled", "baseline_chisq_scaled"}
#: lavaan measures cbeclab does not print (none: GFI, CRMR, Mplus SRMR and the FIML .robust family are built)
NOT_BUILT: set[str] = set()


def _lk() -> pd.DataFrame:
    return pd.read_csv(FIX / "sem_likert_missing.csv")


def _compare(ref: dict, res: object) -> int:
    R = pd.DataFrame(ref["params"])
    labels = ref["group_labels"]
    R["group"] = [labels[g - 1] for g in R["group"]]
    m = res.params.merge(R, on=["lhs", "op", "rhs", "group"], suffixes=("", "_r"))  # type: ignore[attr-defined]
    assert len(m) == len(R) == len(res.params)  # type: ignore[attr-defined]
    for col, rcol in (("est", "est_r"), ("se", "se_r"), ("std_all", "std.all")):
        assert np.nanmax(np.abs(m[col] - m[rcol])) < 1e-3, col
    fm = res.fit_measures()  # type: ignore[attr-defined]
    n = 0
    for k, v in ref["fit"].items():
        key = k.replace(".", "_")
        if key not in fm:
            assert key in NOT_BUILT or key.startswith("scaling_"), key
            continue
        if v is None:
            continue
        tol = 1e-3 * max(1.0, abs(v)) if key in RELATIVE else 1e-3
        assert abs(fm[key] - v) <= tol, (key, fm[key], v)
        n += 1
    return n


@pytest.mark.parametrize(("step", "eq"), STEPS)
def test_invariance_steps_ml(step: str, eq: tuple[str, ...]) -> None:
    res = Model(REF["hs_model"]).fit(holzinger_swineford(), group="school", group_equal=eq)
    assert _compare(REF["hs"]["steps"][step], res) >= 35
    assert set(res.params["group"]) == {"Pasteur", "Grant-White"}


@pytest.mark.parametrize(("step", "eq"), STEPS)
def test_invariance_steps_fiml_mlr(step: str, eq: tuple[str, ...]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Model(REF["lk_model"]).fit(_lk(), group="size", group_equal=eq, estimator="MLR", missing="ml")
    assert _compare(REF["lk_fiml_mlr"]["steps"][step], res) >= 35


def test_c_labels_and_values() -> None:
    res = Model(REF["hs_labels_model"]).fit(holzinger_swineford(), group="school")
    assert _compare(REF["hs_labels"], res) >= 35
    x3 = res.params[(res.params["rhs"] == "x3") & (res.params["op"] == "=~")]
    assert x3["est"].nunique() == 1 and set(x3["label"]) == {"l3"}


@pytest.mark.parametrize(("data", "group", "kw", "key"), [("hs", "school", {}, "hs"),
                                                           ("lk", "size", {"estimator": "MLR", "missing": "ml"},
                                                            "lk_fiml_mlr")])  # fmt: skip
def test_invariance_table_matches_lavtestlrt(data: str, group: str, kw: dict, key: str) -> None:
    df = holzinger_swineford() if data == "hs" else _lk()
    model = REF["hs_model"] if data == "hs" else REF["lk_model"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = invariance(Model(model), df, group, **kw)
    assert list(tab["step"]) == ["configural", "metric", "scalar", "strict"]
    suffix = ".scaled" if kw else ""
    for _i, row in tab.iterrows():
        ref = REF[key]["steps"][row["step"]]["fit"]
        assert abs(row["chisq"] - ref["chisq" + suffix]) < 1e-3 * ref["chisq" + suffix]
        assert abs(row["cfi"] - ref["cfi" + suffix]) < 1e-3
        assert abs(row["rmsea"] - ref["rmsea" + suffix]) < 1e-3
        if row["step"] != "configural":
            lrt = REF[key]["lrt"][row["step"]]
            assert abs(row["chisq_diff"] - lrt["chisq_diff"]) < 1e-3 * max(1.0, lrt["chisq_diff"])
            assert row["df_diff"] == lrt["df_diff"]
            assert abs(row["pvalue_diff"] - lrt["pvalue"]) < 1e-3


def test_group_errors() -> None:
    with pytest.raises(SpecError, match="group_equal"):
        Model(REF["hs_model"]).fit(holzinger_swineford(), group="school", group_equal=["loading"])
    with pytest.raises(CbecError, match="entries"):
        Model("f =~ x1 + c(a, b, c)*x2 + x3").fit(holzinger_swineford(), group="school")


def test_multigroup_mediation_against_lavaan() -> None:
    """Indirect effect per group and their difference: est and delta-method se as lavaan; the
    bootstrap (within-group resampling) agrees with lavaan's se = "bootstrap" within Monte-Carlo error."""
    from cbeclab.sem.multigroup import group_bootstrap

    ref = json.loads((FIX / "sem_mg_mediation.json").read_text())
    res = Model(ref["model"]).fit(_lk(), group="size")
    assert list(res.nobs) == ref["nobs"]
    defined = res.params[res.params["op"] == ":="].set_index("lhs")
    for row in ref["defined"]:
        assert abs(defined.loc[row["lhs"], "est"] - row["est"]) < 1e-3
        assert abs(defined.loc[row["lhs"], "se"] - row["se"]) < 1e-3
    boot = group_bootstrap(res, n_boot=60, seed=3).set_index("lhs")
    assert (boot["n_boot"] == 60).all()
    for row in ref["boot"]:
        b = boot.loc[row["lhs"]]
        assert b["ci_lower"] < b["est"] < b["ci_upper"]
        # 60 draws: the SE of a bootstrap SE is about 9 %; allow 35 %
        assert abs(b["boot_se"] - row["se"]) < 0.35 * row["se"], (row["lhs"], b["boot_se"], row["se"])
