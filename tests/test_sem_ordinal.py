"""Ordinal SEM (thresholds, polychoric / polyserial correlations, NACOV, WLSMV, ULSMV) against
lavaan 0.6-14.  Fixtures: tests/fixtures/sem_ord_*.json, made by tests/fixtures/r/sem_ordinal.R."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from cbeclab.errors import DataError, SpecError
from cbeclab.sem import Model
from cbeclab.sem.polychoric import bvn_cdf, ordinal_stats

ROOT = Path(__file__).parent.parent
FIX = ROOT / "tests" / "fixtures"
CASES = [f"{d}_{e}" for d in ("yk", "lk", "hs") for e in ("wlsmv", "ulsmv")] + [
    "mixed_wlsmv",
    "lk_pw_wlsmv",
    "hs_theta_wlsmv",
    "lk_theta_ulsmv",
]
#: the mixed case keeps x1, x4, x7 continuous (polyserial / Pearson pairs, free intercepts and variances)
MIXED = ["x2", "x3", "x5", "x6", "x8", "x9"]


def _ref(name: str) -> dict:
    return json.loads((FIX / f"sem_ord_{name}.json").read_text())


def _data(ref: dict) -> pd.DataFrame:
    return pd.read_csv(ROOT / ref["data"])


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest) -> tuple[str, dict, object]:
    ref = _ref(request.param)
    est = request.param.split("_")[-1].upper()
    missing = "pairwise" if "_pw_" in request.param else "listwise"
    par = "theta" if "_theta_" in request.param else "delta"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ordered = MIXED if request.param.startswith("mixed") else ref["cor_names"]
        res = Model(ref["model"]).fit(
            _data(ref), ordered=ordered, estimator=est, missing=missing, parameterization=par
        )
    return request.param, ref, res


def test_bvn_cdf_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    for r in (-0.995, -0.95, -0.6, -0.2, 0.0, 0.4, 0.9, 0.93, 0.999):
        h, k = rng.normal(size=2) * 1.5
        ref = multivariate_normal(cov=[[1, r], [r, 1]]).cdf([h, k])
        assert abs(bvn_cdf(h, k, r)[0] - ref) < 1e-12


@pytest.mark.parametrize("name", ["hs_wlsmv", "lk_wlsmv", "lk_pw_wlsmv"])
def test_thresholds_polychoric_nacov(name: str) -> None:
    ref = _ref(name)
    missing = "pairwise" if "_pw_" in name else "listwise"
    st = ordinal_stats(_data(ref), ref["cor_names"], ref["cor_names"], missing=missing)
    assert st.n == ref["nobs"]
    assert list(st.th_names) == list(ref["th_names"])
    assert np.abs(st.wls_obs - np.array(ref["wls_obs"])).max() < 1e-6  # thresholds + polychorics
    assert np.abs(st.cor - np.array(ref["cor"])).max() < 1e-6
    assert np.abs(st.nacov - np.array(ref["nacov"])).max() < 1e-6


def test_polyserial_and_pearson_pairs_as_lavcor() -> None:
    ref = _ref("mixed_cor")
    ordered = ["x2", "x3", "x5", "x6", "x8", "x9"]
    st = ordinal_stats(_data(ref), ref["cor_names"], ordered)
    assert np.abs(st.wls_obs - np.array(ref["wls_obs"])).max() < 1e-6  # -mean, th, var, cov
    assert np.abs(st.cor - np.array(ref["cor"])).max() < 1e-6
    assert np.abs(st.nacov - np.array(ref["nacov"])).max() < 1e-6


def test_nacov_diagonal_large_model() -> None:
    ref = _ref("yk_wlsmv")
    st = ordinal_stats(_data(ref), ref["cor_names"], ref["cor_names"])
    assert np.abs(np.diag(st.nacov) - np.array(ref["nacov_diag"])).max() < 1e-6


def test_parameters_match_lavaan(case: tuple[str, dict, object]) -> None:
    name, ref, res = case
    mine = res.params.set_index(["lhs", "op", "rhs"])  # type: ignore[attr-defined]
    theirs = pd.DataFrame(ref["params"]).set_index(["lhs", "op", "rhs"])
    assert sorted(mine.index) == sorted(theirs.index), name
    j = theirs.merge(mine, left_index=True, right_index=True, suffixes=("", "_m"))
    for a, b in (("est", "est_m"), ("se", "se_m"), ("std.all", "std_all"), ("std.lv", "std_lv")):
        diff = float((j[a] - j[b]).abs().max())
        assert diff < 1e-4, (name, a, diff)


def test_fit_measures_match_lavaan(case: tuple[str, dict, object]) -> None:
    name, ref, res = case
    fm = res.fit_measures()  # type: ignore[attr-defined]
    for key, val in ref["fit"].items():
        k = key.replace(".", "_")
        assert k in fm, (name, k)
        if val is None:
            assert not math.isfinite(fm[k]), (name, k, fm[k])
        else:
            assert abs(fm[k] - val) < 1e-4 * max(1.0, abs(val)), (name, k, fm[k], val)
    assert fm["npar"] == ref["fit"]["npar"]


def test_ordered_defaults_to_wlsmv_and_json_keys() -> None:
    ref = _ref("hs_wlsmv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = Model(ref["model"], ordered=True).fit(_data(ref))
    assert res.estimator == "WLSMV"
    d = res.to_dict()
    assert abs(d["fit"]["chisq_scaled"] - ref["fit"]["chisq.scaled"]) < 1e-4
    assert "cfi_robust" in d["fit"] and "rmsea_robust" in d["fit"]
    assert "WLSMV" in res.summary()


def test_errors_non_integer_too_many_categories_empty_category_fiml() -> None:
    ref = _ref("hs_wlsmv")
    df = _data(ref)
    m = Model(ref["model"])
    bad = df.astype(float)
    bad.loc[3, "x1"] = 2.5
    with pytest.raises(DataError, match="non-integer"):
        m.fit(bad, ordered=True)
    many = df.copy()
    many["x2"] = np.arange(len(df)) % 25
    with pytest.raises(DataError, match="distinct values"):
        m.fit(many, ordered=True)
    empty = df.astype(float)
    empty.loc[empty["x3"] == 1, "x4"] = np.nan  # category 1 of x3 only in rows dropped listwise
    with pytest.raises(DataError, match="empty"):
        m.fit(empty, ordered=True)
    with pytest.raises(SpecError, match="FIML"):
        m.fit(df, ordered=True, missing="ml")
    with pytest.raises(SpecError, match="ordered"):
        m.fit(df, estimator="WLSMV")
    with pytest.raises(SpecError, match="cannot fit ordered"):
        m.fit(df, ordered=True, estimator="MLR")


def test_r2_matches_lavaan(case: tuple[str, dict, object]) -> None:
    name, ref, res = case
    for k, v in ref["r2"].items():
        assert abs(float(res.r2[k]) - v) < 1e-4, (name, k)  # type: ignore[attr-defined]


def test_cli_ordered_json(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cbeclab.cli import main

    ref = _ref("lk_ulsmv")
    model = tmp_path / "m.lav"
    model.write_text(ref["model"])
    out = tmp_path / "o.json"
    items = ",".join(ref["cor_names"])
    data = str(ROOT / ref["data"])
    r = CliRunner().invoke(
        main, ["sem", str(model), data, "--ordered", items, "--estimator", "ulsmv", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "Thresholds:" in r.output and "Shift parameter" in r.output
    doc = json.loads(out.read_text())
    assert doc["estimator"] == "ULSMV" and doc["ordered"] == ref["cor_names"] and doc["se"] == "robust.sem"
    for key in ("chisq", "chisq.scaled", "cfi.robust", "rmsea.scaled", "srmr", "wrmr"):
        assert abs(doc["fit"][key.replace(".", "_")] - ref["fit"][key]) < 1e-4 * max(1, ref["fit"][key])
    assert doc["fit"]["pvalue"] is None  # ULS: no reference distribution for the unscaled test
    # --ordered alone means WLSMV (lavaan's default)
    r = CliRunner().invoke(main, ["sem", str(model), data, "--ordered", items, "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["estimator"] == "WLSMV"
    r = CliRunner().invoke(
        main, ["sem", str(model), data, "--ordered", items, "--parameterization", "theta", "--json", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["parameterization"] == "theta"
    bad = CliRunner().invoke(main, ["sem", str(model), data, "--ordered", "a1,zz"])
    assert bad.exit_code != 0 and "zz" in bad.output and "Traceback" not in bad.output
    fiml = CliRunner().invoke(main, ["sem", str(model), data, "--ordered", items, "--missing", "ml"])
    assert fiml.exit_code != 0 and "FIML" in fiml.output and "Traceback" not in fiml.output


def _yk_spec(**over: object):  # type: ignore[no-untyped-def]
    import yaml

    from cbeclab.survey.spec import survey_spec_from_dict

    ex = ROOT / "examples" / "yongkang" / "survey.yaml"
    raw = yaml.safe_load(ex.read_text(encoding="utf-8"))
    for key in ("sem", "profile"):  # background columns the generated frames do not have
        raw.pop(key, None)
    raw.update(over)
    return survey_spec_from_dict(raw, base_dir=str(ex.parent), source=str(ex))


def test_survey_spec_ordinal_defaults_and_refusals() -> None:
    assert _yk_spec(ordinal=True).estimator == "WLSMV"
    assert _yk_spec(ordinal=True, estimator="ULSMV").estimator == "ULSMV"
    for bad in (
        {"ordinal": True, "estimator": "MLR"},
        {"ordinal": True, "missing": "ml"},
        {"estimator": "WLSMV"},
    ):
        with pytest.raises(SpecError):
            _yk_spec(**bad)


def test_survey_ordinal_run_uses_wlsmv_like_lavaan() -> None:
    from cbeclab.survey.report import render_html
    from cbeclab.survey.workflow import run_survey

    ref = _ref("yk_wlsmv")
    res = run_survey(_yk_spec(ordinal=True, bootstrap={"draws": 20}))
    assert res.sem.estimator == "WLSMV"
    assert abs(res.fit["chisq_scaled"] - ref["fit"]["chisq.scaled"]) < 1e-4 * ref["fit"]["chisq.scaled"]
    theirs = pd.DataFrame(ref["params"])
    reg = theirs[theirs["op"] == "~"].set_index(["lhs", "rhs"])["est"]
    mine = res.sem.params[res.sem.params["op"] == "~"].set_index(["lhs", "rhs"])["est"]
    assert np.abs(mine.loc[reg.index] - reg).max() < 1e-5
    assert any("polychoric" in w for w in res.warnings)
    assert "WLSMV (ordered items: thresholds and polychoric correlations)" in render_html(res, "en")
    assert "WLSMV（有序题项：阈值与多分格相关）" in render_html(res, "zh")


def test_survey_pairwise_ordinal_matches_lavaan() -> None:
    from cbeclab.survey.spec import survey_spec_from_dict
    from cbeclab.survey.workflow import run_survey

    ref = _ref("lk_pw_wlsmv")
    raw = {
        "data": {"path": "sem_likert_missing.csv"},
        "ordinal": True,
        "missing": "pairwise",
        "constructs": {c: {"items": [f"{c.lower()}{k}" for k in range(1, 5)]} for c in "ABC"},
        "model": {"paths": ["A -> B", "A -> C", "B -> C"]},
        "bootstrap": {"draws": 10},
        "cmb": False,
    }
    res = run_survey(survey_spec_from_dict(raw, base_dir=str(FIX)))
    assert res.sem.nobs == ref["nobs"] == 600
    for key in ("chisq", "chisq.scaled", "cfi.scaled", "rmsea.robust"):
        assert abs(res.fit[key.replace(".", "_")] - ref["fit"][key]) < 1e-4 * max(1.0, ref["fit"][key])
    with pytest.raises(SpecError):
        survey_spec_from_dict(raw | {"ordinal": False, "estimator": "ML"}, base_dir=str(FIX))
