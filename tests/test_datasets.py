"""Bundled seed 001 tables (spot values checked by hand against the paper, internal consistency,
the paper's own prose) and the synthetic generators."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from cbeclab.datasets import (
    CLUSTERS,
    guangzhou_demo_with_synthetic,
    guangzhou_totals,
    guangzhou_trade,
    synthetic_cluster_indicators,
    synthetic_large_panel,
    synthetic_panel,
)
from cbeclab.errors import CbecWarning
from cbeclab.frameworks import load_framework
from cbeclab.io import load_panel

# ---- Table 1 ------------------------------------------------------------------------------------


def test_totals_2022_warning_and_note() -> None:
    with pytest.warns(CbecWarning, match="2022") as rec:
        t = guangzhou_totals()
    assert len(rec) == 1
    assert "23,830" in str(rec[0].message)
    (note,) = t.attrs["notes"]
    assert "2022" in note and "17,945,204" in note and "17,921,374" in note
    row = t[t.year == 2022].iloc[0]
    assert (
        row["total"] == 17945204 and row["imports"] == 7967832 and row["exports"] == 9953542
    )  # kept as printed


def test_totals_spot_values_and_consistency() -> None:
    t = guangzhou_totals(warn=False)
    assert t["year"].tolist() == list(range(2010, 2023))
    assert t.attrs["unit"] == "10,000 USD" and t.attrs["table"] == "Table 1"
    assert any("seed 001" in h for h in t.attrs["header"])
    # hand-checked cells
    r = t.set_index("year")
    assert r.loc[2010, ["total", "imports", "exports"]].tolist() == [10376756, 5538894, 4837862]
    assert r.loc[2015, "exports"] == 8116727 and r.loc[2021, "total"] == 16745149
    assert r.loc[2019, "luggage_leather"] == 301188 and r.loc[2013, "jewelry"] == 806620
    assert r.loc[2022, list(CLUSTERS)].isna().all()
    # every row but 2022 adds up
    ok = r["imports"] + r["exports"] == r["total"]
    assert ok.drop(2022).all() and not ok[2022]


def test_totals_agree_with_paper_prose() -> None:
    """§2.1: deficits only in 2010 and 2011; total fell only in 2016, 2019 and 2020."""
    r = guangzhou_totals(warn=False).set_index("year")
    assert r.index[r["balance"] < 0].tolist() == [2010, 2011]
    falls = r["total"].diff() < 0
    assert r.index[falls].tolist() == [2016, 2019, 2020]


# ---- Table 2 ------------------------------------------------------------------------------------


def test_trade_shape_spot_values_and_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = guangzhou_trade()
    assert g.shape == (60, 6)
    assert g.columns.tolist() == ["cluster", "year", "exports", "imports", "total", "balance"]
    assert list(dict.fromkeys(g["cluster"])) == list(CLUSTERS)
    assert g.attrs["notes"] == [] and g.attrs["unit"] == "10,000 USD"
    r = g.set_index(["cluster", "year"])
    assert r.loc[("textile_clothing", 2010), ["imports", "exports"]].tolist() == [151221, 655395]
    assert r.loc[("jewelry", 2016), ["imports", "exports"]].tolist() == [324920, 488929]
    assert r.loc[("food_beverage", 2021), ["imports", "exports"]].tolist() == [357513, 64423]
    assert r.loc[("beauty_daily_chemical", 2018), ["imports", "exports"]].tolist() == [151832, 78516]
    assert r.loc[("luggage_leather", 2015), ["imports", "exports"]].tolist() == [58993, 308309]
    assert (g["total"] == g["imports"] + g["exports"]).all()
    assert (g["balance"] == g["exports"] - g["imports"]).all()


def test_trade_totals_equal_table1_cluster_sums() -> None:
    g = guangzhou_trade().set_index(["cluster", "year"])["total"]
    t = guangzhou_totals(warn=False).set_index("year")
    for c in CLUSTERS:
        for y in range(2010, 2022):
            assert g[(c, y)] == t.loc[y, c], (c, y)


def test_trade_agrees_with_paper_prose() -> None:
    """§2.1: textile and leather always in surplus, food always in deficit, jewelry deficit from 2019;
    food and beauty totals rise every year."""
    g = guangzhou_trade().set_index(["cluster", "year"])
    bal = g["balance"]
    assert (bal["textile_clothing"] > 0).all() and (bal["luggage_leather"] > 0).all()
    assert (bal["food_beverage"] < 0).all()
    jb = bal["jewelry"]
    assert (jb.loc[:2018] > 0).all() and (jb.loc[2019:] < 0).all()
    for c in ("food_beverage", "beauty_daily_chemical"):
        assert (g["total"][c].diff().dropna() > 0).all()


def test_trade_long_and_names_and_panel() -> None:
    long = guangzhou_trade("long")
    assert long.shape == (240, 4) and set(long["indicator"]) == {"exports", "imports", "total", "balance"}
    p = load_panel(
        long, entity="cluster", period="year", layout="long", indicator_col="indicator", value_col="value"
    )
    assert p.is_complete and p.periods == list(range(2010, 2022)) and len(p.entities) == 5
    zh = guangzhou_trade(lang="zh")
    assert set(zh["cluster"]) == {v[1] for v in CLUSTERS.values()}
    assert guangzhou_trade(lang="en")["cluster"].iloc[0] == "Textile and clothing"


# ---- synthetic ---------------------------------------------------------------------------------


def test_synthetic_panel_seeded_and_marked() -> None:
    a = synthetic_panel(4, 8, 3, seed=7)
    b = synthetic_panel(4, 8, 3, seed=7)
    c = synthetic_panel(4, 8, 3, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a[["X01", "X02", "X03"]], c[["X01", "X02", "X03"]])
    assert a.attrs["source"] == "synthetic" and a.attrs["synthetic"] is True
    assert a.columns.tolist() == ["entity", "period", "X01", "X02", "X03"]
    assert (a[["X01", "X02", "X03"]] > 0).all().all()
    p = load_panel(a, entity="entity", period="period")
    assert any("synthetic" in n for n in p.notes)


def test_synthetic_noiseless_is_geometric_and_directional() -> None:
    df = synthetic_panel(3, 6, {"up": "+", "down": "-"}, seed=2, noise=0.0, trend=0.1)
    for _, g in df.groupby("entity"):
        for col, sign in (("up", 1), ("down", -1)):
            ratio = g[col].to_numpy()[1:] / g[col].to_numpy()[:-1]
            np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
            assert np.sign(ratio[0] - 1) == sign and 0.05 - 1e-12 <= abs(ratio[0] - 1) <= 0.15 + 1e-12


def test_synthetic_missing_keeps_ends_and_imputes() -> None:
    df = synthetic_panel(20, 10, 4, seed=3, missing_rate=0.3, source_column=True)
    vals = df[["X01", "X02", "X03", "X04"]].to_numpy().reshape(20, 10, 4)
    assert not np.isnan(vals[:, [0, -1], :]).any()
    rate = np.isnan(vals[:, 1:-1, :]).mean()
    assert 0.2 < rate < 0.4
    p = load_panel(df, entity="entity", period="period", impute="linear")
    assert p.is_complete and p.imputed.to_numpy().sum() == np.isnan(vals).sum()
    assert any("synthetic" in n for n in p.notes)


def test_synthetic_from_framework() -> None:
    fw = load_framework("seed002")
    df = synthetic_panel(2, 5, fw, seed=0, noise=0.0)
    assert df.columns.tolist()[2:] == [i.id for i in fw.indicators()]
    e6 = df[df.entity == "E1"]["E6"].to_numpy()
    assert (np.diff(e6) < 0).all()  # cost indicator drifts down


def test_synthetic_cluster_indicators() -> None:
    df = synthetic_cluster_indicators(seed=0)
    ids = list(load_framework("seed001").subsystems()["industrial_cluster"])
    assert df.columns.tolist() == ["cluster", "year", *ids]
    assert df.shape == (65, 14) and df.attrs["source"] == "synthetic"
    assert set(df["cluster"]) == set(CLUSTERS) and df["year"].min() == 2010 and df["year"].max() == 2022
    num = df[ids]
    assert (num > 0).all().all()
    for c in ("B2", "B6"):  # the large counts are whole numbers; small ones stay unrounded (issue 12)
        assert (num[c] % 1 == 0).all()
    assert (df["B4"] < df["B1"]).all() and (df["B7"] < df["B1"]).all() and (df["B9"] < 100).all()
    for _, g in df.groupby("cluster"):
        assert g["B1"].iloc[-1] > g["B1"].iloc[0] and g["B8a"].iloc[-1] > g["B8a"].iloc[0]
    pd.testing.assert_frame_equal(df, synthetic_cluster_indicators(seed=0))
    load_panel(df, entity="cluster", period="year", nonnegative=True)


def test_demo_merge_marks_synthetic_columns() -> None:
    d = guangzhou_demo_with_synthetic(seed=0)
    assert d.shape == (60, 18)
    assert d.attrs["real_columns"] == ["exports", "imports", "total", "balance"]
    assert "B8b" in d.attrs["synthetic_columns"]
    p = load_panel(d, entity="cluster", period="year")
    assert any(n.startswith("synthetic columns") and "B1" in n for n in p.notes)
    np.testing.assert_array_equal(d["exports"].to_numpy(), guangzhou_trade()["exports"].to_numpy())


def test_synthetic_large_panel_fast() -> None:
    t0 = time.perf_counter()
    df = synthetic_large_panel()
    assert time.perf_counter() - t0 < 3.0
    assert df.shape == (60000, 42) and df.attrs["source"] == "synthetic"
    assert df["entity"].iloc[0] == "E0001" and df["period"].iloc[-1] == 2020
    assert sum(v == -1 for v in df.attrs["directions"].values()) == 8
    small = synthetic_large_panel(10, 5, 3, seed=1)
    assert small.shape == (50, 5) and np.isfinite(small[["X01", "X02", "X03"]].to_numpy()).all()
