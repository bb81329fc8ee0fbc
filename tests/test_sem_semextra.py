"""fixed_x=False, likelihood="wishart" and R-square of improper solutions, against lavaan 0.6-14.

Fixtures: tests/fixtures/sem_fixedx_false_*.json and sem_wishart_*.json, made by
tests/fixtures/r/sem_semextra.R (see each file's "made_by").
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets.classic import holzinger_swineford, political_democracy
from cbeclab.errors import CbecWarning, SpecError
from cbeclab.sem import Model
from cbeclab.sem.rsquare import r_square
from lavaan_compare import assert_fit_measures_agree

FIX = Path(__file__).parent / "fixtures"
CASES = {
    "fixedx_false_mimic": (holzinger_swineford, {"fixed_x": False}, {}),
    "fixedx_false_path": (political_democracy, {"fixed_x": False}, {}),
    "fixedx_false_mimic_means": (holzinger_swineford, {"fixed_x": False}, {"meanstructure": True}),
    "wishart_hs": (holzinger_swineford, {}, {"likelihood": "wishart"}),
    "wishart_poldem": (political_democracy, {}, {"likelihood": "wishart"}),
}


def _load(name: str) -> dict:
    return json.loads((FIX / f"sem_{name}.json").read_text())


@pytest.fixture(scope="module", params=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[dict, object]:
    ref = _load(request.param)
    loader, mkw, fkw = CASES[request.param]
    assert ref["made_by"].startswith("Rscript tests/fixtures/r/sem_semextra.R")
    return ref, Model(ref["model"], **mkw).fit(loader(), **fkw)


def test_params_agree(case: tuple[dict, object]) -> None:
    ref, res = case
    r = pd.DataFrame(ref["params"])
    assert len(res.params) == len(r)
    m = res.params.merge(r, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(m) == len(r)
    for col, rcol in [("est", "est_r"), ("se", "se_r"), ("std_all", "std.all"), ("ci_lower", "ci.lower")]:
        a, b = m[col].to_numpy(float), m[rcol].to_numpy(float)
        ok = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) < 1e-3)
        assert ok.all(), (col, np.nanmax(np.abs(a - b)))


def test_fit_measures_agree(case: tuple[dict, object]) -> None:
    ref, res = case
    assert_fit_measures_agree(res.fit_measures(), ref["fit"])
    assert res.nobs == ref["nobs"]


def test_fixed_x_false_frees_the_covariate_block() -> None:
    ref = _load("fixedx_false_mimic")
    fixed = Model(ref["model"]).fit(holzinger_swineford())
    free = Model(ref["model"], fixed_x=False).fit(holzinger_swineford())
    p = free.params
    cov = p[(p["op"] == "~~") & (p["lhs"] == "ageyr") & (p["rhs"] == "grade")]
    assert len(cov) == 1 and cov["se"].iloc[0] > 0
    # same model for the covariance structure: chi-square and df agree; only npar/baseline count differ
    assert free.fit_measures()["chisq"] == pytest.approx(fixed.fit_measures()["chisq"], rel=1e-6)
    assert free.fit_measures()["npar"] == fixed.fit_measures()["npar"] + 3


def test_wishart_is_refused_outside_listwise_ml() -> None:
    with pytest.raises(SpecError):
        Model("f =~ x1 + x2 + x3").fit(holzinger_swineford(), likelihood="wishart", estimator="MLR")
    with pytest.raises(SpecError):
        Model("f =~ x1 + x2 + x3").fit(holzinger_swineford(), likelihood="student")


def test_r_square_negative_residual_is_na() -> None:
    notes: list[str] = []
    r2 = r_square(np.array([0.25, -0.1]), np.array([1.0, 2.0]), ["a", "b"], notes)
    assert r2["a"] == pytest.approx(0.75)  # 1 - 0.25 / 1 by hand
    assert np.isnan(r2["b"]) and len(notes) == 1 and "b" in notes[0]


def test_heywood_fit_gives_na_r_square_with_warning() -> None:
    # r12 r13 / r23 = 0.8 * 0.8 / 0.5 = 1.28 > 1: the standardized loading of y1 exceeds 1 and its
    # residual variance is 1 - 1.28 = -0.28 (worked by hand; three indicators, just identified)
    R = pd.DataFrame(
        [[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]],
        index=["y1", "y2", "y3"],
        columns=["y1", "y2", "y3"],
    )
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = Model("f =~ y1 + y2 + y3").fit(cov=R, nobs=200, cov_rescale=False)
    p = res.params
    resid = p[(p["op"] == "~~") & (p["lhs"] == "y1") & (p["rhs"] == "y1")]["est"].iloc[0]
    assert resid == pytest.approx(-0.28, abs=1e-4)
    assert np.isnan(res.r2["y1"])
    assert res.r2["y2"] == pytest.approx(0.8 * 0.5 / 0.8, abs=1e-4)  # l2^2 = r12 r23 / r13
    assert any("R-square of y1" in str(m.message) for m in w if issubclass(m.category, CbecWarning))
    assert res.to_dict()["r2"]["y1"] is None
