"""GM(1,1): textbook series worked by hand, posterior-variance test, refusals, many-series version."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import ModelError, SpecError
from cbeclab.models.gm11 import gm11, gm11_many

X0 = [2.874, 3.278, 3.337, 3.390, 3.679]  # Liu Sifeng et al., textbook GM(1,1) example


def hand_fit(x0: list[float], h: int) -> dict:
    """GM(1,1) written out step by step with plain Python arithmetic."""
    n = len(x0)
    x1 = [sum(x0[: k + 1]) for k in range(n)]
    z = [0.5 * (x1[k] + x1[k - 1]) for k in range(1, n)]
    Y = x0[1:]
    q = n - 1
    # normal equations of Y = -a z + b:  [sum z^2, -sum z; -sum z, q] [a; b] = [-sum zY; sum Y]
    Sz, Sy = sum(z), sum(Y)
    Szz = sum(v * v for v in z)
    Szy = sum(u * v for u, v in zip(z, Y))
    det = Szz * q - Sz * Sz
    a = (-Szy * q + Sz * Sy) / det
    b = (Szz * Sy - Sz * Szy) / det
    x1hat = [(x0[0] - b / a) * math.exp(-a * k) + b / a for k in range(n + h)]
    x0hat = [x0[0]] + [x1hat[k] - x1hat[k - 1] for k in range(1, n + h)]
    eps = [x0[k] - x0hat[k] for k in range(n)]
    mean_x = sum(x0) / n
    S1 = math.sqrt(sum((v - mean_x) ** 2 for v in x0) / n)
    mean_e = sum(eps) / n
    S2 = math.sqrt(sum((e - mean_e) ** 2 for e in eps) / n)
    P = sum(abs(e - mean_e) < 0.6745 * S1 for e in eps) / n
    return {"a": a, "b": b, "x0hat": x0hat, "eps": eps, "C": S2 / S1, "P": P, "x1": x1, "z": z}


def test_textbook_series_by_hand() -> None:
    ref = hand_fit(X0, 3)
    # intermediate quantities written out
    np.testing.assert_allclose(ref["x1"], [2.874, 6.152, 9.489, 12.879, 16.558], atol=1e-12)
    np.testing.assert_allclose(ref["z"], [4.513, 7.8205, 11.184, 14.7185], atol=1e-12)
    r = gm11(X0, h=3)
    assert r.a == pytest.approx(ref["a"], abs=1e-9)
    assert r.b == pytest.approx(ref["b"], abs=1e-9)
    assert round(r.a, 4) == -0.0372 and round(r.b, 3) == 3.065
    np.testing.assert_allclose(r.fitted, ref["x0hat"][:5], atol=1e-9)
    np.testing.assert_allclose(r.forecast.to_numpy(), ref["x0hat"][5:], atol=1e-9)
    np.testing.assert_allclose(r.residuals, ref["eps"], atol=1e-9)
    assert r.C == pytest.approx(ref["C"], abs=1e-9)
    assert r.P == pytest.approx(ref["P"], abs=1e-12)
    assert r.C < 0.35 and r.P == 1.0 and r.grade == 1 and r.grade_label == "good"
    rel = [abs(e) / x for e, x in zip(ref["eps"], X0)]
    np.testing.assert_allclose(r.rel_errors, rel, atol=1e-12)
    assert r.mean_rel_error == pytest.approx(sum(rel[1:]) / 4, abs=1e-12)
    lo, hi = r.ratio_bounds
    assert lo == pytest.approx(math.exp(-2 / 6)) and hi == pytest.approx(math.exp(2 / 6))
    assert list(r.forecast.index) == [6, 7, 8]


def test_matches_least_squares_solver() -> None:
    x = np.array(X0)
    x1 = np.cumsum(x)
    B = np.c_[-0.5 * (x1[1:] + x1[:-1]), np.ones(4)]
    ab = np.linalg.lstsq(B, x[1:], rcond=None)[0]
    r = gm11(X0)
    assert r.a == pytest.approx(ab[0], abs=1e-12) and r.b == pytest.approx(ab[1], abs=1e-12)


def test_series_with_year_index_and_frame() -> None:
    s = pd.Series(X0, index=[2018, 2019, 2020, 2021, 2022], name="exports")
    r = gm11(s, h=2)
    assert list(r.forecast.index) == [2023, 2024]
    t = r.to_frame()
    assert t["kind"].tolist() == ["fit"] * 5 + ["forecast"] * 2
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["name"] == "exports" and d["grade"] == 1


def test_grade_worse_of_two() -> None:
    # a noisy series: the grade is the worse of the C- and P-based grades
    r = gm11([10.0, 14.0, 11.0, 16.0, 12.0, 18.0], check_ratio=False)
    gc = 1 if r.C <= 0.35 else 2 if r.C <= 0.5 else 3 if r.C <= 0.65 else 4
    gp = 1 if r.P >= 0.95 else 2 if r.P >= 0.8 else 3 if r.P >= 0.7 else 4
    assert r.grade == max(gc, gp)
    assert r.grade > 1


def test_constant_series_fits_trivially() -> None:
    r = gm11([5.0, 5.0, 5.0, 5.0], h=2)
    assert r.a == 0.0 and r.b == 5.0
    np.testing.assert_allclose(r.fitted, 5.0)
    np.testing.assert_allclose(r.forecast.to_numpy(), 5.0)
    assert r.C == 0.0 and r.P == 1.0 and r.grade == 1
    assert any("constant" in n for n in r.notes)


def test_exponential_series_is_fitted_nearly_exactly() -> None:
    x = 2.0 * np.exp(0.1 * np.arange(8))
    r = gm11(x, h=1)
    assert r.development_coefficient == pytest.approx(0.1, abs=2e-3)
    assert r.forecast.iloc[0] == pytest.approx(2.0 * math.exp(0.8), rel=2e-3)


@pytest.mark.parametrize(
    ("series", "match"),
    [
        ([1.0, 2.0, 3.0], "at least 4"),
        ([1.0, 2.0, -3.0, 4.0], "non-positive"),
        ([1.0, 0.0, 3.0, 4.0], "non-positive"),
        ([1.0, np.nan, 3.0, 4.0], "missing"),
        ([1.0, 10.0, 100.0, 1000.0], "class ratio"),
    ],
)
def test_refusals_name_series_and_reason(series: list[float], match: str) -> None:
    with pytest.raises(ModelError, match=match) as e:
        gm11(pd.Series(series, name="jewelry exports"))
    assert "jewelry exports" in str(e.value)


def test_check_ratio_off() -> None:
    r = gm11([1.0, 10.0, 100.0, 1000.0], check_ratio=False)
    assert r.a < 0
    assert any("development coefficient" in n for n in r.notes)
    with pytest.raises(SpecError):
        gm11(X0, h=-1)


def many_frame() -> pd.DataFrame:
    rows = []
    for e, base in [("leather", 1.0), ("jewelry", 2.0)]:
        for t, v in enumerate(X0):
            rows.append({"cluster": e, "year": 2018 + t, "x": v * base, "y": v * (1 + 0.02 * t)})
    rows.append({"cluster": "food", "year": 2018, "x": 1.0, "y": 1.0})
    for t in range(1, 4):
        rows.append({"cluster": "food", "year": 2018 + t, "x": 1.0 + t, "y": 1.0 + 0.1 * t})
    return pd.DataFrame(rows).set_index(["cluster", "year"])


def test_many_matches_single() -> None:
    F = many_frame().drop(index="food", level=0)
    res = gm11_many(F, h=2)
    assert (res.params["status"] == "ok").all()
    for _, row in res.params.iterrows():
        s = F.loc[row["entity"], row["variable"]]
        one = gm11(s, h=2)
        assert row["a"] == pytest.approx(one.a, abs=1e-12)
        assert row["C"] == pytest.approx(one.C, abs=1e-12)
        v = res.values[(res.values["entity"] == row["entity"]) & (res.values["variable"] == row["variable"])]
        np.testing.assert_allclose(v["fitted"], np.r_[one.fitted, one.forecast.to_numpy()], atol=1e-12)
        assert v["period"].tolist()[-2:] == [2023, 2024]
    assert res.params["entity"].tolist() == ["jewelry", "jewelry", "leather", "leather"]


def test_many_skip_and_raise() -> None:
    F = many_frame()
    with pytest.raises(ModelError, match="food"):
        gm11_many(F, errors="raise")
    res = gm11_many(F)  # errors="skip" by default
    food = res.params[res.params["entity"] == "food"].set_index("variable")
    # food x = 1, 2, 3, 4: class ratio 0.5 is outside (e^-0.4, e^0.4)
    assert food.loc["x", "status"] == "refused" and "class ratio" in food.loc["x", "reason"]
    assert food.loc["y", "status"] == "ok"
    assert res.notes and json.dumps(res.to_dict(), allow_nan=False)


def test_many_refusal_reasons_are_worked_out_per_series() -> None:
    """Five series of length 4 refused in one batch, each with its own first failed check (the
    bounds of the class-ratio test for n = 4 are exp(±2/5) = (0.6703, 1.4918), worked by hand)."""
    series = {
        "nan0": [np.nan, 2.0, 3.0, 4.0],
        "nan13": [1.0, np.nan, 3.0, np.inf],
        "neg": [1.0, 2.0, -3.0, 0.0],
        "ratio": [1.0, 1.1, 5.0, 5.1],  # sigma(3) = 1.1 / 5 = 0.22
        "const": [2.0, 2.0, 2.0, 2.0],  # constant: not refused
    }
    idx = pd.MultiIndex.from_tuples([(e, t) for e in series for t in range(4)], names=["entity", "t"])
    F = pd.DataFrame({"x": [v for s in series.values() for v in s]}, index=idx)
    p = gm11_many(F, h=1).params.set_index("entity")
    assert p.loc["nan0", "reason"] == "it has missing or non-finite value(s) at position(s) [0]"
    assert p.loc["nan13", "reason"] == "it has missing or non-finite value(s) at position(s) [1, 3]"
    assert p.loc["neg", "reason"] == "it has non-positive value(s) at position(s) [2, 3]; GM(1,1) needs x > 0"
    assert p.loc["ratio", "reason"] == (
        "class ratio test failed: σ(k) = x(k-1)/x(k) = 0.22 at k = 3 is outside (0.6703, 1.4918)"
    )
    assert p.loc["const", "status"] == "ok"
