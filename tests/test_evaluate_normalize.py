"""normalize(): hand-worked values, properties (hypothesis), scope and error messages."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate.normalize import normalize


def panel(values: np.ndarray, entities: list[str], periods: list[int], cols: list[str]) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([entities, periods], names=["cluster", "year"])
    return pd.DataFrame(np.asarray(values, dtype=float), index=idx, columns=cols)


X3 = panel(np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]]), ["c"], [2020, 2021, 2022], ["a", "b"])
DIRS = {"a": 1, "b": -1}


def test_minmax_by_direction_hand() -> None:
    z = normalize(X3, DIRS)
    # a (benefit): min 1, max 4 -> (x - 1)/3 ; b (cost): min 10, max 30 -> (30 - x)/20
    np.testing.assert_allclose(z["a"], [0.0, 1 / 3, 1.0], atol=1e-12)
    np.testing.assert_allclose(z["b"], [1.0, 0.0, 0.5], atol=1e-12)
    assert z.index.equals(X3.index) and list(z.columns) == ["a", "b"]


def test_minmax_shift_and_string_directions() -> None:
    z = normalize(X3, {"a": "+", "b": "-"}, shift=0.01)
    np.testing.assert_allclose(z["a"], [0.01, 1 / 3 + 0.01, 1.01], atol=1e-12)
    np.testing.assert_allclose(z["b"], [1.01, 0.01, 0.51], atol=1e-12)


def test_zscore_hand() -> None:
    z = normalize(X3, DIRS, method="zscore")
    # a: mean 7/3, sample var = ((4/3)^2 + (1/3)^2 + (5/3)^2)/2 = (16+1+25)/18 = 7/3
    sd_a = math.sqrt(7 / 3)
    np.testing.assert_allclose(
        z["a"], [(1 - 7 / 3) / sd_a, (2 - 7 / 3) / sd_a, (4 - 7 / 3) / sd_a], atol=1e-12
    )
    # b: mean 20, sample sd = sqrt((100 + 100 + 0)/2) = 10; cost flips the sign
    np.testing.assert_allclose(z["b"], [1.0, -1.0, 0.0], atol=1e-12)


def test_vector_hand() -> None:
    z = normalize(X3, DIRS, method="vector")
    # a: sqrt(1 + 4 + 16) = sqrt(21); b cost: max - x = (20, 0, 10), norm sqrt(500)
    np.testing.assert_allclose(z["a"], np.array([1, 2, 4]) / math.sqrt(21), atol=1e-12)
    np.testing.assert_allclose(z["b"], np.array([20, 0, 10]) / math.sqrt(500), atol=1e-12)


def test_per_entity_uses_own_rows() -> None:
    X = panel(np.array([[1.0], [3.0], [10.0], [20.0]]), ["p", "q"], [1, 2], ["a"])
    np.testing.assert_allclose(normalize(X, {"a": 1}, scope="per_entity")["a"], [0, 1, 0, 1])
    np.testing.assert_allclose(normalize(X, {"a": 1})["a"], [0, 2 / 19, 9 / 19, 1])


def test_unbalanced_unsorted_per_entity() -> None:
    idx = pd.MultiIndex.from_tuples(
        [("q", 1), ("p", 1), ("q", 2), ("p", 2), ("p", 3)], names=["cluster", "year"]
    )
    X = pd.DataFrame({"a": [10.0, 1.0, 20.0, 3.0, 2.0]}, index=idx)
    z = normalize(X, {"a": 1}, scope="per_entity")
    np.testing.assert_allclose(z["a"], [0.0, 0.0, 1.0, 1.0, 0.5])
    assert z.index.equals(X.index)


def test_constant_column_error_names_indicator_and_entity() -> None:
    X = panel(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 1.0], [4.0, 2.0]]), ["tex", "bag"], [1, 2], ["a", "b"])
    with pytest.raises(DataError) as ei:
        normalize(X, {"a": 1, "b": 1}, scope="per_entity")
    msg = str(ei.value)
    assert "'b'" in msg and "'tex'" in msg and "scope='pooled'" in msg and "on_constant='zero'" in msg
    z = normalize(X, {"a": 1, "b": 1}, scope="per_entity", on_constant="zero")
    np.testing.assert_allclose(z["b"], [0.0, 0.0, 0.0, 1.0])


def test_constant_column_pooled_error() -> None:
    X = panel(np.array([[1.0, 5.0], [2.0, 5.0]]), ["c"], [1, 2], ["a", "b"])
    with pytest.raises(DataError, match=r"constant indicator over all rows: 'b'.*drop the indicator"):
        normalize(X, {"a": 1, "b": 1})
    with pytest.raises(DataError, match="z-score"):
        normalize(X, {"a": 1, "b": 1}, method="zscore")


def test_input_errors() -> None:
    with pytest.raises(SpecError, match="valid methods: minmax, zscore, vector"):
        normalize(X3, DIRS, method="rank")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="valid scopes"):
        normalize(X3, DIRS, scope="by_year")
    with pytest.raises(DataError, match="no direction given for indicator.*'b'"):
        normalize(X3, {"a": 1})
    with pytest.raises(SpecError, match="must be \\+1 \\(benefit\\) or -1"):
        normalize(X3, {"a": 1, "b": 2})
    bad = X3.copy()
    bad.iloc[1, 0] = np.nan
    with pytest.raises(DataError, match="missing or infinite.*'a'"):
        normalize(bad, DIRS)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
mats = hnp.arrays(float, st.tuples(st.integers(2, 8), st.integers(1, 4)), elements=finite)


def _varied(a: np.ndarray) -> bool:
    rng = a.max(axis=0) - a.min(axis=0)
    return bool((rng > 1e-6 * np.maximum(1.0, np.abs(a).max(axis=0))).all())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(mats, st.data())
def test_minmax_in_unit_interval_and_flip_mirrors(a: np.ndarray, data: st.DataObject) -> None:
    assume(_varied(a))
    cols = [f"x{j}" for j in range(a.shape[1])]
    X = pd.DataFrame(a, columns=cols)
    signs = data.draw(st.lists(st.sampled_from([1, -1]), min_size=a.shape[1], max_size=a.shape[1]))
    d = dict(zip(cols, signs))
    z = normalize(X, d).to_numpy()
    assert (z >= 0).all() and (z <= 1).all()
    assert np.isclose(z.min(axis=0), 0).all() and np.isclose(z.max(axis=0), 1).all()
    zf = normalize(X, {c: -s for c, s in d.items()}).to_numpy()
    np.testing.assert_allclose(zf, 1 - z, atol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(hnp.arrays(float, st.tuples(st.integers(1, 4), st.integers(2, 5), st.integers(1, 3)), elements=finite))
def test_per_entity_equals_pooled_on_each_entity(cube: np.ndarray) -> None:
    assume(all(_varied(cube[g]) for g in range(cube.shape[0])))
    e, t, k = cube.shape
    cols = [f"x{j}" for j in range(k)]
    X = panel(cube.reshape(e * t, k), [f"e{g}" for g in range(e)], list(range(t)), cols)
    d = {c: (1 if j % 2 else -1) for j, c in enumerate(cols)}
    for method in ("minmax", "zscore", "vector"):
        z = normalize(X, d, method=method, scope="per_entity")
        for g in range(e):
            sub = X.loc[[f"e{g}"]]
            np.testing.assert_allclose(z.loc[[f"e{g}"]], normalize(sub, d, method=method), atol=1e-9)
