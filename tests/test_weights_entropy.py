"""Entropy weights: a 3 x 2 example worked by hand, properties, scope, errors, dispatcher."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate.weights import WeightResult, compute_weights
from cbeclab.evaluate.weights.entropy import entropy_weights

IDX = pd.MultiIndex.from_product([["c"], [2020, 2021, 2022]], names=["cluster", "year"])
X3 = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [10.0, 30.0, 20.0]}, index=IDX)
DIRS = {"a": 1, "b": -1}


def plogp(p: float) -> float:
    return 0.0 if p == 0 else p * math.log(p)


def test_entropy_hand_3x2() -> None:
    # a (benefit): z = (x - 1)/3 = (0, 1/3, 1), sum 4/3      -> p = (0, 1/4, 3/4)
    # b (cost):    z = (30 - x)/20 = (1, 0, 1/2), sum 3/2     -> p = (2/3, 0, 1/3)
    # e_j = -sum p ln p / ln 3 ; d = 1 - e ; w = d / sum d
    e_a = -(plogp(0) + plogp(1 / 4) + plogp(3 / 4)) / math.log(3)
    e_b = -(plogp(2 / 3) + plogp(0) + plogp(1 / 3)) / math.log(3)
    assert e_a == pytest.approx(0.511859507143, abs=1e-9)  # (0.346574 + 0.215762) / 1.098612
    assert e_b == pytest.approx(0.579380164286, abs=1e-9)  # (0.270310 + 0.366204) / 1.098612
    d_a, d_b = 1 - e_a, 1 - e_b
    w_a, w_b = d_a / (d_a + d_b), d_b / (d_a + d_b)
    r = entropy_weights(X3, DIRS)
    assert r.method == "entropy" and r.scope == "pooled"
    assert list(r.table.index) == ["pooled"]
    assert r.table.loc["pooled", "a"] == pytest.approx(w_a, abs=1e-9)
    assert r.table.loc["pooled", "b"] == pytest.approx(w_b, abs=1e-9)
    assert w_a == pytest.approx(0.537150, abs=1e-6)  # 0.488140 / (0.488140 + 0.420620)
    assert r.details["e"].loc["pooled", "a"] == pytest.approx(e_a, abs=1e-9)
    assert r.details["d"].loc["pooled", "b"] == pytest.approx(d_b, abs=1e-9)


def test_entropy_hand_with_shift() -> None:
    s = 0.01
    za = [0 + s, 1 / 3 + s, 1 + s]
    zb = [1 + s, 0 + s, 0.5 + s]
    e = []
    for z in (za, zb):
        p = [v / sum(z) for v in z]
        e.append(-sum(plogp(v) for v in p) / math.log(3))
    d = [1 - v for v in e]
    r = compute_weights(X3, DIRS, "entropy", shift=s)
    np.testing.assert_allclose(r.table.loc["pooled"].to_numpy(), [d[0] / sum(d), d[1] / sum(d)], atol=1e-12)


def test_result_interface() -> None:
    r = compute_weights(X3, DIRS)
    assert isinstance(r, WeightResult)
    assert r.for_entity("anything").sum() == pytest.approx(1.0)
    long = r.to_frame()
    assert list(long.columns) == ["group", "indicator", "weight"] and len(long) == 2
    d = r.to_dict()
    assert d["method"] == "entropy" and set(d["weights"]["pooled"]) == {"a", "b"}
    assert d["details"]["e"][0]["group"] == "pooled"
    import json

    json.dumps(d)


def panel(cube: np.ndarray) -> pd.DataFrame:
    e, t, k = cube.shape
    idx = pd.MultiIndex.from_product([[f"e{g}" for g in range(e)], list(range(t))], names=["cluster", "year"])
    return pd.DataFrame(cube.reshape(e * t, k), index=idx, columns=[f"x{j}" for j in range(k)])


def test_per_entity_rows_and_for_entity() -> None:
    rng = np.random.default_rng(1)
    X = panel(rng.random((3, 5, 4)))
    d = {c: 1 for c in X.columns}
    r = compute_weights(X, d, scope="per_entity")
    assert list(r.table.index) == ["e0", "e1", "e2"]
    np.testing.assert_allclose(r.table.sum(axis=1), 1.0)
    np.testing.assert_allclose(r.for_entity("e1"), entropy_weights(X.loc[["e1"]], d).table.iloc[0])
    with pytest.raises(DataError, match="no weights for entity 'zz'"):
        r.for_entity("zz")


def test_unbalanced_per_entity_matches_separate_runs() -> None:
    rng = np.random.default_rng(2)
    X = panel(rng.random((3, 5, 3))).drop(index=[("e1", 0), ("e1", 3), ("e2", 4)])
    d = {c: -1 for c in X.columns}
    r = compute_weights(X, d, scope="per_entity")
    for e in ["e0", "e1", "e2"]:
        np.testing.assert_allclose(r.for_entity(e), entropy_weights(X.loc[[e]], d).table.iloc[0], atol=1e-12)


def test_constant_and_zero_option() -> None:
    X = X3.assign(c=7.0)
    with pytest.raises(DataError, match="constant indicator.*'c'"):
        compute_weights(X, {**DIRS, "c": 1})
    r = compute_weights(X, {**DIRS, "c": 1}, on_constant="zero")
    assert r.table.loc["pooled", "c"] == 0.0
    np.testing.assert_allclose(r.table[["a", "b"]], entropy_weights(X3, DIRS).table, atol=1e-12)


def test_too_few_rows() -> None:
    with pytest.raises(DataError, match="at least 2 rows"):
        compute_weights(X3.iloc[:1], DIRS)


def test_dispatcher_errors() -> None:
    with pytest.raises(SpecError) as ei:
        compute_weights(X3, DIRS, "pca")
    assert "valid methods: entropy, critic, cv, ahp, equal, user, combined" in str(ei.value)
    with pytest.raises(SpecError, match="combine= was given"):
        compute_weights(X3, DIRS, "entropy", combine={"subjective": "user"})


cubes = hnp.arrays(
    float,
    st.tuples(st.integers(1, 3), st.integers(2, 6), st.integers(1, 4)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


def _ok(cube: np.ndarray) -> bool:
    rng = cube.max(axis=1) - cube.min(axis=1)
    return bool((rng > 1e-3 * np.maximum(1.0, np.abs(cube).max(axis=1))).all())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cubes, st.floats(0.01, 1000), st.sampled_from([0.0, 0.01]))
def test_entropy_properties(cube: np.ndarray, scale: float, shift: float) -> None:
    assume(_ok(cube))
    X = panel(cube)
    d = {c: (1 if j % 2 == 0 else -1) for j, c in enumerate(X.columns)}
    for scope in ("pooled", "per_entity"):
        w = compute_weights(X, d, scope=scope, shift=shift).table
        assert (w.to_numpy() >= 0).all()
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
        # scaling one indicator by a positive constant leaves the weights unchanged
        Xs = X.copy()
        Xs["x0"] = Xs["x0"] * scale
        np.testing.assert_allclose(compute_weights(Xs, d, scope=scope, shift=shift).table, w, atol=1e-9)
    # per_entity equals running pooled on each entity separately
    wp = compute_weights(X, d, scope="per_entity", shift=shift).table
    for g, e in enumerate(wp.index):
        np.testing.assert_allclose(
            wp.loc[e], compute_weights(X.loc[[e]], d, shift=shift).table.iloc[0], atol=1e-12
        )
        assert g < cube.shape[0]
