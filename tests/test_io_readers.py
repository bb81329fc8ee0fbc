"""read_table: encodings, delimiters, thousands separators, XLSX, SPSS, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.errors import DataError
from cbeclab.io.readers import read_table, to_number

CN = "产业集群,年份,出口额（万美元）,进口额\n纺织服装,2010,655395,151221\n美妆日化,2010,33484,45877\n"


@pytest.mark.parametrize(
    ("codec", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_encoding_round_trip_chinese_headers(tmp_path: Path, codec: str, expected: str) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(CN.encode(codec))
    df = read_table(p)
    assert df.columns.tolist() == ["产业集群", "年份", "出口额（万美元）", "进口额"]
    assert df.attrs["encoding"] == expected
    assert df["产业集群"].tolist() == ["纺织服装", "美妆日化"]
    assert df["出口额（万美元）"].tolist() == [655395, 33484]
    assert pd.api.types.is_numeric_dtype(df["年份"])


def test_explicit_wrong_encoding_is_data_error(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_bytes(CN.encode("gbk"))
    with pytest.raises(DataError) as ei:
        read_table(p, encoding="utf-8")
    assert "t.csv" in str(ei.value) and "Fix:" in str(ei.value)


@pytest.mark.parametrize("delim", [",", "\t", ";"])
def test_delimiter_sniffing(tmp_path: Path, delim: str) -> None:
    p = tmp_path / "t.csv"
    p.write_text(f"a{delim} b {delim}c\n1{delim}2{delim}3\n4{delim}5{delim}6\n", encoding="utf-8")
    df = read_table(p)
    assert df.attrs["delimiter"] == delim
    assert df.columns.tolist() == ["a", "b", "c"]  # header whitespace stripped
    assert df["b"].tolist() == [2, 5]


def test_thousands_separators_in_quoted_cells(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text('year,x,label\n2010,"1,234","a,b"\n2011,"12,345.5",c\n', encoding="utf-8")
    df = read_table(p)
    assert df["x"].tolist() == [1234.0, 12345.5]
    assert df["label"].tolist() == ["a,b", "c"]  # not a number: kept as text


def test_mixed_column_stays_text(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("x\n1\nabc\n", encoding="utf-8")
    assert read_table(p)["x"].tolist() == ["1", "abc"]


def test_to_number_markers_and_bad_cells() -> None:
    num, bad = to_number(pd.Series(["1,234", " 5 ", "—", "abc", None, "1.5e3", "−2"], dtype=object))
    assert num.iloc[0] == 1234 and num.iloc[1] == 5 and num.iloc[5] == 1500 and num.iloc[6] == -2
    assert np.isnan(num.iloc[2]) and not bad.iloc[2]
    assert bad.tolist() == [False, False, False, True, False, False, False]


def test_dataframe_is_copied() -> None:
    df = pd.DataFrame({"a": [1]})
    out = read_table(df)
    out.loc[0, "a"] = 9
    assert df.loc[0, "a"] == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found") as ei:
        read_table(tmp_path / "nope.csv")
    assert "nope.csv" in str(ei.value) and ei.value.fix


def test_unknown_extension(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_text("{}")
    with pytest.raises(DataError, match="unknown file type") as ei:
        read_table(p)
    assert ".csv" in (ei.value.fix or "")


def test_old_xls_hint(tmp_path: Path) -> None:
    p = tmp_path / "t.xls"
    p.write_bytes(b"x")
    with pytest.raises(DataError, match="save as .xlsx"):
        read_table(p)


@pytest.mark.parametrize("content", [b"", b"   \n\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "e.csv"
    p.write_bytes(content)
    with pytest.raises(DataError, match="empty") as ei:
        read_table(p)
    assert "e.csv" in str(ei.value)


def test_header_only(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        read_table(p)


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_text("a\n" + "1\n" * 2000)
    with pytest.raises(DataError, match="limit") as ei:
        read_table(p, max_mb=0.001)
    assert "max_mb" in (ei.value.fix or "")
    assert len(read_table(p)) == 2000


def test_duplicate_headers_after_strip(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("a, a\n1,2\n")
    with pytest.raises(DataError, match="duplicate column") as ei:
        read_table(p)
    assert "row 1" in str(ei.value)


def test_xlsx_round_trip_by_name_and_index(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "说明"
    ws.append(["readme"])
    ws.append(["see sheet 数据"])
    ws2 = wb.create_sheet("数据")
    ws2.append([" 集群 ", "年份", "出口"])
    ws2.append(["纺织服装", 2010, 655395])
    ws2.append(["珠宝", 2010, "255,399"])
    wb.save(p)
    df = read_table(p, sheet="数据")
    assert df.columns.tolist() == ["集群", "年份", "出口"]
    assert df["出口"].tolist() == [655395, 255399]
    assert df.attrs["sheet"] == "数据"
    assert read_table(p, sheet=1).equals(df)
    assert read_table(p).columns.tolist() == ["readme"]


def test_xlsx_missing_sheet_lists_names(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sheet甲"
    ws.append(["a"])
    ws.append([1])
    wb.save(p)
    with pytest.raises(DataError, match="Sheet甲") as ei:
        read_table(p, sheet="data")
    assert "w.xlsx" in str(ei.value)
    with pytest.raises(DataError, match="out of range"):
        read_table(p, sheet=3)


def test_broken_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="cannot open the workbook"):
        read_table(p)


def test_sav_round_trip_with_labels(tmp_path: Path) -> None:
    import pyreadstat

    p = tmp_path / "s.sav"
    df = pd.DataFrame({"q1": [1.0, 2.0, 5.0], "gender": [1.0, 2.0, 1.0]})
    pyreadstat.write_sav(
        df,
        str(p),
        column_labels=["跨境电商平台使用程度", "性别"],
        variable_value_labels={"gender": {1.0: "男", 2.0: "女"}, "q1": {1.0: "非常不同意", 5.0: "非常同意"}},
    )
    out = read_table(p)
    assert out["q1"].tolist() == [1.0, 2.0, 5.0]
    assert out.attrs["column_labels"] == {"q1": "跨境电商平台使用程度", "gender": "性别"}
    assert out.attrs["value_labels"]["gender"] == {1: "男", 2: "女"}
    assert out.attrs["value_labels"]["q1"][5] == "非常同意"
    assert out.attrs["format"] == "sav"


def test_broken_sav(tmp_path: Path) -> None:
    p = tmp_path / "bad.sav"
    p.write_bytes(b"garbage")
    with pytest.raises(DataError, match="SPSS"):
        read_table(p)


def test_codes_with_leading_zeros_stay_text_and_empty_columns_dropped(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("code,year,x,\n001,2010,1,\n002,2010,2,\n", encoding="utf-8")
    df = read_table(p)
    assert df.columns.tolist() == ["code", "year", "x"]
    assert df["code"].tolist() == ["001", "002"]
