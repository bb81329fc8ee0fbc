"""CRITIC weights: 4 x 3 example worked with the statistics module, properties, errors."""

from __future__ import annotations

import statistics as stats

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError
from cbeclab.evaluate.weights import compute_weights

X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [4.0, 1.0, 3.0, 2.0], "c": [2.0, 2.0, 6.0, 4.0]})
DIRS = {"a": 1, "b": -1, "c": 1}


def test_critic_hand_4x3() -> None:
    # min-max by direction:
    #   a (benefit, 1..5):  (x - 1)/4  -> 0, 1/4, 1/2, 1
    #   b (cost, 1..4):     (4 - x)/3  -> 0, 1, 1/3, 2/3
    #   c (benefit, 2..6):  (x - 2)/4  -> 0, 0, 1, 1/2
    z = {"a": [0, 0.25, 0.5, 1], "b": [0, 1, 1 / 3, 2 / 3], "c": [0, 0, 1, 0.5]}
    sd = {j: stats.stdev(v) for j, v in z.items()}  # sample sd (n - 1)
    # a: mean 0.4375, squares 0.19141+0.03516+0.00391+0.31641 = 0.546875 / 3 -> sd 0.426956
    assert sd["a"] == pytest.approx(0.4269563, abs=1e-7)
    r = {(j, k): stats.correlation(z[j], z[k]) for j in z for k in z}
    conflict = {j: sum(1 - r[(j, k)] for k in z) for j in z}
    C = {j: sd[j] * conflict[j] for j in z}
    w = {j: C[j] / sum(C.values()) for j in z}
    res = compute_weights(X, DIRS, "critic")
    for j in z:
        assert res.table.loc["pooled", j] == pytest.approx(w[j], abs=1e-12)
        assert res.details["sd"].loc["pooled", j] == pytest.approx(sd[j], abs=1e-12)
        assert res.details["conflict"].loc["pooled", j] == pytest.approx(conflict[j], abs=1e-12)
        assert res.details["information"].loc["pooled", j] == pytest.approx(C[j], abs=1e-12)
    assert res.details["r"].loc[("pooled", "a"), "b"] == pytest.approx(r[("a", "b")], abs=1e-12)
    # printed for the record: 0.2309, 0.3852, 0.3839
    assert [round(w[j], 4) for j in z] == [0.2309, 0.3852, 0.3839]


def test_critic_constant_and_rows() -> None:
    with pytest.raises(DataError, match="constant indicator.*'d'"):
        compute_weights(X.assign(d=1.0), {**DIRS, "d": 1}, "critic")
    r = compute_weights(X.assign(d=1.0), {**DIRS, "d": 1}, "critic", on_constant="zero")
    assert r.table.loc["pooled", "d"] == 0.0
    np.testing.assert_allclose(r.table[["a", "b", "c"]], compute_weights(X, DIRS, "critic").table, atol=1e-12)
    with pytest.raises(DataError, match="at least 3 rows"):
        compute_weights(X.iloc[:2], DIRS, "critic")


def panel(cube: np.ndarray) -> pd.DataFrame:
    e, t, k = cube.shape
    idx = pd.MultiIndex.from_product([[f"e{g}" for g in range(e)], list(range(t))], names=["cluster", "year"])
    return pd.DataFrame(cube.reshape(e * t, k), index=idx, columns=[f"x{j}" for j in range(k)])


def test_unbalanced_critic_matches_separate_runs() -> None:
    rng = np.random.default_rng(5)
    Xp = panel(rng.random((3, 6, 4))).drop(index=[("e0", 2), ("e2", 0), ("e2", 5)])
    d = {c: 1 for c in Xp.columns}
    r = compute_weights(Xp, d, "critic", scope="per_entity")
    for e in ["e0", "e1", "e2"]:
        np.testing.assert_allclose(
            r.for_entity(e), compute_weights(Xp.loc[[e]], d, "critic").table.iloc[0], atol=1e-12
        )


cubes = hnp.arrays(
    float,
    st.tuples(st.integers(1, 3), st.integers(3, 6), st.integers(2, 4)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(cubes, st.floats(0.01, 1000))
def test_critic_properties(cube: np.ndarray, scale: float) -> None:
    rng = cube.max(axis=1) - cube.min(axis=1)
    assume(bool((rng > 1e-3 * np.maximum(1.0, np.abs(cube).max(axis=1))).all()))
    Xp = panel(cube)
    d = {c: (1 if j % 2 else -1) for j, c in enumerate(Xp.columns)}
    try:
        w = compute_weights(Xp, d, "critic", scope="per_entity").table
    except DataError:  # e.g. two perfectly correlated indicators only
        return
    assert (w.to_numpy() >= -1e-15).all()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    Xs = Xp.copy()
    Xs["x0"] = Xs["x0"] * scale
    np.testing.assert_allclose(compute_weights(Xs, d, "critic", scope="per_entity").table, w, atol=1e-8)
    for e in w.index:
        np.testing.assert_allclose(
            w.loc[e], compute_weights(Xp.loc[[e]], d, "critic").table.iloc[0], atol=1e-10
        )
