"""Obstacle degree: hand-worked example, two-level weights, top-k, edge cases, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.diagnose.obstacles import obstacle_degree
from cbeclab.errors import SpecError

SUBS = {"A": {"a": "+", "b": "-"}, "B": {"c": "+"}}
W = {"a": 0.5, "b": 0.3, "c": 0.2}


def panel() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["leather"], [2020, 2021, 2022]], names=["cluster", "year"])
    return pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 3.0, 0.0], "c": [10.0, 30.0, 20.0]}, index=idx)


# pooled min-max: z_a = [0, .5, 1], z_b = (4 - b)/4 = [0, .25, 1], z_c = (c - 10)/20 = [0, 1, .5]
# deviations I = 1 - z: a [1, .5, 0], b [1, .75, 0], c [1, 0, .5]
I_HAND = np.array([[1.0, 1.0, 1.0], [0.5, 0.75, 0.0], [0.0, 0.0, 0.5]])


def test_hand_worked() -> None:
    r = obstacle_degree(panel(), SUBS, W, top_k=2)
    np.testing.assert_allclose(r.deviation_wide.to_numpy(), I_HAND, atol=1e-12)
    O = r.obstacle_wide.to_numpy()
    np.testing.assert_allclose(O[0], [0.5, 0.3, 0.2], atol=1e-12)
    np.testing.assert_allclose(O[1], [0.25 / 0.475, 0.225 / 0.475, 0.0], atol=1e-12)
    np.testing.assert_allclose(O[2], [0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(r.subsystem["A"], O[:, 0] + O[:, 1], atol=1e-12)
    np.testing.assert_allclose(r.subsystem["B"], O[:, 2], atol=1e-12)
    top = r.top
    assert top[top["period"] == 2021]["indicator"].tolist() == ["a", "b"]
    # tie at 0 between a and b: the first in order wins
    assert top[top["period"] == 2022]["indicator"].tolist() == ["c", "a"]
    assert top["rank"].tolist() == [1, 2] * 3
    long = r.indicator
    assert list(long.columns) == ["entity", "period", "subsystem", "indicator", "F", "I", "obstacle"]
    assert long["F"].tolist()[:3] == pytest.approx([0.5, 0.3, 0.2])
    json.dumps(r.to_dict(), allow_nan=False)
    assert r.mean_by_indicator()["indicator"].tolist()[0] == "c"  # (0.2 + 0 + 1)/3 is the largest mean


def test_two_level_weights() -> None:
    r = obstacle_degree(panel(), SUBS, W, subsystem_weights={"A": 0.4, "B": 0.6})
    # F_a = 0.5/0.8*0.4, F_b = 0.3/0.8*0.4, F_c = 0.6
    F = [0.25, 0.15, 0.6]
    np.testing.assert_allclose(r.contribution.to_numpy()[0], F, atol=1e-12)
    np.testing.assert_allclose(r.obstacle_wide.to_numpy()[0], F, atol=1e-12)
    fi = np.array([0.25 * 0.5, 0.15 * 0.75, 0.0])
    np.testing.assert_allclose(r.obstacle_wide.to_numpy()[1], fi / fi.sum(), atol=1e-12)


def test_no_obstacle_row() -> None:
    idx = pd.MultiIndex.from_product([["x"], [1, 2]])
    X = pd.DataFrame({"a": [1.0, 2.0], "c": [1.0, 2.0]}, index=idx)
    r = obstacle_degree(X, {"A": {"a": "+"}, "B": {"c": "+"}}, "equal")
    np.testing.assert_allclose(r.obstacle_wide.to_numpy()[1], 0.0)
    assert any("no obstacle" in n for n in r.notes)


def test_entropy_weights_per_entity() -> None:
    from cbeclab.evaluate.weights import compute_weights

    other = pd.DataFrame(
        {"a": [1.0, 3.0, 3.5], "b": [5.0, 1.0, 0.5], "c": [10.0, 12.0, 30.0]},
        index=pd.MultiIndex.from_product([["jewelry"], [2020, 2021, 2022]], names=["cluster", "year"]),
    )
    X = pd.concat([panel(), other])
    r = obstacle_degree(X, SUBS, "entropy", scope="per_entity")
    wr = compute_weights(X, {"a": 1, "b": -1, "c": 1}, "entropy", scope="per_entity")
    np.testing.assert_allclose(r.contribution.loc["jewelry"], wr.for_entity("jewelry"), atol=1e-12)
    # jewelry 2022 is best on every indicator within its own series: no obstacle there
    np.testing.assert_allclose(r.obstacle_wide.sum(axis=1), [1.0, 1.0, 0.0, 1.0, 1.0, 1.0], atol=1e-12)
    assert r.notes


def test_errors() -> None:
    with pytest.raises(SpecError):
        obstacle_degree(panel(), SUBS, W, top_k=0)
    with pytest.raises(SpecError):
        obstacle_degree(panel(), SUBS, {"a": 1.0})
    with pytest.raises(SpecError):
        obstacle_degree(panel(), SUBS, W, subsystem_weights={"A": 1.0})
    with pytest.raises(SpecError):
        obstacle_degree(panel(), SUBS, W, scope="all")  # type: ignore[arg-type]
    with pytest.raises(SpecError):
        obstacle_degree(panel(), SUBS, {"a": -1.0, "b": 1.0, "c": 1.0})


@settings(max_examples=40, deadline=None)
@given(vals=hnp.arrays(float, (6, 3), elements=st.floats(-1e3, 1e3)), k=st.integers(1, 5))
def test_shares_sum_to_one(vals: np.ndarray, k: int) -> None:
    idx = pd.MultiIndex.from_product([["e1", "e2"], [1, 2, 3]])
    X = pd.DataFrame(vals, index=idx, columns=["a", "b", "c"])
    r = obstacle_degree(X, SUBS, W, top_k=k, on_constant="zero")
    O = r.obstacle_wide.to_numpy()
    assert np.all((O >= 0) & (O <= 1 + 1e-12))
    s = O.sum(axis=1)
    assert np.all(np.isclose(s, 1.0) | np.isclose(s, 0.0))
    assert len(r.top) == 6 * min(k, 3)
    first = r.top[r.top["rank"] == 1]["obstacle"].to_numpy()
    np.testing.assert_allclose(first, O.max(axis=1))
