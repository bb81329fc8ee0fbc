"""Journal number conventions of cbeclab.render.numbers (values worked by hand)."""

import math

import numpy as np
import pytest

from cbeclab.render.numbers import (
    column_format,
    excel_format,
    fmt_p,
    fmt_value,
    header_with_unit,
    p_clause,
    star_legend,
    stars,
)


def test_three_decimals_by_default_and_configurable() -> None:
    assert fmt_value(0.4829216011898503) == "0.483"
    assert fmt_value(0.4829216011898503, "float", digits=2) == "0.48"
    assert fmt_value(-0.0001) == "0.000"  # no "-0.000"
    assert fmt_value(2.5, "float", 1) == "2.5"


def test_integers_print_as_integers() -> None:
    assert fmt_value(5.0) == "5"
    assert fmt_value(np.int64(2018)) == "2018"
    assert fmt_value(2018.0, "period") == "2018"
    assert fmt_value(3.0, "float") == "3.000"  # a float column keeps its decimals


def test_p_values() -> None:
    assert fmt_p(0.0) == "< 0.001"
    assert fmt_p(0.00099) == "< 0.001"
    assert fmt_p(0.001) == "0.001"
    assert fmt_p(0.0312) == "0.031"
    assert p_clause(0.0) == "< 0.001" and p_clause(0.2) == "= 0.200"
    assert fmt_value(1e-12, "p") == "< 0.001"


def test_money_thousands_separators() -> None:
    assert fmt_value(1234567.0, "money") == "1,234,567"
    assert fmt_value(12345.678, "money", 1) == "12,345.7"


def test_missing_and_containers_never_show_reprs() -> None:
    assert fmt_value(float("nan")) == "–" and fmt_value(None) == "–" and fmt_value(np.nan, "p") == "–"
    assert fmt_value({"Transition pain": "x"}) == "Transition pain: x"
    assert fmt_value([np.int64(1), 2.5]) == "1, 2.500"
    for v in (np.int64(7), np.float64(0.25), float("inf"), {"a": 1}, (1, 2)):
        text = fmt_value(v)
        assert "np." not in text and "nan" not in text and "{" not in text and "(" not in text


@pytest.mark.parametrize(
    ("p", "s"),
    [(0.0004, "***"), (0.001, "**"), (0.0099, "**"), (0.01, "*"), (0.049, "*"), (0.05, ""), (math.nan, "")],
)
def test_stars(p: float, s: str) -> None:
    assert stars(p) == s


def test_star_legend_and_units_in_both_languages() -> None:
    assert star_legend("en") == "*** p < 0.001, ** p < 0.01, * p < 0.05."
    assert "*** p < 0.001" in star_legend("zh")
    assert header_with_unit("进出口额", "万美元", "zh") == "进出口额（万美元）"
    assert header_with_unit("Trade", "10,000 USD", "en") == "Trade (10,000 USD)"
    assert header_with_unit("Trade", None, "en") == "Trade"


def test_column_and_excel_formats() -> None:
    assert column_format([1.0, 2.0, np.nan]) == "int"
    assert column_format([1.0, 2.5]) == "float"
    assert column_format(["a", None]) == "text"
    assert excel_format("float") == "0.000" and excel_format("p", 2) == "0.00"
    assert excel_format("int") == "0" and excel_format("money", 0) == "#,##0"
    assert excel_format("text") is None
    assert fmt_value(1873.4, "cell") == "1873.4" and fmt_value(6000.0, "cell") == "6000"
