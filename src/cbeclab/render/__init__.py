"""Presentation: one document model and its views (HTML, XLSX, DOCX), charts and JSON (never computes).

Build a :class:`Document` with a report builder (``render.engine_report.build_engine_document``,
``survey.report.build_survey_document``, ``diagnose.report.build_diagnosis_document``), then render it
with :func:`render_html` (a string), :func:`render_xlsx` or :func:`render_docx` (a file, atomically).
"""

from cbeclab.render.document import Banner, Bullets, Column, Document, Figure, Paragraph, Section, Table
from cbeclab.render.html import esc, render_html
from cbeclab.render.jsonout import records, to_jsonable, write_json
from cbeclab.render.xlsx import render_xlsx, write_xlsx

__all__ = [
    "Banner",
    "Bullets",
    "Column",
    "Document",
    "Figure",
    "Paragraph",
    "Section",
    "Table",
    "esc",
    "records",
    "render_docx",
    "render_html",
    "render_xlsx",
    "to_jsonable",
    "write_json",
    "write_xlsx",
]


def render_docx(doc: Document, path: str) -> None:
    """Write the Word view of ``doc`` (imports python-docx only when called)."""
    from cbeclab.render.docx import render_docx as _render_docx

    _render_docx(doc, path)
