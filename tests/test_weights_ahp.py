"""AHP: Saaty's (1990) textbook example, a consistent matrix, validation and CR refusal."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import SpecError
from cbeclab.evaluate.weights import compute_weights
from cbeclab.evaluate.weights.ahp import ahp, ri_table

# Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process. EJOR 48, 9-26: the house
# example with 8 criteria. Published: lambda_max = 9.669, CI = 0.238, CR = 0.169 and priorities
# 0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333.
SAATY_ROWS = """\
1 5 3 7 6 6 1/3 1/4
1/5 1 1/3 5 3 3 1/5 1/7
1/3 3 1 6 3 4 6 1/5
1/7 1/5 1/6 1 1/3 1/4 1/7 1/8
1/6 1/3 1/3 3 1 1/2 1/5 1/6
1/6 1/3 1/4 4 2 1 1/5 1/6
3 5 1/6 7 5 5 1 1/2
4 7 5 8 6 6 2 1"""
NAMES = ["size", "transport", "neighborhood", "age", "yard", "modern", "condition", "finance"]
SAATY = pd.DataFrame(
    [[float(Fraction(x)) for x in row.split()] for row in SAATY_ROWS.splitlines()], index=NAMES, columns=NAMES
)
PUBLISHED_W = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]


def house_panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product([["h1", "h2"], [1, 2, 3]], names=["house", "t"])
    return pd.DataFrame(rng.random((6, 8)), index=idx, columns=NAMES)


def test_saaty_house_example() -> None:
    r = ahp(SAATY)
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert r.ci == pytest.approx(0.238, abs=5e-4)
    assert r.ri == 1.41
    assert r.cr == pytest.approx(0.169, abs=5e-4)
    np.testing.assert_allclose(r.weights.to_numpy(), PUBLISHED_W, atol=5e-4)
    assert not r.consistent


def test_cr_refused_and_allowed() -> None:
    X = house_panel()
    d = dict.fromkeys(NAMES, 1)
    with pytest.raises(SpecError) as ei:
        compute_weights(X, d, "ahp", ahp_matrix=SAATY)
    msg = str(ei.value)
    assert "CR = 0.169" in msg and "ahp_allow_inconsistent=True" in msg
    w = compute_weights(X, d, "ahp", ahp_matrix=SAATY, ahp_allow_inconsistent=True, scope="per_entity")
    assert list(w.table.index) == ["h1", "h2"]
    np.testing.assert_allclose(w.table.loc["h2"].to_numpy(), PUBLISHED_W, atol=5e-4)
    assert w.notes and "CR = 0.169" in w.notes[0]
    assert w.details["summary"].loc[0, "CR"] == pytest.approx(0.169, abs=5e-4)


def test_consistent_matrix_exact() -> None:
    # a_ij = v_i / v_j with v = (4, 2, 1): lambda_max = n = 3, CI = CR = 0, w = v / 7 for both methods
    v = np.array([4.0, 2.0, 1.0])
    A = pd.DataFrame(v[:, None] / v[None, :], index=list("abc"), columns=list("abc"))
    for method in ("eigen", "geometric"):
        r = ahp(A, method=method)
        np.testing.assert_allclose(r.weights.to_numpy(), v / 7, atol=1e-12)
        assert r.lambda_max == pytest.approx(3.0, abs=1e-12)
        assert r.cr == pytest.approx(0.0, abs=1e-12)


def test_geometric_hand_3x3() -> None:
    # A = [[1, 3, 5], [1/3, 1, 2], [1/5, 1/2, 1]]; g = cube roots of row products 15, 2/3, 1/10
    A = {
        "a": {"a": 1, "b": 3, "c": 5},
        "b": {"a": 1 / 3, "b": 1, "c": 2},
        "c": {"a": 1 / 5, "b": 1 / 2, "c": 1},
    }
    g = np.array([15 ** (1 / 3), (2 / 3) ** (1 / 3), 0.1 ** (1 / 3)])
    w = g / g.sum()
    M = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    lam = float(np.mean(M @ w / w))
    r = ahp(A, method="geometric")
    np.testing.assert_allclose(r.weights.to_numpy(), w, atol=1e-12)
    assert r.lambda_max == pytest.approx(lam, abs=1e-12)
    assert r.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-12)


def test_ri_table_is_saaty() -> None:
    t = ri_table()
    assert t["ri"][3] == 0.58 and t["ri"][10] == 1.49 and t["ri"][15] == 1.59 and t["threshold"] == 0.1


def test_validation_messages() -> None:
    X = house_panel()[["size", "transport", "age"]]
    d = dict.fromkeys(X.columns, 1)
    base = pd.DataFrame(np.ones((3, 3)), index=list(X.columns), columns=list(X.columns))
    bad = base.copy()
    bad.loc["size", "age"] = 3.0
    with pytest.raises(SpecError, match="not reciprocal"):
        compute_weights(X, d, "ahp", ahp_matrix=bad)
    neg = base.copy()
    neg.loc["size", "age"] = -1.0
    with pytest.raises(SpecError, match="must be positive"):
        compute_weights(X, d, "ahp", ahp_matrix=neg)
    with pytest.raises(SpecError, match="square"):
        compute_weights(X, d, "ahp", ahp_matrix=base.iloc[:, :2])
    other = base.rename(index={"age": "yard"}, columns={"age": "yard"})
    with pytest.raises(SpecError, match="missing 'age'; unknown 'yard'"):
        compute_weights(X, d, "ahp", ahp_matrix=other)
    with pytest.raises(SpecError, match="needs a pairwise comparison matrix"):
        compute_weights(X, d, "ahp")
    rounded = base.copy()
    rounded.loc["size", "age"], rounded.loc["age", "size"] = 3.0, 0.33  # 0.33 for 1/3 is accepted
    r = compute_weights(X, d, "ahp", ahp_matrix=rounded, ahp_allow_inconsistent=True)
    assert r.table.sum(axis=1).iloc[0] == pytest.approx(1.0)
