"""Presentation: HTML pages, SVG charts, XLSX and JSON writers (never computes)."""

from cbeclab.render.charts import bar_chart_svg, line_chart_svg
from cbeclab.render.html import Section, esc, html_page, kv_table_html, table_html
from cbeclab.render.jsonout import records, to_jsonable, write_json
from cbeclab.render.xlsx import write_xlsx

__all__ = [
    "Section",
    "bar_chart_svg",
    "esc",
    "html_page",
    "kv_table_html",
    "line_chart_svg",
    "records",
    "table_html",
    "to_jsonable",
    "write_json",
    "write_xlsx",
]
