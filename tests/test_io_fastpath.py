"""The quick routes of read_table / load_panel (issue 8) give what the general routes give.

Each tricky small CSV below is read twice: as read_table reads it (pyarrow fast path when the file is
a plain grid, read from the file's own bytes when they are LF-ended UTF-8) and through the general
csv-module path (the fast path switched off). Frames (values, dtypes, attrs), panels and error
messages must agree. The period parser's array route, the text-column probe of the numeric
conversion and the distinct-label grid are compared with their cell-by-cell forms the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import DataError
from cbeclab.io import readers
from cbeclab.io.panel import load_panel, parse_periods
from cbeclab.io.readers import read_table

_ROWS = "".join(f"E{i:04d},{2000 + i % 5},{i * 1.25},{i}\n" for i in range(40))
PLAIN = "entity,year,x,n\n" + _ROWS

#: name -> file bytes; every one is read by both routes
CASES: dict[str, bytes] = {
    "plain": PLAIN.encode(),
    "plain_no_final_newline": PLAIN.rstrip("\n").encode(),
    "crlf": PLAIN.replace("\n", "\r\n").encode(),
    "cr_only": PLAIN.replace("\n", "\r").encode(),
    "utf8_bom": PLAIN.encode("utf-8-sig"),
    "utf8_chinese": (
        "产业集群,年份,出口额（万美元）,进口额\n纺织服装,2010,655395,151221\n美妆日化,2010,33484,45877\n"
    ).encode(),
    "gbk": (
        "产业集群,年份,出口额（万美元）,进口额\n纺织服装,2010,655395,151221\n美妆日化,2011,33484,45877\n"
    ).encode("gbk"),
    "bom_then_gbk": b"\xef\xbb\xbf" + "地区,年份,值\n北京,2010,1\n上海,2010,2\n".encode("gbk"),
    "leading_zero_codes": b"code,year,v\n007,2010,1\n012,2011,2\n100,2012,3\n",
    "leading_zero_late": b"code,year,v\n"
    + b"".join(b"%d,2010,1\n" % (i + 1) for i in range(30))
    + b"007,2011,2\n",
    "leading_zero_quoted": b'code,year,v\n"007",2010,1\n"12",2011,2\n',
    "signed_zero_codes": b"code,year,v\n-007,2010,1\n+012,2011,2\n00.5,2012,3\n0.5,2013,4\n",
    "non_finite": b"e,year,v,w\na,2010,nan,1\nb,2011,inf,-inf\nc,2012,NaN,Infinity\n",
    "spaces_around": b"e,year,v\n a ,2010, 5 \nb,\t2011\t,6\n c,2012,7.5\n",
    "ideographic_space": "e,year,v\na,2010,\u30005\nb,2011,6\u3000\n".encode(),
    "blank_middle": b"e,year,v\na,2010,1\n\nb,2011,2\n",
    "spaces_line_middle": b"e,year,v\na,2010,1\n   \nb,2011,2\n",
    "tab_line_middle": b"e,year,v\na,2010,1\n\t \nb,2011,2\n",
    "blank_first": b"\ne,year,v\na,2010,1\nb,2011,2\n",
    "spaces_first": b"  \ne,year,v\na,2010,1\nb,2011,2\n",
    "blank_last_lines": b"e,year,v\na,2010,1\nb,2011,2\n\n\n",
    "spaces_last": b"e,year,v\na,2010,1\nb,2011,2\n  ",
    "quoted_line_break": b'e,year,note,v\na,2010,"two\nlines",1\nb,2011,"one",2\n',
    "quoted_blank_line": b'e,year,note,v\na,2010,"two\n\nlines",1\nb,2011,"one",2\n',
    "thousands": b'e,year,v\na,2010,"1,234"\nb,2011,"12,345.5"\nc,2012,7\n',
    "percent": b"e,year,v\na,2010,12%\nb,2011,3.5%\n",
    "percent_mixed": b"e,year,v\na,2010,12%\nb,2011,0.15\n",
    "missing_markers": "e,year,v,w\na,2010,—,1\nb,2011,na,2\nc,2012,5,…\nd,2013,,4\n".encode(),
    "full_width": "e,year,v\na,２０１０,１２\nb,2011,３.５\n".encode(),
    "minus_sign": "e,year,v\na,2010,\u22125\nb,2011,6\n".encode(),
    "decimal_comma_semicolon": b"e;year;v\na;2010;0,100\nb;2011;1,5\n",
    "ambiguous_comma_semicolon": b"e;year;v\na;2010;1,234\nb;2011;2,345\n",
    "tab_file": b"e\tyear\tv\na\t2010\t1.5\nb\t2011\t2\n",
    "title_and_footer": "广州市面板数据\ne,year,v\na,2010,1\nb,2011,2\n注：数据来源统计年鉴\n".encode(),
    "footer_note_only": b"e,year,v\na,2010,1\nb,2011,2\nNote: made up\n",
    "duplicate_header": b"e,year,v,v \na,2010,1,2\nb,2011,2,3\n",
    "duplicate_header_blank_line": b"e,year,v,v \na,2010,1,2\n\nb,2011,2,3\n",
    "duplicate_header_mixed_delims": b"e,year,v,v \na,2010,1,2\n\nb;2011;2;3\n",
    "mixed_delims": b"e,year,v\na,2010,1\nb;2011;2\n",
    "ragged_row": b"e,year,v\na,2010,1\nb,2011,2,9\n",
    "huge_ints": b"e,year,v,w\na,2010,9007199254740993,1\nb,2011,1,123456789012345678901234567890\n",
    "overflow": b"e,year,v\na,2010,1e400\nb,2011,2\n",
    "empty_cells": b"e,year,v,w\na,2010,,1\nb,2011,2,\nc,2012,3,4\n",
    "empty_column": b"e,year,v,\na,2010,1,\nb,2011,2,\n",
    "bools_and_dates": b"e,year,flag,day\na,2010,true,2010-01-02\nb,2011,false,2011-03-04\n",
    "year_text": "e,year,v\na,2010年,1\nb,2011-06,2\nc,2012/01/01,3\n".encode(),
    "float_years": b"e,year,v\na,2010.0,1\nb,2011.0,2\n",
    "bad_years": b"e,year,v\na,2010.5,1\nb,9999999999,2\nc,,3\nd,inf,4\n",
    "duplicate_rows": b"e,year,v\na,2010,1\na,2010,2\nb,2010,3\nb,2011,4\na,2011,5\n",
    "unbalanced": b"e,year,v\na,2010,1\na,2011,2\nb,2010,3\nb,2012,4\n",
    "one_data_row": b"e,year,v\na,2010,1\n",
    "header_only": b"e,year,v\n",
    "empty_entity": b"e,year,v\na,2010,1\n,2011,2\n",
    "text_indicator": b"e,year,v,label\na,2010,1,x\nb,2011,2,y\n",
    "negative_gaps": b"e,year,v,w\na,2010,1,-2\na,2011,,3\na,2012,3,-1\nb,2010,4,5\nb,2012,-6,7\n",
    "ascii_control_blank": b"\x1c\x1d \n",
    # numbers with missing cells (the arrow check of _numbers_with_gaps) and its near misses
    "gaps_markers": b"e,year,v,w\na,2010,,1.5\nb,2011,-,NA\nc,2012, 3.25 ,n/A\nd,2013,4,\t\n",
    "gaps_number_forms": b"e,year,v\na,2010,+3\nb,2011,1.\nc,2012,.5\nd,2013,1E+2\ne,2014,\n",
    "gaps_unicode_markers": "e,year,v\na,2010,—\nb,2011,…\nc,2012,2.5\nd,2013,缺失\n".encode(),
    "gaps_ideographic_blank": "e,year,v\na,2010,\u3000\nb,2011,2.5\nc,2012,\n".encode(),
    "gaps_control_blank": b"e,year,v\na,2010,\x1c\nb,2011,2.5\nc,2012,\n",
    "gaps_negative_zero": b"e,year,v,w\na,2010,-0,-0.0\nb,2011,,1.5\nc,2012,2,\n",
    "gaps_leading_zero": b"e,year,v\na,2010,007\nb,2011,\nc,2012,12\n",
    "gaps_overflow": b"e,year,v\na,2010,1e400\nb,2011,\nc,2012,2\n",
    "gaps_signed_nan": b"e,year,v,w\na,2010,+nan,-inf\nb,2011,,\nc,2012,2,3\n",
    "gaps_percent": b"e,year,v\na,2010,12%\nb,2011,-\nc,2012,3%\n",
    "gaps_thousands": b'e,year,v\na,2010,"1,234"\nb,2011,\nc,2012,7\n',
    "gaps_full_width": "e,year,v\na,2010,１２\nb,2011,\nc,2012,7\n".encode(),
    "gaps_text_cell": b"e,year,v\na,2010,x\nb,2011,\nc,2012,7\n",
    "gaps_all_missing": b"e,year,v,w\na,2010,,1\nb,2011,-,2\nc,2012,NA,3\n",
    "gaps_decimal_comma": b"e;year;v\na;2010;0,100\nb;2011;\nc;2012;1,5\n",
    "gaps_long_column": b"e,year,v\n"
    + b"".join(b"E%d,%d,%s\n" % (i, 2000 + i, b"" if i % 7 == 3 else b"%d.5" % i) for i in range(40)),
}


def _read(path: Path, **kw: Any) -> tuple[str, Any]:
    try:
        df = read_table(path, **kw)
    except DataError as exc:
        return "error", str(exc)
    return "frame", df


def _panel(path: Path) -> tuple[str, Any]:
    try:
        p = load_panel(path, entity=_entity_of(path), period="year" if _has_year(path) else "年份")
    except DataError as exc:
        return "error", str(exc)
    return "panel", p


def _entity_of(path: Path) -> str:
    df = read_table(path)
    return str(df.columns[0])


def _has_year(path: Path) -> bool:
    return "year" in read_table(path).columns


def _general(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the fast path off: every CSV goes through the csv-module reader."""
    monkeypatch.setattr(readers, "_read_csv_arrow", lambda *a, **k: None)


def _same_frame(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    # the one difference the routes have always had: the fast path's text columns come out of arrow
    # as pandas' string dtype, the general path's as object columns of the same str cells
    slow = slow.copy()
    for col in slow.columns:
        if isinstance(fast[col].dtype, pd.StringDtype) and slow[col].dtype == object:
            slow[col] = slow[col].astype(fast[col].dtype)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert list(fast.dtypes) == list(slow.dtypes)
    for col in fast.columns:  # assert_frame_equal takes -0.0 for 0.0
        if fast[col].dtype == np.float64:
            assert list(np.signbit(fast[col].to_numpy())) == list(np.signbit(slow[col].to_numpy())), col
    fa, sa = dict(fast.attrs), dict(slow.attrs)
    rows = sa.pop("rows", None)
    fast_rows = fa.pop("rows", None)
    if fast_rows is None and rows is not None:  # the fast path leaves the default numbering implicit
        assert rows == list(range(2, len(slow) + 2))
    else:
        assert fast_rows == rows
    assert fa == sa


@pytest.mark.parametrize("name", sorted(CASES))
def test_read_table_fast_route_equals_general_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CASES[name])
    fast = _read(path)
    with monkeypatch.context() as m:
        _general(m)
        slow = _read(path)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "error":
        assert fast[1] == slow[1]
    else:
        _same_frame(fast[1], slow[1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_load_panel_fast_route_equals_general_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CASES[name])
    if _read(path)[0] == "error":
        return  # read errors are compared above
    fast = _panel(path)
    with monkeypatch.context() as m:
        _general(m)
        # and every cell of a text column parsed (no probe)
        m.setattr(readers, "_TEXT_PROBE", 10**9)
        slow = _panel(path)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "error":
        assert fast[1] == slow[1]
        return
    a, b = fast[1], slow[1]
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    pd.testing.assert_frame_equal(a.imputed, b.imputed, check_exact=True)
    pd.testing.assert_frame_equal(a.missing, b.missing, check_exact=True)
    assert (a.notes, a.units, a.entity, a.period, a.source) == (
        b.notes,
        b.units,
        b.entity,
        b.period,
        b.source,
    )


def test_fast_route_is_taken_on_plain_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain file goes through the fast path, handed the file's own bytes (no re-encoded copy)."""
    path = tmp_path / "plain.csv"
    data = PLAIN.encode()
    path.write_bytes(data)
    seen: list[bytes] = []
    real = readers._read_csv_arrow

    def spy(buf: bytes, *a: Any) -> Any:
        seen.append(buf)
        return real(buf, *a)

    monkeypatch.setattr(readers, "_read_csv_arrow", spy)
    df = read_table(path)
    assert seen == [data]
    assert "rows" not in df.attrs  # the fast path's mark
    assert df["x"].dtype == np.float64 and df["n"].dtype == np.int64 and df["year"].dtype == np.int64


PERIOD_SERIES = [
    pd.Series([2010, 2011, 2012], dtype=np.int64),
    pd.Series([2010, 2011], dtype=np.int32),
    pd.Series([2010, 2011], dtype=np.uint16),
    pd.Series([2010, 10**9, -(10**9), 2**63 - 1, -(2**63)], dtype=np.int64),
    pd.Series([2**64 - 1, 2010], dtype=np.uint64),
    pd.Series([2010.0, 2011.0, -0.0], dtype=np.float64),
    pd.Series([2010.5, np.nan, np.inf, -np.inf, 1e9, 999999999.0, 2011.0], dtype=np.float64),
    pd.Series([2010.0, np.nan, 2011.5], dtype=np.float32),
    pd.Series(["2010", "2010年", "2011-01", " 2012 ", "2010", "x", None, "2010/1/1"], dtype=object),
    pd.Series([2010, 2010.0, True, "2011", pd.Timestamp("2012-05-01")], dtype=object),
]


@pytest.mark.parametrize("k", range(len(PERIOD_SERIES)))
def test_parse_periods_array_route_equals_cell_route(k: int) -> None:
    values = PERIOD_SERIES[k]
    rows = np.arange(len(values)) + 2

    def run(v: pd.Series) -> tuple[str, Any]:
        try:
            out, date_like = parse_periods(v, where="t.csv", column="year", rows=rows)
        except DataError as exc:
            return "error", str(exc)
        return "ok", (out.tolist(), str(out.dtype), date_like)

    as_objects = pd.Series(values.to_numpy(dtype=object), index=values.index, dtype=object)
    assert run(values) == run(as_objects)


def test_text_probe_agrees_with_full_parse() -> None:
    """A column is kept as text after the probe exactly when the full parse would keep it."""
    cols = {
        "names": [f"E{i:04d}" for i in range(40)],
        "late_text": [str(i) for i in range(39)] + ["x"],
        "early_text": ["x"] + [str(i) for i in range(39)],
        "percent_then_plain": ["12%"] * 20 + ["0.5"] * 20,
        "plain_then_percent": ["0.5"] * 20 + ["12%"] * 20,
        "markers": ["—", "na", None, ""] * 10,
        "numbers": [f"{i},000" if i else "1" for i in range(40)],
    }
    df = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    quick = readers._convert_numeric_columns(df.copy())
    saved = readers._TEXT_PROBE
    try:
        readers._TEXT_PROBE = 10**9
        full = readers._convert_numeric_columns(df.copy())
    finally:
        readers._TEXT_PROBE = saved
    pd.testing.assert_frame_equal(quick, full, check_exact=True)
    assert quick["numbers"].dtype == np.int64 and quick["names"].dtype != np.int64


_ASCII_TOKENS = [
    "1",
    "-2.5",
    "+3",
    ".5",
    "5.",
    "1e5",
    "1E-3",
    "007",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "na",
    "N/A",
    "null",
    "None",
    "-",
    "--",
    "...",
    "..",
    "",
    " ",
    "  7  ",
    "abc",
    "1e400",
    "1e",
    "e5",
    "0x10",
    "1_0",
    "+-1",
    "#N/A",
    "12345678901234567890123",
    "9007199254740993",
    "-0",
    "0.1000000000000000055511151231257827",
]


@pytest.mark.parametrize("seed", range(12))
def test_to_number_ascii_route_equals_cell_route(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Columns of ASCII cells (missing markers, numbers, text, None) parse the same by both routes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    pool = _ASCII_TOKENS if seed % 3 else ["1", "2.5", "", "-3", "na"]  # some columns all numbers
    cells = [None if rng.random() < 0.1 else pool[int(rng.integers(len(pool)))] for _ in range(n)]
    series = [
        pd.Series(cells, dtype=object, name="v"),
        pd.Series(cells, dtype="string", name="w", index=np.arange(n) * 3 + 1),
        pd.Series([None] * n, dtype=object),
    ]
    quick = [readers.to_number(s) for s in series]
    monkeypatch.setattr(readers, "_to_number_ascii", lambda text: None)
    for s, (num, bad) in zip(series, quick):
        ref_num, ref_bad = readers.to_number(s)
        pd.testing.assert_series_equal(num, ref_num, check_exact=True)
        pd.testing.assert_series_equal(bad, ref_bad, check_exact=True)


def test_numbers_with_gaps_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Missing cells become NaN and the column float, taken by the arrow check; near misses are not."""
    path = tmp_path / "gaps.csv"
    path.write_bytes(CASES["gaps_markers"])
    taken: list[bool] = []
    real = readers._numbers_with_gaps

    def spy(raw: Any) -> Any:
        out = real(raw)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(readers, "_numbers_with_gaps", spy)
    df = read_table(path)
    assert taken == [False, True, True]  # e (text: not taken), v and w; year casts without the check
    assert df["v"].dtype == np.float64 and df["w"].dtype == np.float64
    np.testing.assert_array_equal(df["v"].to_numpy(), [np.nan, np.nan, 3.25, 4.0])
    np.testing.assert_array_equal(df["w"].to_numpy(), [1.5, np.nan, np.nan, np.nan])
    path.write_bytes(CASES["gaps_number_forms"])
    np.testing.assert_array_equal(read_table(path)["v"].to_numpy(), [3.0, 1.0, 0.5, 100.0, np.nan])
    path.write_bytes(CASES["gaps_unicode_markers"])
    np.testing.assert_array_equal(read_table(path)["v"].to_numpy(), [np.nan, np.nan, 2.5, np.nan])
    taken.clear()
    path.write_bytes(CASES["gaps_negative_zero"])
    df = read_table(path)
    assert taken == [False, False, False]  # e, and v and w with "-0": left to the general path
    # pd.to_numeric drops the sign of "-0" among whole numbers (arrow's cast keeps it), keeps "-0.0"'s
    assert list(np.signbit(df["v"].to_numpy())) == [False, False, False]
    assert list(np.signbit(df["w"].to_numpy())) == [True, False, False]
    for name, kept in (("gaps_leading_zero", ["007", None, "12"]), ("gaps_text_cell", ["x", None, "7"])):
        path.write_bytes(CASES[name])
        assert _cells(read_table(path)["v"]) == kept
    path.write_bytes(CASES["gaps_overflow"])
    assert _cells(read_table(path)["v"]) == ["1e400", None, "2"]


def _cells(s: pd.Series) -> list[Any]:
    """A text column's cells, ``None`` for missing ones."""
    return [None if pd.isna(v) else v for v in s]


_GAP_TOKENS = ["", "", " ", "-", "NA", "na", "—", "…", "n/a", "\t", "2.5", "-1", "+3", ".5", "5.", "1e5", "7"]


@pytest.mark.parametrize("seed", range(10))
def test_csv_gaps_fast_route_equals_general_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """CSV columns of numbers, blanks and markers (and, in some, one odd cell) read the same by both routes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 80))
    odd = ["-0", "007", "1e400", "x", "12%", "１２", "0", "-0.0", "+nan", "\u30001"]
    columns = []
    for k in range(6):
        cells = [_GAP_TOKENS[int(rng.integers(len(_GAP_TOKENS)))] for _ in range(n)]
        if k % 2:
            cells[int(rng.integers(n))] = odd[int(rng.integers(len(odd)))]
        columns.append(cells)
    lines = ["e,year," + ",".join(f"v{k}" for k in range(6))]
    lines += [f"E{i},{2000 + i}," + ",".join(c[i] for c in columns) for i in range(n)]
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = _read(path)
    with monkeypatch.context() as m:
        _general(m)
        slow = _read(path)
    assert fast[0] == slow[0] == "frame"
    _same_frame(fast[1], slow[1])
