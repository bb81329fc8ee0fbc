"""Coupling coordination degree: hand-worked values, grade boundaries, SPSSAU preset, properties."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.models.coupling import (
    coupling_coordination,
    coupling_degree,
    coupling_from_scores,
    grade_of,
    grade_scale,
)


def scores(rows: list[list[float]], names: list[str] | None = None) -> pd.DataFrame:
    names = names or [f"S{i + 1}" for i in range(len(rows[0]))]
    idx = pd.MultiIndex.from_product([["c1"], range(2010, 2010 + len(rows))], names=["cluster", "year"])
    return pd.DataFrame(rows, columns=names, index=idx)


def test_classical_three_subsystems_by_hand() -> None:
    # U = (0.2, 0.5, 0.8): prod = 0.08, sum = 1.5
    r = coupling_from_scores(scores([[0.2, 0.5, 0.8]]))
    C = 3 * 0.08 ** (1 / 3) / 1.5
    T = (0.2 + 0.5 + 0.8) / 3
    assert r.table["C"][0] == pytest.approx(C, abs=1e-12)
    # the older way of writing it gives the same number
    assert C == pytest.approx((0.08 / (1.5 / 3) ** 3) ** (1 / 3), abs=1e-12)
    assert r.table["T"][0] == pytest.approx(T, abs=1e-12)
    assert r.table["D"][0] == pytest.approx(math.sqrt(C * T), abs=1e-12)
    assert r.table["D"][0] == pytest.approx(0.6564197879454708, abs=1e-12)
    assert r.table["grade"][0] == 7 and r.table["grade_zh"][0] == "初级协调"
    assert r.table["lagging"][0] == "S1"
    assert r.table["lag_gap"][0] == pytest.approx(0.6, abs=1e-12)


def test_modified_three_subsystems_by_hand() -> None:
    # Wang et al. 2021: pairwise |diffs| 0.3 + 0.6 + 0.3 = 1.2; sum_{m=1}^{2} m = 3
    # prod(U/max) = 0.25 * 0.625 * 1 = 0.15625, power 1/(n-1) = 1/2
    r = coupling_from_scores(scores([[0.2, 0.5, 0.8]]), model="modified")
    C = math.sqrt((1 - 1.2 / 3) * math.sqrt(0.15625))
    assert r.table["C"][0] == pytest.approx(C, abs=1e-12)
    assert r.table["D"][0] == pytest.approx(math.sqrt(C * 0.5), abs=1e-12)


def test_two_subsystems_forms() -> None:
    U = np.array([[0.3, 0.6]])
    C, _ = coupling_degree(U, "classical")
    assert C[0] == pytest.approx(2 * math.sqrt(0.18) / 0.9, abs=1e-12)
    Cm, _ = coupling_degree(U, "modified")
    assert Cm[0] == pytest.approx(math.sqrt((1 - 0.3) * 0.5), abs=1e-12)


def test_grade_boundaries() -> None:
    g = grade_of([0.0, 0.0999999, 0.1, 0.5, 0.8999, 0.9, 1.0, float("nan")])
    assert g["grade"].tolist()[:7] == [1, 1, 2, 6, 9, 10, 10]
    assert math.isnan(g["grade"].tolist()[7])
    assert g["grade_en"][3] == "barely coordinated"
    assert g["grade_zh"][5] == "优质协调"
    # D exactly on a boundary through the whole model: equal U -> C = 1, D = sqrt(U)
    r = coupling_from_scores(scores([[0.01, 0.01], [0.25, 0.25], [0.81, 0.81]]))
    np.testing.assert_allclose(r.table["C"], 1.0, atol=1e-12)
    np.testing.assert_allclose(r.table["D"], [0.1, 0.5, 0.9], atol=1e-12)
    assert r.table["grade"].tolist() == [2, 6, 10]
    scale = grade_scale()
    assert len(scale) == 10 and scale["upper"].iloc[-1] == 1.0


def test_contribution_coefficients() -> None:
    r = coupling_from_scores(scores([[0.2, 0.6]]), contribution={"S1": 0.3, "S2": 0.7})
    assert r.table["T"][0] == pytest.approx(0.3 * 0.2 + 0.7 * 0.6, abs=1e-12)
    r2 = coupling_from_scores(scores([[0.2, 0.6]]), contribution={"S1": 3, "S2": 7})
    assert r2.table["T"][0] == pytest.approx(r.table["T"][0], abs=1e-12)
    assert any("rescaled" in n for n in r2.notes)


def test_all_zero_row_is_zero_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in ("classical", "modified"):
            r = coupling_from_scores(scores([[0.0, 0.0, 0.0], [0.0, 0.5, 0.5]]), model=model)  # type: ignore[arg-type]
            assert r.table["C"][0] == 0.0 and r.table["D"][0] == 0.0
            assert r.table["C"][1] == 0.0  # one zero subsystem: geometric mean / ratio product is 0
            assert any("equal to 0" in n for n in r.notes)


def test_lagging_ties_take_first() -> None:
    r = coupling_from_scores(scores([[0.4, 0.3, 0.3]], ["trade", "cluster", "env"]))
    assert r.table["lagging"][0] == "cluster"
    assert list(r.table.columns[:5]) == ["entity", "period", "U_trade", "U_cluster", "U_env"]


def test_spssau_preset_by_hand() -> None:
    # raw system columns; SPSSAU rescales each to 0.01 + 0.98 (x - min)/(max - min)
    raw = scores([[10.0, 5.0], [20.0, 1.0], [30.0, 3.0]])
    r = coupling_from_scores(raw, compat="spssau")
    u1 = [0.01, 0.5, 0.99]
    u2 = [0.99, 0.01, 0.5]
    np.testing.assert_allclose(r.table["U_S1"], u1, atol=1e-12)
    np.testing.assert_allclose(r.table["U_S2"], u2, atol=1e-12)
    for i in range(3):
        C = 2 * math.sqrt(u1[i] * u2[i]) / (u1[i] + u2[i])
        T = (u1[i] + u2[i]) / 2
        assert r.table["C"][i] == pytest.approx(C, abs=1e-12)
        assert r.table["D"][i] == pytest.approx(math.sqrt(C * T), abs=1e-12)
    assert r.compat == "spssau"


def panel() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["c1", "c2"], [2020, 2021]], names=["cluster", "year"])
    return pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 5.0], "b": [8.0, 6.0, 4.0, 2.0], "c": [0.0, 1.0, 3.0, 4.0]}, index=idx
    )


def test_coupling_coordination_from_indicators_by_hand() -> None:
    X = panel()
    subs = {"T": {"a": "+"}, "K": {"b": "-", "c": "+"}}
    r = coupling_coordination(X, subs, weights={"a": 1.0, "b": 1.0, "c": 3.0})
    # pooled min-max: a -> (a-1)/4, b cost -> (8-b)/6, c -> c/4
    za = np.array([0.0, 0.25, 0.5, 1.0])
    zb = np.array([0.0, 2 / 6, 4 / 6, 1.0])
    zc = np.array([0.0, 0.25, 0.75, 1.0])
    UK = 0.25 * zb + 0.75 * zc
    np.testing.assert_allclose(r.table["U_T"], za, atol=1e-12)
    np.testing.assert_allclose(r.table["U_K"], UK, atol=1e-12)
    direct = coupling_from_scores(pd.DataFrame({"T": za, "K": UK}, index=X.index))
    np.testing.assert_allclose(r.table["D"], direct.table["D"], atol=1e-12)
    assert r.table["C"][0] == 0.0
    json.dumps(r.to_dict(), allow_nan=False)


def test_coupling_coordination_entropy_weights_runs() -> None:
    X = panel().assign(c=[0.5, 1.0, 3.0, 4.0])
    r = coupling_coordination(X, {"T": {"a": "+"}, "K": {"b": "-", "c": "+"}})
    assert r.weights is not None and "K" in r.weights.details
    w = r.weights.table
    assert w[["b", "c"]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert ((r.table["D"] >= 0) & (r.table["D"] <= 1)).all()


def test_errors() -> None:
    with pytest.raises(DataError, match="outside"):
        coupling_from_scores(scores([[0.2, 1.5]]))
    with pytest.raises(SpecError, match="at least 2"):
        coupling_from_scores(scores([[0.2]]))
    with pytest.raises(SpecError, match="contribution"):
        coupling_from_scores(scores([[0.2, 0.3]]), contribution={"S1": 1.0})
    with pytest.raises(SpecError, match="model"):
        coupling_from_scores(scores([[0.2, 0.3]]), model="new")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="compat"):
        coupling_from_scores(scores([[0.2, 0.3]]), compat="stata")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="missing"):
        coupling_from_scores(scores([[0.2, float("nan")]]))
    with pytest.raises(SpecError):
        coupling_coordination(panel(), {"T": {"a": "+"}})


@settings(max_examples=80, deadline=None)
@given(
    U=hnp.arrays(float, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=st.floats(0.0, 1.0)),
    model=st.sampled_from(["classical", "modified"]),
)
def test_C_D_in_unit_interval(U: np.ndarray, model: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        C, _ = coupling_degree(U, model)  # type: ignore[arg-type]
        r = coupling_from_scores(pd.DataFrame(U), model=model)  # type: ignore[arg-type]
    assert np.all((C >= 0) & (C <= 1))
    D = r.table["D"].to_numpy()
    assert np.all((D >= 0) & (D <= 1 + 1e-12))
    assert r.table["grade"].between(1, 10).all()
    if model == "classical":
        # C = 1 exactly when all U are equal (and positive)
        eq = np.all(U == U[:, :1], axis=1) & (U[:, 0] > 0)
        np.testing.assert_allclose(C[eq], 1.0, atol=1e-12)
