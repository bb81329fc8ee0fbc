import json

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from cbeclab.render import Banner, Document, Section, Table, render_html, write_json, write_xlsx
from cbeclab.render.charts import line_chart_svg


def test_table_escapes_cells_and_headers() -> None:
    df = pd.DataFrame({"<b>": ["<script>alert(1)</script>"], "x": [0.5]})
    doc = Document("t", "en", (Section("s", "S", (Table("t", "a & b", df),)),))
    out = render_html(doc)
    assert "<script>" not in out
    assert "&lt;script&gt;" in out and "&lt;b&gt;" in out and "a &amp; b" in out
    assert ">0.500<" in out


def test_page_is_self_contained_and_escaped() -> None:
    doc = Document("T <1>", "zh", (Section("s", 'S "q"', (Banner("<w>"),)),), banners=(Banner("<w2>"),))
    page = render_html(doc)
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert "T &lt;1&gt;" in page and "&lt;w&gt;" in page and "&lt;w2&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_line_chart_escapes_names_and_handles_nan() -> None:
    svg = line_chart_svg({"<a>": [(2010, 0.1), (2011, float("nan")), (2012, 0.3)]}, title="t")
    assert svg.startswith("<svg") and "&lt;a&gt;" in svg and "<a>" not in svg


def test_write_json_nan_to_null(tmp_path) -> None:
    p = tmp_path / "r.json"
    write_json(p, {"a": np.float64("nan"), "b": pd.DataFrame({"x": [1, 2]}), "c": "中文"})
    data = json.loads(p.read_text(encoding="utf-8"))
    assert data == {"a": None, "b": [{"x": 1}, {"x": 2}], "c": "中文"}


def test_write_xlsx_neutralises_formulas(tmp_path) -> None:
    p = tmp_path / "r.xlsx"
    write_xlsx(p, {"a/b": pd.DataFrame({"v": ["=1+1", "ok"]}), "a_b": pd.DataFrame({"v": [1]})})
    wb = load_workbook(p)
    assert wb.sheetnames == ["a_b", "a_b_1"]
    assert wb["a_b"]["A2"].value == "'=1+1"


def test_write_xlsx_splits_long_tables_without_losing_rows(tmp_path) -> None:
    p = tmp_path / "long.xlsx"
    write_xlsx(p, {"t": pd.DataFrame({"v": range(7)}), "empty": pd.DataFrame({"v": []})}, max_rows=3)
    wb = load_workbook(p)
    assert wb.sheetnames == ["t", "t_2", "t_3", "empty"]
    values = [c.value for name in ("t", "t_2", "t_3") for c in wb[name]["A"][1:]]
    assert values == list(range(7))
