"""load_panel / Panel: validation messages, long↔wide, imputation by hand-worked values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cbeclab.errors import DataError
from cbeclab.io.panel import Panel, impute_interpolate, impute_linear, load_panel, panel_from_frame


def _wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster": ["a"] * 4 + ["b"] * 4,
            "year": [2010, 2011, 2012, 2013] * 2,
            "x": [2.0, 4.0, np.nan, 8.0, 1.0, np.nan, 2.0, 6.0],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0],
        }
    )


def _csv(tmp_path: Path, text: str, name: str = "p.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---- structure ------------------------------------------------------------------------------


def test_panel_structure_and_sorting() -> None:
    df = _wide().sample(frac=1.0, random_state=1)
    p = load_panel(df, entity="cluster", period="year")
    assert isinstance(p, Panel)
    assert p.data.index.names == ["cluster", "year"]
    assert p.data.index.is_monotonic_increasing
    assert p.indicators == ["x", "y"] and p.entities == ["a", "b"] and p.periods == [2010, 2011, 2012, 2013]
    assert all(pd.api.types.is_float_dtype(t) for t in p.data.dtypes)
    assert p.imputed.shape == p.data.shape and not p.imputed.to_numpy().any()
    assert p.missing[["entity", "period", "indicator"]].values.tolist() == [
        ["a", 2012, "x"],
        ["b", 2011, "x"],
    ]
    assert any("2 missing" in n for n in p.notes) and any("impute: linear" in n for n in p.notes)
    json.dumps(p.to_dict())


def test_long_wide_round_trip() -> None:
    p = load_panel(_wide(), entity="cluster", period="year")
    long = p.to_frame()
    assert long.columns.tolist() == ["entity", "period", "indicator", "value", "imputed"]
    assert len(long) == 16
    q = load_panel(
        long, entity="entity", period="period", layout="long", indicator_col="indicator", value_col="value"
    )
    np.testing.assert_array_equal(q.data.to_numpy(), p.data.to_numpy())
    assert q.indicators == p.indicators
    # indicator order follows `indicators` in long layout too
    r = load_panel(
        long,
        entity="entity",
        period="period",
        layout="long",
        indicator_col="indicator",
        value_col="value",
        indicators=["y", "x"],
    )
    assert r.indicators == ["y", "x"]


def test_long_needs_columns() -> None:
    with pytest.raises(DataError, match="indicator_col and value_col"):
        load_panel(_wide(), entity="cluster", period="year", layout="long")


def test_long_duplicates_listed() -> None:
    long = pd.DataFrame({"e": ["a", "a"], "t": [1, 1], "i": ["x", "x"], "v": [1, 2]})
    with pytest.raises(DataError, match="rows 2, 3"):
        load_panel(long, entity="e", period="t", layout="long", indicator_col="i", value_col="v")


def test_select_and_text_column_skipped() -> None:
    df = _wide().assign(name=["甲"] * 8)
    p = load_panel(df, entity="cluster", period="year")
    assert p.indicators == ["x", "y"]
    assert any("'name' skipped" in n for n in p.notes)
    assert p.select(["y"]).indicators == ["y"]
    with pytest.raises(DataError):
        p.select(["z"])


# ---- imputation (hand-worked) ------------------------------------------------------------------


def test_linear_trend_hand_values() -> None:
    p = load_panel(_wide(), entity="cluster", period="year", impute="linear")
    # a: y = 2,4,?,8 at t = 0..3 (shifted) lies on y = 2t + 2 → 6.0
    assert p.data.loc[("a", 2012), "x"] == pytest.approx(6.0)
    # b: observed (0,1), (2,2), (3,6): slope = 7 / (14/3) = 1.5, intercept 0.5 → t=1: 2.0
    assert p.data.loc[("b", 2011), "x"] == pytest.approx(2.0)
    assert p.imputed.loc[("b", 2011), "x"] and p.imputed.to_numpy().sum() == 2
    assert p.missing.shape[0] == 2  # the record of what was missing survives imputation
    p.require_complete()


def test_interpolate_hand_values() -> None:
    p = load_panel(_wide(), entity="cluster", period="year", impute="interpolate")
    assert p.data.loc[("a", 2012), "x"] == pytest.approx(6.0)
    assert p.data.loc[("b", 2011), "x"] == pytest.approx(1.5)  # halfway between 1 and 2


def test_interpolate_end_uses_trend() -> None:
    y = np.array([[np.nan, 2.0, 4.0, 5.0]])
    out = impute_interpolate(np.arange(4.0), y)
    # trend through (1,2),(2,4),(3,5): slope 1.5, intercept 2/3
    assert out[0, 0] == pytest.approx(2 / 3)
    assert impute_linear(np.arange(4.0), y)[0, 0] == pytest.approx(2 / 3)


def test_irregular_periods_use_period_values() -> None:
    df = pd.DataFrame({"e": ["a"] * 3, "t": [2010, 2011, 2015], "x": [1.0, np.nan, 5.0]})
    p = load_panel(df, entity="e", period="t", impute="interpolate")
    assert p.data.loc[("a", 2011), "x"] == pytest.approx(1.8)  # 1 + (5 - 1) * 1/5


def test_impute_needs_two_values() -> None:
    df = pd.DataFrame({"e": ["a"] * 3 + ["b"] * 3, "t": [1, 2, 3] * 2, "x": [1, None, None, 1, 2, 3]})
    with pytest.raises(DataError, match="fewer than 2") as ei:
        load_panel(df, entity="e", period="t", impute="linear")
    assert "a / x" in str(ei.value) and ei.value.fix


def test_absent_row_is_missing_cell() -> None:
    df = pd.DataFrame({"e": ["a", "a", "a", "b", "b"], "t": [1, 2, 3, 1, 3], "x": [1, 2, 3, 2, 6]})
    p = load_panel(df, entity="e", period="t", impute="linear")
    assert p.data.loc[("b", 2), "x"] == pytest.approx(4.0)
    assert any("had no row" in n for n in p.notes)


def test_require_complete_lists_cells_and_fix() -> None:
    p = load_panel(_wide(), entity="cluster", period="year")
    with pytest.raises(DataError) as ei:
        p.require_complete("spec.yaml data")
    msg = str(ei.value)
    assert "a / 2012 / x" in msg and "b / 2011 / x" in msg and "impute: linear" in msg
    assert msg.startswith("spec.yaml data")


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(-100, 100),
    b=st.floats(-10, 10),
    gaps=st.sets(st.integers(0, 7), max_size=5),
)
def test_linear_recovers_exact_lines(a: float, b: float, gaps: set[int]) -> None:
    t = np.arange(2000, 2008, dtype=float)
    y = a + b * (t - 2000)
    yy = y.copy()
    yy[list(gaps)] = np.nan
    np.testing.assert_allclose(impute_linear(t, yy[None, :])[0], y, atol=1e-8)
    np.testing.assert_allclose(impute_interpolate(t, yy[None, :])[0], y, atol=1e-8)


# ---- errors: each names file/row/column and a fix -----------------------------------------------------


def test_non_numeric_cell_row_and_column(tmp_path: Path) -> None:
    p = _csv(tmp_path, "cluster,year,x\na,2010,1\na,2011,abc\na,2012,3\n")
    with pytest.raises(DataError) as ei:
        load_panel(p, entity="cluster", period="year")
    msg = str(ei.value)
    assert "p.csv" in msg and "column 'x'" in msg and "row 3" in msg and "'abc'" in msg
    assert ei.value.fix and "number" in ei.value.fix


def test_duplicate_entity_period_rows(tmp_path: Path) -> None:
    p = _csv(tmp_path, "cluster,year,x\na,2010,1\nb,2010,2\na,2010,3\n")
    with pytest.raises(DataError, match=r"a / 2010: rows 2, 4") as ei:
        load_panel(p, entity="cluster", period="year")
    assert "p.csv" in str(ei.value) and ei.value.fix


def test_absent_indicator_suggests(tmp_path: Path) -> None:
    p = _csv(tmp_path, "cluster,year,exports,imports\na,2010,1,2\na,2011,2,3\n")
    with pytest.raises(DataError) as ei:
        load_panel(p, entity="cluster", period="year", indicators=["exprots"])
    msg = str(ei.value)
    assert "did you mean 'exports'" in msg and "['exports', 'imports']" in msg and "row 1" in msg


def test_missing_entity_column_suggests() -> None:
    with pytest.raises(DataError) as ei:
        load_panel(_wide(), entity="clustr", period="year")
    assert "'cluster'" in str(ei.value) and "entity" in (ei.value.fix or "")
    with pytest.raises(DataError, match="period column 'yr'"):
        load_panel(_wide(), entity="cluster", period="yr")


def test_constant_indicator() -> None:
    df = _wide().assign(z=5.0)
    with pytest.raises(DataError, match=r"\['z'\]") as ei:
        load_panel(df, entity="cluster", period="year")
    assert "allow_constant" in (ei.value.fix or "")
    p = load_panel(df, entity="cluster", period="year", allow_constant=True)
    assert "z" in p.indicators and any("constant" in n for n in p.notes)


def test_negative_values(tmp_path: Path) -> None:
    p = _csv(tmp_path, "cluster,year,x\na,2010,1\na,2011,-2\n")
    with pytest.raises(DataError) as ei:
        load_panel(p, entity="cluster", period="year", nonnegative=True)
    assert "row 3 column 'x': -2" in str(ei.value) and "nonnegative" in (ei.value.fix or "")
    assert load_panel(p, entity="cluster", period="year").data["x"].min() == -2


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2010", "2011"], [2010, 2011]),
        (["2010年", "2011年"], [2010, 2011]),
        (["2010-01", "2011-01"], [2010, 2011]),
        (["2010/1/1", "2011/1/1"], [2010, 2011]),
        ([2010.0, 2011.0], [2010, 2011]),
        (list(pd.to_datetime(["2010-01-01", "2011-01-01"])), [2010, 2011]),
    ],
)
def test_period_forms(values: list[object], expected: list[int]) -> None:
    df = pd.DataFrame({"e": ["a", "a"], "t": values, "x": [1.0, 2.0]})
    assert load_panel(df, entity="e", period="t").periods == expected


@pytest.mark.parametrize("bad", ["2010Q1", "twenty", 2010.5])
def test_unparseable_period(tmp_path: Path, bad: object) -> None:
    df = pd.DataFrame({"e": ["a", "a"], "t": [2010, bad], "x": [1.0, 2.0]})
    with pytest.raises(DataError) as ei:
        load_panel(df, entity="e", period="t", name="my.xlsx")
    msg = str(ei.value)
    assert "my.xlsx column 't'" in msg and "row 3" in msg and "2010年" in (ei.value.fix or "")


def test_dates_colliding_in_one_year() -> None:
    df = pd.DataFrame({"e": ["a", "a"], "t": ["2010-01", "2010-02"], "x": [1.0, 2.0]})
    with pytest.raises(DataError, match="read as years"):
        load_panel(df, entity="e", period="t")


def test_empty_entity_cell() -> None:
    df = pd.DataFrame({"e": ["a", None], "t": [2010, 2011], "x": [1.0, 2.0]})
    with pytest.raises(DataError, match="row 3"):
        load_panel(df, entity="e", period="t")


def test_gbk_csv_file_panel(tmp_path: Path) -> None:
    p = tmp_path / "集群.csv"
    p.write_bytes('集群,年份,出口\n纺织,2010年,"1,234"\n纺织,2011年,2000\n'.encode("gbk"))
    panel = load_panel(p, entity="集群", period="年份")
    assert panel.data.loc[("纺织", 2010), "出口"] == 1234.0
    assert panel.source.endswith("集群.csv")


def test_panel_from_frame_name() -> None:
    p = panel_from_frame(_wide(), entity="cluster", period="year", name="demo")
    assert p.source == "demo"


def test_constant_within_entity_is_noted() -> None:
    df = pd.DataFrame({"e": ["a", "a", "b", "b"], "t": [1, 2, 1, 2], "x": [3.0, 3.0, 1.0, 2.0]})
    p = load_panel(df, entity="e", period="t")
    assert any("constant within an entity (x in a)" in n for n in p.notes)
