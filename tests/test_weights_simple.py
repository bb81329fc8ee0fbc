"""Equal, user, CV and combined weights: hand calculations, properties and errors."""

from __future__ import annotations

import math
import statistics as stats

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate.weights import compute_weights

IDX = pd.MultiIndex.from_product([["p", "q"], [1, 2, 3]], names=["cluster", "year"])
X = pd.DataFrame(
    {
        "a": [1.0, 2.0, 3.0, 2.0, 2.0, 5.0],
        "b": [10.0, 10.0, 13.0, 4.0, 8.0, 6.0],
        "c": [5.0, 1.0, 2.0, 3.0, 4.0, 9.0],
    },
    index=IDX,
)
DIRS = {"a": 1, "b": -1, "c": 1}


def test_equal() -> None:
    r = compute_weights(X, DIRS, "equal", scope="per_entity")
    np.testing.assert_allclose(r.table.to_numpy(), 1 / 3)
    assert list(r.table.index) == ["p", "q"]


def test_user_rescaled_with_note() -> None:
    r = compute_weights(X, DIRS, "user", user={"a": 2, "b": 1, "c": 1})
    assert r.table.loc["pooled"].tolist() == [0.5, 0.25, 0.25]
    assert "summed to 4" in r.notes[0]
    assert compute_weights(X, DIRS, "user", user={"a": 0.5, "b": 0.25, "c": 0.25}).notes == ()


def test_user_errors() -> None:
    with pytest.raises(SpecError, match="missing indicator\\(s\\) 'c'"):
        compute_weights(X, DIRS, "user", user={"a": 1, "b": 1})
    with pytest.raises(SpecError, match="unknown indicator\\(s\\) 'z'"):
        compute_weights(X, DIRS, "user", user={"a": 1, "b": 1, "c": 1, "z": 1})
    with pytest.raises(SpecError, match="must be positive"):
        compute_weights(X, DIRS, "user", user={"a": 1, "b": 0, "c": 1})
    with pytest.raises(SpecError, match="needs the weights"):
        compute_weights(X, DIRS, "user")


def test_cv_hand_per_entity() -> None:
    # entity p: a = 1,2,3 (mean 2, sd 1), b = 10,10,13 (mean 11, sd sqrt 3), c = 5,1,2 (mean 8/3, sd sqrt(13/3))
    cv = {
        "a": 1 / 2,
        "b": math.sqrt(3) / 11,
        "c": math.sqrt(13 / 3) / (8 / 3),
    }
    assert cv["c"] == pytest.approx(stats.stdev([5, 1, 2]) / stats.mean([5, 1, 2]))
    total = sum(cv.values())
    r = compute_weights(X, DIRS, "cv", scope="per_entity")
    for j in cv:
        assert r.table.loc["p", j] == pytest.approx(cv[j] / total, abs=1e-12)
    assert r.details["cv"].loc["q", "a"] == pytest.approx(stats.stdev([2, 2, 5]) / 3, abs=1e-12)


def test_cv_zero_mean() -> None:
    Z = X.assign(a=[-1.0, 0.0, 1.0, -2.0, 0.0, 2.0])
    with pytest.raises(DataError, match="mean of 'a' is zero"):
        compute_weights(Z, DIRS, "cv")
    r = compute_weights(X.assign(a=[-1.0, 2.0, 3.0, 2.0, 2.0, 5.0]), DIRS, "cv")
    assert "both negative and positive" in r.notes[0]


AHP3 = pd.DataFrame([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], index=list("abc"), columns=list("abc"))


def test_combined_multiplicative_and_linear() -> None:
    ws = np.array([4, 2, 1]) / 7  # consistent AHP matrix
    wo = compute_weights(X, DIRS, "entropy", scope="per_entity").table
    r = compute_weights(
        X,
        DIRS,
        "combined",
        scope="per_entity",
        ahp_matrix=AHP3,
        combine={"subjective": "ahp", "objective": "entropy"},
    )
    for e in ["p", "q"]:
        prod = ws * wo.loc[e].to_numpy()
        np.testing.assert_allclose(r.table.loc[e].to_numpy(), prod / prod.sum(), atol=1e-12)
    assert "multiplicative" in r.notes[0]
    assert set(r.details) >= {"subjective", "objective", "objective_e", "subjective_summary"}
    u = {"a": 0.2, "b": 0.3, "c": 0.5}
    lin = compute_weights(
        X,
        DIRS,
        "combined",
        user=u,
        combine={"subjective": "user", "objective": "critic", "rule": "linear", "alpha": 0.3},
    )
    wc = compute_weights(X, DIRS, "critic").table.loc["pooled"].to_numpy()
    np.testing.assert_allclose(lin.table.loc["pooled"].to_numpy(), 0.3 * np.array([0.2, 0.3, 0.5]) + 0.7 * wc)


def test_combined_errors() -> None:
    with pytest.raises(SpecError, match="needs combine"):
        compute_weights(X, DIRS, "combined")
    with pytest.raises(SpecError, match="combine.subjective.*valid: ahp, user"):
        compute_weights(X, DIRS, "combined", combine={"subjective": "entropy"})
    with pytest.raises(SpecError, match="combine.rule"):
        compute_weights(
            X, DIRS, "combined", user=dict.fromkeys("abc", 1), combine={"subjective": "user", "rule": "max"}
        )
    with pytest.raises(SpecError, match="alpha"):
        compute_weights(
            X,
            DIRS,
            "combined",
            user=dict.fromkeys("abc", 1),
            combine={"subjective": "user", "rule": "linear", "alpha": 2},
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(st.floats(0.01, 100), min_size=3, max_size=3),
    st.sampled_from(["entropy", "critic", "cv"]),
    st.sampled_from(["multiplicative", "linear"]),
    st.floats(0, 1),
)
def test_combined_sums_to_one(u: list[float], obj: str, rule: str, alpha: float) -> None:
    r = compute_weights(
        X,
        DIRS,
        "combined",
        scope="per_entity",
        user=dict(zip("abc", u)),
        combine={"subjective": "user", "objective": obj, "rule": rule, "alpha": alpha},
    )
    assert (r.table.to_numpy() >= 0).all()
    np.testing.assert_allclose(r.table.sum(axis=1), 1.0, atol=1e-12)
