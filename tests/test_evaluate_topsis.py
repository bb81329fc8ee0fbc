"""Entropy-TOPSIS: hand-worked 3 x 2 example (vector and min-max), scope, properties."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate import compute_weights, topsis

IDX = pd.MultiIndex.from_product([["c"], [1, 2, 3]], names=["cluster", "year"])
X = pd.DataFrame({"a": [3.0, 4.0, 0.0], "b": [4.0, 3.0, 5.0]}, index=IDX)
DIRS = {"a": 1, "b": -1}


def test_topsis_vector_hand() -> None:
    # vector: |a| = sqrt(9 + 16 + 0) = 5, |b| = sqrt(16 + 9 + 25) = sqrt(50); weights 0.6 / 0.4
    wa, wb = 0.6, 0.4
    va = [wa * x / 5 for x in (3, 4, 0)]  # 0.36, 0.48, 0
    vb = [wb * x / math.sqrt(50) for x in (4, 3, 5)]
    pos = (max(va), min(vb))  # b is a cost: its ideal is the minimum
    neg = (min(va), max(vb))
    dp = [math.hypot(va[i] - pos[0], vb[i] - pos[1]) for i in range(3)]
    dm = [math.hypot(va[i] - neg[0], vb[i] - neg[1]) for i in range(3)]
    c = [dm[i] / (dp[i] + dm[i]) for i in range(3)]
    assert c[1] == pytest.approx(1.0) and c[2] == pytest.approx(0.0)
    r = topsis(X, DIRS, {"a": wa, "b": wb})
    np.testing.assert_allclose(r.table["d_plus"], dp, atol=1e-12)
    np.testing.assert_allclose(r.table["d_minus"], dm, atol=1e-12)
    np.testing.assert_allclose(r.table["closeness"], c, atol=1e-12)
    assert r.table["rank"].tolist() == [2, 1, 3]
    ideal = r.ideal.set_index("indicator")
    assert ideal.loc["b", "positive"] == pytest.approx(pos[1]) and ideal.loc["a", "negative"] == 0.0
    json.dumps(r.to_dict())


def test_topsis_minmax_hand() -> None:
    # min-max by direction: a (x - 0)/4 = 0.75, 1, 0 ; b (5 - x)/2 = 0.5, 1, 0 ; equal weights 0.5
    za, zb = [0.75, 1.0, 0.0], [0.5, 1.0, 0.0]
    dp = [math.hypot(0.5 * (za[i] - 1), 0.5 * (zb[i] - 1)) for i in range(3)]
    dm = [math.hypot(0.5 * za[i], 0.5 * zb[i]) for i in range(3)]
    r = topsis(X, DIRS, "equal", normalize_method="minmax")
    np.testing.assert_allclose(r.table["closeness"], [dm[i] / (dp[i] + dm[i]) for i in range(3)], atol=1e-12)


def test_topsis_entropy_default_and_per_entity() -> None:
    rng = np.random.default_rng(3)
    idx = pd.MultiIndex.from_product([["p", "q", "r"], range(5)], names=["cluster", "year"])
    Xp = pd.DataFrame(rng.random((15, 3)) + 0.1, index=idx, columns=["x", "y", "z"])
    d = {"x": 1, "y": -1, "z": 1}
    r = topsis(Xp, d, scope="per_entity")
    assert r.weights.method == "entropy" and r.weights.scope == "per_entity"
    for e in ["p", "q", "r"]:
        sub = topsis(Xp.loc[[e]], d, compute_weights(Xp.loc[[e]], d))
        mine = r.table[r.table["entity"] == e]
        np.testing.assert_allclose(mine["closeness"], sub.table["closeness"], atol=1e-12)
        assert mine["rank"].tolist() == sub.table["rank"].tolist()
        assert sorted(mine["rank"]) == [1, 2, 3, 4, 5]
    # unbalanced, unsorted panel gives the same numbers for the remaining rows
    Xu = Xp.drop(index=[("q", 4)]).iloc[::-1]
    ru = topsis(Xu, d, r.weights, scope="per_entity")
    back = ru.table.set_index(["entity", "period"]).loc[[("p", 0), ("r", 3)], "closeness"]
    ref = r.table.set_index(["entity", "period"]).loc[[("p", 0), ("r", 3)], "closeness"]
    np.testing.assert_allclose(back, ref, atol=1e-12)


def test_topsis_errors() -> None:
    with pytest.raises(SpecError, match="valid: vector, minmax"):
        topsis(X, DIRS, normalize_method="zscore")
    with pytest.raises(DataError, match="all zero"):
        topsis(X.assign(a=0.0), DIRS, "equal")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(hnp.arrays(float, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=st.floats(0.01, 1e3)))
def test_topsis_closeness_in_unit_interval(a: np.ndarray) -> None:
    assume(bool(((a.max(axis=0) - a.min(axis=0)) > 1e-3 * a.max(axis=0)).all()))
    Xh = pd.DataFrame(a, columns=[f"x{j}" for j in range(a.shape[1])])
    d = {c: (1 if j % 2 else -1) for j, c in enumerate(Xh.columns)}
    for norm in ("vector", "minmax"):
        c = topsis(Xh, d, normalize_method=norm).table["closeness"].to_numpy()
        assert (c >= -1e-12).all() and (c <= 1 + 1e-12).all()
