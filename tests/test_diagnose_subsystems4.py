"""Seed 002 four-subsystem coordination on the synthetic seed002 panel.

Reference: the pair results are recomputed by hand from the overall U columns
(two scores: C = 2 sqrt(a b) / (a + b), T = (a + b) / 2, D = sqrt(C T)); the lagging subsystem is
the argmin of the U columns; obstacle indicators are checked against ObstacleResult.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbeclab.diagnose.subsystems4 import example_panel, four_subsystem_coordination
from cbeclab.errors import SpecError

SUBS = ["cbec", "cluster", "factors_products", "environment"]


@pytest.fixture(scope="module")
def res():
    return four_subsystem_coordination(example_panel())


def test_example_panel_is_synthetic() -> None:
    X = example_panel()
    assert X.attrs["source"] == "synthetic"
    assert X.index.names == ["cluster", "year"]
    from cbeclab.frameworks import load_framework

    assert X.shape == (24, len(load_framework("seed002").indicators()))
    assert all(str(e).startswith("Synthetic") for e in X.index.get_level_values(0))


def test_overall_table(res) -> None:
    t = res.overall.table
    assert res.subsystems == SUBS
    assert len(t) == 24
    for c in ("C", "T", "D"):
        assert ((t[c] >= 0) & (t[c] <= 1)).all()
    U = t[[f"U_{s}" for s in SUBS]].to_numpy()
    assert list(t["lagging"]) == [SUBS[j] for j in U.argmin(axis=1)]


def test_six_pairs_by_hand(res) -> None:
    p = res.pairs
    assert p["pair"].nunique() == 6 and len(p) == 6 * 24
    t = res.overall.table
    for (a, b), grp in p.groupby(["a", "b"], sort=False):
        ua = t[f"U_{a}"].to_numpy()
        ub = t[f"U_{b}"].to_numpy()
        C = 2 * np.sqrt(ua * ub) / (ua + ub)
        T = (ua + ub) / 2
        np.testing.assert_allclose(grp["U_a"], ua, atol=1e-15)
        np.testing.assert_allclose(grp["U_b"], ub, atol=1e-15)
        np.testing.assert_allclose(grp["C"], C, atol=1e-12)
        np.testing.assert_allclose(grp["D"], np.sqrt(C * T), atol=1e-12)


def test_lagging_obstacles(res) -> None:
    lag = res.lagging
    assert set(lag["rank"]) == {1, 2, 3}
    owner = res.subsystem_of_dimension
    assert (lag["dimension"].map(owner) == lag["lagging"]).all()
    # within each entity-period, obstacles are sorted and are the largest ones of that subsystem
    ind = res.obstacles.indicator
    for (e, per), g in lag.groupby(["entity", "period"]):
        assert list(g["obstacle"]) == sorted(g["obstacle"], reverse=True)
        sub = ind[
            (ind["entity"] == e)
            & (ind["period"] == per)
            & (ind["subsystem"].map(owner) == g["lagging"].iloc[0])
        ]
        np.testing.assert_allclose(sorted(sub["obstacle"], reverse=True)[:3], g["obstacle"], atol=1e-15)
        assert g["obstacle_lagging"].iloc[0] == pytest.approx(sub["obstacle"].sum())
        # top dimension = largest summed obstacle degree over all dimensions
        row = res.obstacles.subsystem
        r = row[(row["entity"] == e) & (row["period"] == per)].drop(columns=["entity", "period"]).iloc[0]
        assert g["top_dimension"].iloc[0] == r.idxmax()


def test_latest_one_row_per_entity(res) -> None:
    L = res.latest()
    assert len(L) == 3 and (L["period"] == 2022).all()
    p = res.pairs[res.pairs["period"] == 2022]
    for _, r in L.iterrows():
        pe = p[p["entity"] == r["entity"]]
        assert r["weakest_pair_D"] == pytest.approx(pe["D"].min())
    json.dumps(res.to_dict(), allow_nan=False)


def test_user_mapping_and_top_k() -> None:
    X = example_panel()
    subs = {
        "cbec": {"C1": "+", "C3": "+"},
        "cluster": {"K1": "+", "K5": "+"},
        "factors_products": {"F3": "+", "F6": "+"},
        "environment": {"E1": "+", "E6": "-"},
    }
    r = four_subsystem_coordination(X, subsystems=subs, weights="equal", top_k=1)
    assert set(r.lagging["rank"]) == {1}
    assert r.pairs["pair"].nunique() == 6
    assert set(r.lagging["dimension"]) <= set(subs)
    with pytest.raises(SpecError):
        four_subsystem_coordination(X, subsystems={"cbec": {"C1": "+"}})
    with pytest.raises(SpecError):
        four_subsystem_coordination(X, top_k=0)
