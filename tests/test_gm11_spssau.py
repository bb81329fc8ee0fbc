"""Issue 12: GM(1,1) with SPSSAU's conventions (shift transformation, residual and ratio-deviation tests,
12-period horizon, a grade on every forecast).

Numbers are worked by hand in the tests; the R comparison reads tests/fixtures/gm11_r.json, written by
tests/fixtures/r/gm11.R (base R, the shift found there by bisection instead of the closed form).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import ModelError, SpecError
from cbeclab.models.gm11 import accuracy_verdict, gm11, gm11_many, shift_constant

FIX = Path(__file__).parent / "fixtures" / "gm11_r.json"


def test_shift_constant_by_hand() -> None:
    # x = 1, 2, 3, 4, 5 (n = 5): bounds (e^(-1/3), e^(1/3)) = (0.71653, 1.39561); sigma(2) = 1/2 fails.
    lo = math.exp(-2 / 6)
    # lower bound of each ratio: (x(k-1) + c) / (x(k) + c) > lo  <=>  c > (lo x(k) - x(k-1)) / (1 - lo)
    need = [
        (lo * 2 - 1) / (1 - lo),
        (lo * 3 - 2) / (1 - lo),
        (lo * 4 - 3) / (1 - lo),
        (lo * 5 - 4) / (1 - lo),
    ]
    c_star = max(need)  # k = 2 binds: (1.43306 - 1) / 0.28347 = 1.52773
    assert c_star == pytest.approx(1.527726, abs=1e-6)
    c = shift_constant([1, 2, 3, 4, 5])
    assert c_star < c <= c_star * (1 + 1e-5)
    # a series that passes is not shifted
    assert shift_constant([2.874, 3.278, 3.337, 3.390, 3.679]) == 0.0


def test_refuse_is_the_default_and_shift_fits() -> None:
    with pytest.raises(ModelError, match="class ratio"):
        gm11([1, 2, 3, 4, 5])
    r = gm11([1, 2, 3, 4, 5], on_ratio_fail="shift")
    assert r.shift == pytest.approx(1.527726, abs=1e-5)
    # the fit is on y = x + c; fitted values are given back on the scale of x
    y = np.array([1, 2, 3, 4, 5.0]) + r.shift
    back = gm11(y, h=3)
    np.testing.assert_allclose(r.fitted, back.fitted - r.shift, rtol=1e-12)
    np.testing.assert_allclose(r.forecast.to_numpy(), back.forecast.to_numpy() - r.shift, rtol=1e-12)
    assert r.a == pytest.approx(back.a) and r.C == pytest.approx(back.C)
    assert any("x + c" in n for n in r.notes)


def test_values_below_zero_are_shifted() -> None:
    r = gm11([-0.1, 0.2, 0.1, 0.3, 0.4], on_ratio_fail="shift", h=2)
    assert r.shift > 0.1  # x + c > 0 for every value
    assert len(r.forecast) == 2


def test_residual_and_ratio_deviation_by_hand() -> None:
    # textbook series x = 2.874, 3.278, 3.337, 3.390, 3.679: a = -0.0372044 (tests/test_models_gm11.py)
    x = np.array([2.874, 3.278, 3.337, 3.390, 3.679])
    r = gm11(x, h=1)
    a = r.a
    k = 0.5 * a
    # rho(k) = 1 - (1 - 0.5a)/(1 + 0.5a) * sigma(k); sigma(2) = 2.874 / 3.278 = 0.876754
    factor = (1 - k) / (1 + k)  # (1 + 0.0186022) / (1 - 0.0186022) = 1.0186022 / 0.9813978 = 1.037910
    assert factor == pytest.approx(1.037910, abs=1e-6)
    rho2 = 1 - factor * (2.874 / 3.278)
    assert r.ratio_deviation[0] == pytest.approx(rho2, abs=1e-12)
    assert rho2 == pytest.approx(1 - 1.037910 * 0.876754, abs=1e-6)  # = 0.090008
    # relative residual eps(2) = |3.278 - 3.2320389| / 3.278 = 0.0140211
    assert r.rel_errors[1] == pytest.approx(abs(3.278 - r.fitted[1]) / 3.278)
    assert r.rel_errors[1] == pytest.approx(0.0140211, abs=1e-6)
    # every |eps| < 0.1 -> "high"; |rho| max = |rho(2)| = 0.09 < 0.1 -> "high"
    assert r.residual_test == "high" and r.ratio_test == "high"
    assert list(accuracy_verdict(np.array([[0.05, 0.15]]))) == ["general"]
    assert list(accuracy_verdict(np.array([[0.05, -0.25]]))) == ["fail"]


def test_every_forecast_carries_its_grade_and_spssau_horizon() -> None:
    r = gm11([2.874, 3.278, 3.337, 3.390, 3.679], compat="spssau")
    assert len(r.forecast) == 12  # SPSSAU forecasts 12 periods by default
    fr = r.to_frame()
    fc = fr[fr["kind"] == "forecast"]
    assert (fc["grade"] == r.grade).all() and (fc["grade_label"] == r.grade_label).all()
    assert len(gm11([2.874, 3.278, 3.337, 3.390, 3.679]).forecast) == 3  # cbeclab's default
    assert len(gm11([2.874, 3.278, 3.337, 3.390, 3.679], 5, compat="spssau").forecast) == 5  # explicit wins
    # compat spssau shifts instead of refusing
    assert gm11([1, 2, 3, 4, 5], compat="spssau").shift > 0
    with pytest.raises(SpecError):
        gm11([1, 2, 3, 4, 5], on_ratio_fail="clip")


def test_many_matches_single_with_shift() -> None:
    idx = pd.MultiIndex.from_product([["a", "b"], range(2001, 2007)], names=["entity", "period"])
    v = [-0.1, 0.2, 0.1, 0.3, 0.4, 0.35, 10, 30, 12, 35, 20, 40]
    m = gm11_many(pd.DataFrame({"s": v}, index=idx), h=2, on_ratio_fail="shift")
    assert (m.params["status"] == "ok").all()
    for e, xs in (("a", v[:6]), ("b", v[6:])):
        one = gm11(xs, h=2, on_ratio_fail="shift")
        row = m.params[m.params["entity"] == e].iloc[0]
        assert row["shift"] == pytest.approx(one.shift) and row["grade"] == one.grade
        got = m.values[(m.values["entity"] == e) & (m.values["kind"] == "forecast")]["fitted"].to_numpy()
        np.testing.assert_allclose(got, one.forecast.to_numpy(), rtol=1e-10)
        assert (m.values[m.values["entity"] == e]["grade"] == one.grade).all()
    refused = gm11_many(pd.DataFrame({"s": v}, index=idx), h=2)
    assert (refused.params["status"] == "refused").all()


@pytest.mark.parametrize("name", ["textbook", "linear", "negative", "jumpy"])
def test_against_base_r(name: str) -> None:
    ref = json.loads(FIX.read_text(encoding="utf-8"))[name]
    r = gm11(ref["x"], h=12, on_ratio_fail="shift")
    # R's bisection converges on the infimum c*; cbeclab adds a 1e-6 relative margin
    assert r.shift == pytest.approx(ref["shift"], rel=2e-6, abs=2e-6)
    tol = dict(rtol=1e-4, atol=1e-5)  # the margin on c moves the fit in the 6th digit at most
    assert r.a == pytest.approx(ref["a"], rel=1e-4) and r.b == pytest.approx(ref["b"], rel=1e-4)
    np.testing.assert_allclose(r.fitted, ref["fitted"], **tol)
    np.testing.assert_allclose(r.forecast.to_numpy(), ref["forecast"], **tol)
    assert r.C == pytest.approx(ref["C"], rel=1e-4) and r.P == pytest.approx(ref["P"])
    np.testing.assert_allclose(r.rel_errors, ref["rel"], **tol)
    np.testing.assert_allclose(r.ratio_deviation, ref["rho"], **tol)
