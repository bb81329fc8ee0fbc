"""Composite index and subsystem scores: hand calculation, scope handling, properties, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate import composite_index, compute_weights, normalize, subsystem_scores

IDX = pd.MultiIndex.from_product([["p", "q"], [2020, 2021, 2022]], names=["cluster", "year"])
X = pd.DataFrame(
    {
        "a": [1.0, 2.0, 4.0, 3.0, 5.0, 4.0],
        "b": [10.0, 30.0, 20.0, 20.0, 10.0, 40.0],
        "c": [0.5, 0.1, 0.3, 0.2, 0.9, 0.4],
    },
    index=IDX,
)
DIRS = {"a": 1, "b": -1, "c": 1}


def test_composite_hand_user_weights() -> None:
    # pooled min-max: a 1..5 -> (x-1)/4 ; b cost 10..40 -> (40-x)/30 ; c 0.1..0.9 -> (x-0.1)/0.8
    w = {"a": 0.5, "b": 0.3, "c": 0.2}
    za = [(v - 1) / 4 for v in X["a"]]
    zb = [(40 - v) / 30 for v in X["b"]]
    zc = [(v - 0.1) / 0.8 for v in X["c"]]
    expect = [0.5 * a + 0.3 * b + 0.2 * c for a, b, c in zip(za, zb, zc)]
    # first row: 0.5*0 + 0.3*1 + 0.2*0.5 = 0.4
    assert expect[0] == pytest.approx(0.4)
    out = composite_index(X, DIRS, w)
    assert list(out.columns) == ["entity", "period", "score"]
    assert out["entity"].tolist() == ["p"] * 3 + ["q"] * 3
    np.testing.assert_allclose(out["score"], expect, atol=1e-12)


def test_composite_per_entity_weights_follow_scope() -> None:
    wr = compute_weights(X, DIRS, "entropy", scope="per_entity")
    out = composite_index(X, DIRS, wr)  # scope taken from the weights
    z = normalize(X, DIRS, scope="per_entity")
    for e in ["p", "q"]:
        expect = z.loc[e].to_numpy() @ wr.for_entity(e).to_numpy()
        np.testing.assert_allclose(out.loc[out["entity"] == e, "score"], expect, atol=1e-12)
    # method name: weights computed with the same scope
    np.testing.assert_allclose(composite_index(X, DIRS, "entropy", scope="per_entity")["score"], out["score"])
    # per-entity weights with pooled normalisation: each row uses its entity's weights
    pooled = composite_index(X, DIRS, wr, scope="pooled")
    zp = normalize(X, DIRS)
    np.testing.assert_allclose(
        pooled["score"].to_numpy()[:3], zp.loc["p"].to_numpy() @ wr.for_entity("p").to_numpy(), atol=1e-12
    )


def test_subsystem_scores_match_composite() -> None:
    subs = {"cbec": {"a": 1, "b": -1}, "cluster": {"c": 1}}
    out = subsystem_scores(X, subs, "entropy", scope="per_entity")
    assert list(out.columns) == ["entity", "period", "cbec", "cluster"]
    np.testing.assert_allclose(
        out["cbec"], composite_index(X[["a", "b"]], subs["cbec"], "entropy", scope="per_entity")["score"]
    )
    # one indicator: weight 1, score = its min-max value
    np.testing.assert_allclose(out["cluster"], normalize(X[["c"]], {"c": 1}, scope="per_entity")["c"])
    # per-subsystem weights, and one indicator dict split by subsystem (rescaled)
    w2 = subsystem_scores(X, subs, {"cbec": {"a": 1, "b": 3}, "cluster": "equal"})
    w3 = subsystem_scores(X, subs, {"a": 0.1, "b": 0.3, "c": 0.6})
    np.testing.assert_allclose(w2["cbec"], w3["cbec"], atol=1e-12)
    z = normalize(X, DIRS)
    np.testing.assert_allclose(w2["cbec"], 0.25 * z["a"] + 0.75 * z["b"], atol=1e-12)


def test_composite_errors() -> None:
    with pytest.raises(DataError, match="no row for entity"):
        composite_index(X, DIRS, compute_weights(X.loc[["p"]], DIRS, scope="per_entity"))
    with pytest.raises(DataError, match="no column for indicator"):
        composite_index(X, DIRS, compute_weights(X[["a", "b"]], DIRS))
    with pytest.raises(SpecError, match="weights must be"):
        composite_index(X, DIRS, 3)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="not in X: 'zz'"):
        subsystem_scores(X, {"s": {"zz": 1}})
    with pytest.raises(SpecError, match="no weights for subsystem"):
        subsystem_scores(X, {"s": {"a": 1}, "t": {"b": 1}}, {"s": "equal"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    hnp.arrays(float, st.tuples(st.integers(3, 10), st.integers(2, 4)), elements=st.floats(-1e3, 1e3)),
    st.sampled_from(["entropy", "critic", "equal"]),
)
def test_composite_in_unit_interval(a: np.ndarray, method: str) -> None:
    assume(bool(((a.max(axis=0) - a.min(axis=0)) > 1e-3 * np.maximum(1.0, np.abs(a).max(axis=0))).all()))
    Xh = pd.DataFrame(a, columns=[f"x{j}" for j in range(a.shape[1])])
    d = {c: (1 if j % 2 else -1) for j, c in enumerate(Xh.columns)}
    try:
        s = composite_index(Xh, d, method)["score"].to_numpy()
    except DataError:  # CRITIC with perfectly correlated columns only
        return
    assert (s >= -1e-12).all() and (s <= 1 + 1e-12).all()
