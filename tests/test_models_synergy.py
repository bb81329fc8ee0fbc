"""Composite-system synergy model (seed 001): hand-worked example, properties, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cbeclab.errors import DataError, SpecError
from cbeclab.models.synergy import order_degrees, synergy

SUBS = {"A": {"a1": "+", "a2": "-"}, "B": {"b1": "+", "b2": "+"}}
W = {"A": {"a1": 0.6, "a2": 0.4}, "B": {"b1": 0.5, "b2": 0.5}}


def hand_panel() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["leather"], [2019, 2020, 2021]], names=["cluster", "year"])
    return pd.DataFrame(
        {
            "a1": [10.0, 20.0, 30.0],
            "a2": [5.0, 4.0, 2.0],  # cost
            "b1": [1.0, 3.0, 2.0],
            "b2": [100.0, 150.0, 200.0],
        },
        index=idx,
    )


# Hand calculation, bound_margin m = 0.1:
#   a1: max 30 -> hi = 33,  min 10 -> lo = 9,   span 24,  u = (e - 9)/24
#   a2: max 5  -> hi = 5.5, min 2  -> lo = 1.8, span 3.7, cost: u = (5.5 - e)/3.7
#   b1: max 3  -> hi = 3.3, min 1  -> lo = 0.9, span 2.4, u = (e - 0.9)/2.4
#   b2: max 200 -> hi = 220, min 100 -> lo = 90, span 130, u = (e - 90)/130
U_A1 = [1 / 24, 11 / 24, 21 / 24]
U_A2 = [0.5 / 3.7, 1.5 / 3.7, 3.5 / 3.7]
U_B1 = [0.1 / 2.4, 2.1 / 2.4, 1.1 / 2.4]
U_B2 = [10 / 130, 60 / 130, 110 / 130]
UA = [0.6 * x + 0.4 * y for x, y in zip(U_A1, U_A2)]
UB = [0.5 * x + 0.5 * y for x, y in zip(U_B1, U_B2)]


def test_hand_bounds_and_order_degrees() -> None:
    r = synergy(hand_panel(), SUBS, weights=W)
    b = r.bounds.set_index("indicator")
    assert b.loc["a1", "lo"] == pytest.approx(9.0, abs=1e-12)
    assert b.loc["a1", "hi"] == pytest.approx(33.0, abs=1e-12)
    assert b.loc["a2", "lo"] == pytest.approx(1.8, abs=1e-12)
    assert b.loc["a2", "hi"] == pytest.approx(5.5, abs=1e-12)
    assert b.loc["b2", "hi"] == pytest.approx(220.0, abs=1e-12)
    assert b.loc["a2", "direction"] == -1
    np.testing.assert_allclose(r.order_wide["a1"], U_A1, atol=1e-12)
    np.testing.assert_allclose(r.order_wide["a2"], U_A2, atol=1e-12)
    np.testing.assert_allclose(r.order_wide["b1"], U_B1, atol=1e-12)
    np.testing.assert_allclose(r.order_wide["b2"], U_B2, atol=1e-12)
    long = r.order_degree
    assert list(long.columns) == ["entity", "period", "subsystem", "indicator", "value"]
    row = long[(long["period"] == 2020) & (long["indicator"] == "a2")]
    assert row["subsystem"].item() == "A"
    assert row["value"].item() == pytest.approx(1.5 / 3.7, abs=1e-12)


def test_hand_weighted_orders_and_synergy_first_base() -> None:
    r = synergy(hand_panel(), SUBS, weights=W, base="first")
    np.testing.assert_allclose(r.subsystem_order["A"], UA, atol=1e-12)
    np.testing.assert_allclose(r.subsystem_order["B"], UB, atol=1e-12)
    s = r.synergy
    assert math.isnan(s["synergy"][0]) and s["base_period"][0] is None
    # 2020 vs 2019: both subsystems rose -> theta = +1
    dA, dB = UA[1] - UA[0], UB[1] - UB[0]
    assert dA > 0 and dB > 0
    assert s["theta"][1] == 1.0
    assert s["synergy"][1] == pytest.approx(math.sqrt(dA * dB), abs=1e-12)
    # 2021 vs 2019
    dA, dB = UA[2] - UA[0], UB[2] - UB[0]
    assert s["synergy"][2] == pytest.approx(math.sqrt(dA * dB), abs=1e-12)
    assert s["base_period"][2] == 2019
    assert s["delta_A"][2] == pytest.approx(dA, abs=1e-12)


def test_hand_previous_base_negative_synergy() -> None:
    r = synergy(hand_panel(), SUBS, weights=W, base="previous")
    # 2021 vs 2020: A rose, B fell (b1 dropped 3 -> 2 more than b2 gained) -> theta = -1
    dA, dB = UA[2] - UA[1], UB[2] - UB[1]
    assert dA > 0 and dB < 0
    assert dB == pytest.approx(0.5 * (-1 / 2.4) + 0.5 * (50 / 130), abs=1e-12)
    assert r.synergy["theta"][2] == -1.0
    assert r.synergy["synergy"][2] == pytest.approx(-math.sqrt(dA * abs(dB)), abs=1e-12)
    assert r.synergy["base_period"][2] == 2020


def test_geometric_aggregate_equal_weights_is_plain_geometric_mean() -> None:
    r = synergy(hand_panel(), SUBS, weights="equal", aggregate="geometric")
    expect_A = [math.sqrt(x * y) for x, y in zip(U_A1, U_A2)]
    np.testing.assert_allclose(r.subsystem_order["A"], expect_A, atol=1e-12)
    # weighted geometric mean: prod u^w
    r2 = synergy(hand_panel(), SUBS, weights=W, aggregate="geometric")
    expect_B = [x**0.5 * y**0.5 for x, y in zip(U_B1, U_B2)]
    np.testing.assert_allclose(r2.subsystem_order["B"], expect_B, atol=1e-12)
    expect_A2 = [x**0.6 * y**0.4 for x, y in zip(U_A1, U_A2)]
    np.testing.assert_allclose(r2.subsystem_order["A"], expect_A2, atol=1e-12)


def test_flat_weights_dict_renormalised_within_subsystem() -> None:
    flat = {"a1": 3.0, "a2": 2.0, "b1": 1.0, "b2": 1.0}  # A: 0.6/0.4, B: 0.5/0.5
    r = synergy(hand_panel(), SUBS, weights=flat)
    np.testing.assert_allclose(r.subsystem_order["A"], UA, atol=1e-12)
    assert r.weights.for_entity("leather")["a1"] == pytest.approx(0.6)
    assert list(r.weights.table.index) == ["pooled"]


def test_zero_margin_and_constant_indicator() -> None:
    X = hand_panel().assign(b2=7.0)
    r = synergy(X, SUBS, weights="equal", bound_margin=0.1)
    np.testing.assert_allclose(r.order_wide["b2"], 0.5, atol=1e-12)  # (7-6.3)/(7.7-6.3)
    r0 = synergy(X, SUBS, weights="equal", bound_margin=0.0)
    np.testing.assert_allclose(r0.order_wide["b2"], 0.5)
    assert any("zero-width" in n for n in r0.notes)
    np.testing.assert_allclose(r0.order_wide["a1"], [0.0, 0.5, 1.0], atol=1e-12)


def test_pooled_scope_and_unbalanced_previous() -> None:
    X = hand_panel()
    other = X.rename(index={"leather": "jewelry"}).iloc[:2] * 2.0
    P = pd.concat([X, other])
    r = synergy(P, SUBS, weights="equal", scope="pooled", base="previous")
    b = r.bounds.set_index("indicator")
    assert list(r.bounds["group"].unique()) == ["pooled"]
    assert b.loc["a1", "hi"] == pytest.approx(40 * 1.1)  # max over all rows is 2*20
    assert b.loc["a1", "lo"] == pytest.approx(10 * 0.9)
    s = r.synergy.set_index(["entity", "period"])["synergy"]
    assert math.isnan(s[("jewelry", 2019)]) and not math.isnan(s[("jewelry", 2020)])
    per = synergy(P, SUBS, weights="equal", scope="per_entity")
    assert set(per.bounds["group"]) == {"leather", "jewelry"}
    # per-entity result for 'leather' does not depend on the other entity
    alone = synergy(X, SUBS, weights="equal")
    mine = per.synergy[per.synergy["entity"] == "leather"]["synergy"].to_numpy()
    np.testing.assert_allclose(mine, alone.synergy["synergy"], atol=1e-12, equal_nan=True)


def test_unsorted_input_is_sorted() -> None:
    X = hand_panel().iloc[[2, 0, 1]]
    r = synergy(X, SUBS, weights=W)
    np.testing.assert_allclose(r.subsystem_order["A"], UA, atol=1e-12)


def test_result_to_frame_and_dict_json_safe() -> None:
    import json

    r = synergy(hand_panel(), SUBS, weights=W)
    t = r.to_frame()
    assert list(t.columns) == ["entity", "period", "U_A", "U_B", "theta", "synergy"]
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "synergy" in text and d["synergy"][0]["synergy"] is None
    assert r.latest()["period"].tolist() == [2021]


def test_zero_change_gives_zero_synergy() -> None:
    X = hand_panel()
    X.loc[("leather", 2020), ["b1", "b2"]] = X.loc[("leather", 2019), ["b1", "b2"]].to_numpy()
    r = synergy(X, SUBS, weights=W)
    assert r.synergy["theta"][1] == -1.0
    assert r.synergy["synergy"][1] == 0.0 and math.copysign(1, r.synergy["synergy"][1]) == 1.0


def test_progress_callback() -> None:
    seen: list[tuple[float, str]] = []
    synergy(hand_panel(), SUBS, weights=W, progress=lambda f, s: seen.append((f, s)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bound_margin": -0.1},
        {"bound_margin": float("nan")},
        {"aggregate": "mean"},
        {"base": "last"},
        {"scope": "global"},
        {"weights": {"A": {"a1": 1.0}, "B": {"b1": 1.0, "b2": 1.0}}},
        {"weights": {"a1": -1.0, "a2": 1.0, "b1": 1.0, "b2": 1.0}},
        {"weights": {"a1": 0.0, "a2": 0.0, "b1": 1.0, "b2": 1.0}},
        {"weights": 3.0},
    ],
)
def test_bad_options(kwargs: dict) -> None:
    kw = {"weights": W, **kwargs}
    with pytest.raises(SpecError):
        synergy(hand_panel(), SUBS, **kw)


def test_bad_subsystems() -> None:
    with pytest.raises(SpecError, match="at least 2"):
        synergy(hand_panel(), {"A": {"a1": "+"}}, weights="equal")
    with pytest.raises(SpecError, match="listed in subsystems"):
        synergy(hand_panel(), {"A": {"a1": "+"}, "B": {"a1": "+"}}, weights="equal")
    with pytest.raises(SpecError, match="direction"):
        synergy(hand_panel(), {"A": {"a1": "up"}, "B": {"b1": "+"}}, weights="equal")
    with pytest.raises(SpecError, match="no indicators"):
        synergy(hand_panel(), {"A": {}, "B": {"b1": "+"}}, weights="equal")


def test_bad_data() -> None:
    X = hand_panel()
    X.iloc[1, 2] = np.nan
    with pytest.raises(DataError) as e:
        synergy(X, SUBS, weights=W)
    assert "2020" in str(e.value) and "b1" in str(e.value)
    with pytest.raises(DataError, match="not found"):
        synergy(hand_panel(), {"A": {"zz": "+"}, "B": {"b1": "+"}}, weights="equal")
    with pytest.raises(DataError, match="MultiIndex"):
        synergy(hand_panel().reset_index(), SUBS, weights=W)
    dup = pd.concat([hand_panel(), hand_panel().iloc[:1]])
    with pytest.raises(DataError, match="more than once"):
        synergy(dup, SUBS, weights=W)


# ----------------------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    vals=hnp.arrays(float, (6, 4), elements=finite),
    margin=st.floats(min_value=0.0, max_value=1.0),
)
def test_order_degree_range_and_direction_mirror(vals: np.ndarray, margin: float) -> None:
    idx = pd.MultiIndex.from_product([["e1", "e2"], [1, 2, 3]])
    X = pd.DataFrame(vals, index=idx, columns=["a1", "a2", "b1", "b2"])
    r = synergy(X, SUBS, weights="equal", bound_margin=margin)
    u = r.order_wide.to_numpy()
    assert np.all((u >= -1e-12) & (u <= 1 + 1e-12))
    flipped = {"A": {"a1": "-", "a2": "+"}, "B": {"b1": "-", "b2": "-"}}
    uf = synergy(X, flipped, weights="equal", bound_margin=margin).order_wide.to_numpy()
    # bounds do not depend on the direction, so flipping it mirrors u exactly: u' = 1 - u
    # (except where the bounds have zero width: u = 0.5 for both)
    np.testing.assert_allclose(uf, 1.0 - u, atol=1e-9)
    # negating the data and flipping the direction leaves u unchanged: the |.| margins are symmetric
    un = synergy(-X, flipped, weights="equal", bound_margin=margin).order_wide.to_numpy()
    np.testing.assert_allclose(un, u, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    vals=hnp.arrays(float, (8, 4), elements=st.floats(0.1, 100.0)),
    base=st.sampled_from(["first", "previous"]),
)
def test_synergy_sign_iff_all_rise(vals: np.ndarray, base: str) -> None:
    idx = pd.MultiIndex.from_product([["e1", "e2"], [1, 2, 3, 4]])
    X = pd.DataFrame(vals, index=idx, columns=["a1", "a2", "b1", "b2"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = synergy(X, SUBS, weights=W, base=base)  # type: ignore[arg-type]
    s = r.synergy
    d = s[["delta_A", "delta_B"]].to_numpy()
    c = s["synergy"].to_numpy()
    has = ~np.isnan(c)
    assert np.all((c[has] > 0) == np.all(d[has] > 0, axis=1))
    assert np.all(np.abs(c[has]) <= 1 + 1e-12)
    np.testing.assert_allclose(np.abs(c[has]), np.sqrt(np.abs(d[has, 0] * d[has, 1])), atol=1e-12)


def test_order_degrees_function_direct() -> None:
    u = order_degrees(np.array([[2.0, 2.0]]), np.array([1.0, 1.0]), np.array([3.0, 3.0]), np.array([1, -1]))
    np.testing.assert_allclose(u, [[0.5, 0.5]])


# ----------------------------------------------------------------------------- real weights (cbeclab.evaluate)


def two_entity_panel() -> pd.DataFrame:
    X = hand_panel()
    other = X.rename(index={"leather": "jewelry"}) * np.array([1.5, 0.7, 2.0, 1.1]) + np.array(
        [0, 0, 1.0, 5.0]
    )
    other.iloc[1, 2] += 3.0
    return pd.concat([X, other])


@pytest.mark.parametrize("scope", ["per_entity", "pooled"])
def test_entropy_weights_from_evaluate(scope: str) -> None:
    from cbeclab.evaluate.weights import compute_weights

    X = two_entity_panel()
    r = synergy(X, SUBS, scope=scope)  # type: ignore[arg-type]  # default weights="entropy"
    assert r.options["weights"] == "entropy"
    for sub, inds in SUBS.items():
        wr = compute_weights(
            X[list(inds)], {i: (1 if d == "+" else -1) for i, d in inds.items()}, "entropy", scope=scope
        )
        assert r.weights.details[sub] is not None
        for ent in ["leather", "jewelry"]:
            w = wr.for_entity(ent)
            u = r.order_wide.loc[ent, list(inds)].to_numpy()
            expect = u @ w[list(inds)].to_numpy()
            got = r.subsystem_order[r.subsystem_order["entity"] == ent][sub].to_numpy()
            np.testing.assert_allclose(got, expect, atol=1e-12)
            np.testing.assert_allclose(r.weights.for_entity(ent)[list(inds)], w[list(inds)], atol=1e-12)


def test_weight_result_and_options_passed_through() -> None:
    from cbeclab.evaluate.weights import compute_weights

    X = two_entity_panel()
    dirs = {"a1": 1, "a2": -1, "b1": 1, "b2": 1}
    wr = compute_weights(X, dirs, "entropy", scope="pooled")
    r = synergy(X, SUBS, weights=wr)
    wa = wr.table[["a1", "a2"]].to_numpy()[0]
    np.testing.assert_allclose(r.weights.table[["a1", "a2"]].to_numpy()[0], wa / wa.sum(), atol=1e-12)
    r2 = synergy(X, SUBS, weights="entropy", weight_options={"shift": 0.01}, scope="pooled")
    r3 = synergy(X, SUBS, weights="entropy", scope="pooled")
    assert not np.allclose(r2.weights.table.to_numpy(), r3.weights.table.to_numpy())


def test_fused_path_matches_order_degrees() -> None:
    X = two_entity_panel()
    r = synergy(X, SUBS, weights="equal", scope="per_entity")
    b = r.bounds
    for ent in ["leather", "jewelry"]:
        bb = b[b["group"] == ent].set_index("indicator")
        cols = list(r.order_wide.columns)
        u = order_degrees(
            X.loc[ent, cols].to_numpy(),
            bb.loc[cols, "lo"].to_numpy(),
            bb.loc[cols, "hi"].to_numpy(),
            bb.loc[cols, "direction"].to_numpy(),
        )
        np.testing.assert_allclose(r.order_wide.loc[ent].to_numpy(), u, atol=1e-13)
