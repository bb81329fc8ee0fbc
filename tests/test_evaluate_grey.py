"""Grey relational analysis: hand-worked example (ideal and column reference), scope, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate import grey_relational

IDX = pd.MultiIndex.from_product([["c"], [1, 2, 3]], names=["cluster", "year"])
X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 10.0, 20.0], "c": [0.0, 4.0, 1.0]}, index=IDX)
DIRS = {"a": 1, "b": -1, "c": 1}


def test_grey_ideal_hand() -> None:
    # min-max by direction: a (0, 1/2, 1); b cost (30 - x)/20 = (0, 1, 1/2); c x/4 = (0, 1, 1/4)
    # ideal x0 = (1, 1, 1); Delta = 1 - z: a (1, 1/2, 0), b (1, 0, 1/2), c (1, 0, 3/4)
    # Delta_min = 0, Delta_max = 1, rho = 0.5: xi = 0.5 / (Delta + 0.5)
    xi = {
        "a": [0.5 / 1.5, 0.5 / 1.0, 1.0],
        "b": [0.5 / 1.5, 1.0, 0.5 / 1.0],
        "c": [0.5 / 1.5, 1.0, 0.5 / 1.25],
    }
    r = grey_relational(X, DIRS)
    for j, v in xi.items():
        np.testing.assert_allclose(r.coefficients[j], v, atol=1e-12)
    grade = [(xi["a"][i] + xi["b"][i] + xi["c"][i]) / 3 for i in range(3)]  # equal weights
    np.testing.assert_allclose(r.grades["grade"], grade, atol=1e-12)
    assert r.grades["rank"].tolist() == [3, 1, 2]
    assert r.delta.loc[0, "delta_min"] == 0.0 and r.delta.loc[0, "delta_max"] == 1.0
    # weighted grade and rho = 0.2: xi = (0 + 0.2)/(Delta + 0.2)
    rw = grey_relational(X, DIRS, weights={"a": 0.5, "b": 0.25, "c": 0.25}, rho=0.2)
    xi2 = lambda d: 0.2 / (d + 0.2)  # noqa: E731
    np.testing.assert_allclose(rw.grades["grade"].iloc[2], 0.5 * xi2(0) + 0.25 * xi2(0.5) + 0.25 * xi2(0.75))
    json.dumps(rw.to_dict())


def test_grey_column_reference_hand() -> None:
    # reference a = (0, 1/2, 1); compared b (0, 1, 1/2) and c (0, 1, 1/4)
    # Delta_b = (0, 1/2, 1/2), Delta_c = (0, 1/2, 3/4): Delta_min 0, Delta_max 3/4, rho Delta_max = 0.375
    k = 0.375
    xb = [k / (0 + k), k / (0.5 + k), k / (0.5 + k)]
    xc = [k / (0 + k), k / (0.5 + k), k / (0.75 + k)]
    r = grey_relational(X, DIRS, reference="a")
    np.testing.assert_allclose(r.coefficients["b"], xb, atol=1e-12)
    np.testing.assert_allclose(r.coefficients["c"], xc, atol=1e-12)
    g = r.grades.set_index("indicator")
    assert g.loc["b", "grade"] == pytest.approx(sum(xb) / 3) and g.loc["c", "grade"] == pytest.approx(
        sum(xc) / 3
    )
    assert g.loc["b", "rank"] == 1 and list(r.grades.columns) == ["group", "indicator", "grade", "rank"]


def test_grey_per_entity_equals_separate() -> None:
    rng = np.random.default_rng(4)
    idx = pd.MultiIndex.from_product([["p", "q"], range(4)], names=["cluster", "year"])
    Xp = pd.DataFrame(rng.random((8, 3)), index=idx, columns=["x", "y", "z"])
    d = {"x": 1, "y": -1, "z": 1}
    r = grey_relational(Xp, d, scope="per_entity")
    for e in ["p", "q"]:
        np.testing.assert_allclose(r.coefficients.loc[e], grey_relational(Xp.loc[[e]], d).coefficients.loc[e])


def test_grey_errors() -> None:
    with pytest.raises(SpecError, match="rho must be in"):
        grey_relational(X, DIRS, rho=0)
    with pytest.raises(SpecError, match="neither 'ideal' nor an indicator"):
        grey_relational(X, DIRS, reference="gdp")
    with pytest.raises(SpecError, match="weights are not used"):
        grey_relational(X, DIRS, reference="a", weights="entropy")
    with pytest.raises(DataError, match="constant"):
        grey_relational(X.assign(c=1.0), DIRS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    hnp.arrays(float, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=st.floats(-1e3, 1e3)),
    st.floats(0.05, 1.0),
)
def test_grey_coefficients_in_range(a: np.ndarray, rho: float) -> None:
    assume(bool(((a.max(axis=0) - a.min(axis=0)) > 1e-3 * np.maximum(1.0, np.abs(a).max(axis=0))).all()))
    Xh = pd.DataFrame(a, columns=[f"x{j}" for j in range(a.shape[1])])
    r = grey_relational(Xh, dict.fromkeys(Xh.columns, 1), rho=rho)
    xi = r.coefficients.to_numpy()
    lo = rho / (1 + rho)  # Delta_min = 0 in ideal mode, so xi >= rho / (1 + rho)
    assert (xi >= lo - 1e-12).all() and (xi <= 1 + 1e-12).all()
    assert ((r.grades["grade"] >= lo - 1e-12) & (r.grades["grade"] <= 1 + 1e-12)).all()
