"""The three views of one Document: numbering, three-line tables, XLSX formats, DOCX structure."""

from __future__ import annotations

import io

import pandas as pd
from docx import Document as open_docx
from docx.oxml.ns import qn
from openpyxl import load_workbook

from cbeclab.render import Column, Document, Figure, Paragraph, Section, Table, render_html
from cbeclab.render.charts import Chart, bar_chart_svg
from cbeclab.render.docx import docx_bytes
from cbeclab.render.xlsx import render_xlsx, xlsx_bytes


def _doc(lang: str = "en", rows: int = 3) -> Document:
    df = pd.DataFrame(
        {
            "name": ["=cmd()", "b", "c"][:rows] + [f"r{i}" for i in range(max(rows - 3, 0))],
            "value": [0.48292, 1.5, 2.0][:rows] + [0.1] * max(rows - 3, 0),
            "p": [0.0, 0.0312, 0.2][:rows] + [0.5] * max(rows - 3, 0),
            "n": [5, 6, 7][:rows] + [1] * max(rows - 3, 0),
        }
    )
    t1 = Table(
        "t1",
        "Results",
        df,
        (
            Column("name", "Name", fmt="text"),
            Column("value", "Trade", unit="万美元" if lang == "zh" else "10,000 USD", fmt="float"),
            Column("p", "p", fmt="p"),
            Column("n", "n", fmt="int"),
        ),
        notes=("a note",),
        significance=True,
        sheet="Results",
        max_rows=2,
    )
    t2 = Table("t2", "Second <table>", pd.DataFrame({"x": [1.25]}), sheet="Second")
    hidden = Table(
        "t3", "Appendix", pd.DataFrame({"y": [1]}), sheet="Appendix", numbered=False, views=("xlsx",)
    )
    fig = Figure("f1", Chart("bars", "Bars", "svg", svg=bar_chart_svg({"a": 0.5, "b": 0.25})))
    return Document(
        "Report",
        lang,
        (
            Section("s1", "One", (t1, Paragraph("Reading of table 1.", "interpretation"), fig)),
            Section("s2", "Two", (t2, hidden)),
        ),
        files={"xlsx": "result.xlsx"},
    )


def test_numbering_and_captions_in_both_languages() -> None:
    en, zh = _doc("en"), _doc("zh")
    t1, t2 = en.tables()[:2]
    assert en.caption(t1) == "Table 1  Results" and en.caption(t2) == "Table 2  Second <table>"
    assert zh.caption(zh.tables()[0]) == "表1  Results"
    assert en.caption(en.figures()[0]) == "Figure 1  Bars" and zh.caption(zh.figures()[0]) == "图1  Bars"
    assert en.label(en.tables()[2]) is None  # appendix tables are not numbered


def test_html_three_line_table_truncation_and_escaping() -> None:
    page = render_html(_doc("en"))
    assert page.count('<table class="tl">') == 2  # the xlsx-only table is not on the page
    assert "Table 1  Results" in page and "Table 2  Second &lt;table&gt;" in page
    assert "<th>Trade (10,000 USD)</th>" in page
    assert ">0.483<" in page and ">&lt; 0.001<" in page and ">5<" in page and ">1.500<" in page
    assert "First 2 of 3 rows shown" in page and "sheet &quot;Results&quot; of result.xlsx" in page
    assert "*** p &lt; 0.001, ** p &lt; 0.01, * p &lt; 0.05." in page
    assert 'class="interp"' in page and "<svg" in page and "Figure 1  Bars" in page
    assert "overflow-x:auto" in page  # wide tables scroll instead of being cut
    zh = render_html(_doc("zh"))
    assert "<th>Trade（万美元）</th>" in zh and "仅显示 3 行中的前 2 行" in zh


def test_xlsx_contents_formats_freeze_and_guard(tmp_path) -> None:
    path = tmp_path / "r.xlsx"
    render_xlsx(_doc("zh"), path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["目录", "Results", "Second", "Appendix"]
    contents = [[c.value for c in row] for row in wb["目录"].iter_rows(min_row=3, values_only=False)]
    assert contents[0][:4] == ["工作表", "表", "内容", "行数"]
    assert contents[1][:4] == ["Results", "表1", "Results", 3]  # every row in the workbook
    ws = wb["Results"]
    assert [c.value for c in ws[1]] == ["Name", "Trade（万美元）", "p", "n"]
    assert ws["A2"].value == "'=cmd()"  # formula injection defused
    assert ws["B2"].value == 0.48292 and ws["B2"].number_format == "0.000"  # a real number, shown to 3 dp
    assert ws["D2"].number_format == "0" and ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 10


def test_xlsx_splits_past_the_row_limit() -> None:
    data = xlsx_bytes(_doc("en", rows=7), max_rows=3)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:4] == ["Contents", "Results", "Results_2", "Results_3"]
    names = [c.value for s in ("Results", "Results_2", "Results_3") for c in wb[s]["A"][1:]]
    assert len(names) == 7


def _borders(tbl) -> dict[str, str]:
    el = tbl._tbl.tblPr.find(qn("w:tblBorders"))
    return {child.tag.split("}")[1]: child.get(qn("w:val")) for child in el}


def test_docx_three_line_tables_captions_images_and_cjk_font() -> None:
    d = open_docx(io.BytesIO(docx_bytes(_doc("zh"))))
    assert len(d.tables) == 2  # the xlsx-only table stays out
    b = _borders(d.tables[0])
    assert b["top"] == "single" and b["bottom"] == "single"
    assert b["insideH"] == "nil" and b["insideV"] == "nil" and b["left"] == "nil" and b["right"] == "nil"
    head_tc = d.tables[0].rows[0].cells[0]._tc.tcPr.find(qn("w:tcBorders"))
    assert head_tc.find(qn("w:bottom")).get(qn("w:val")) == "single"
    caps = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert caps == ["表1  Results", "图1  Bars", "表2  Second <table>"]
    assert len(d.inline_shapes) == 1
    assert [c.text for c in d.tables[0].rows[1].cells] == ["=cmd()", "0.483", "< 0.001", "5"]
    assert len(d.tables[0].rows) == 3  # header + the 2 shown rows; the note says where the rest is
    texts = [p.text for p in d.paragraphs]
    assert any("仅显示 3 行中的前 2 行" in t for t in texts)
    rfonts = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "Noto Serif CJK SC"
