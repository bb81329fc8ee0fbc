"""The Word view of a :class:`~cbeclab.render.document.Document` (python-docx).

What a Chinese journal or a briefing wants pasted in: numbered three-line tables (三线表: a heavy rule
above the header, a thin rule under it, a heavy rule under the body; no vertical rules) with the
caption above, figures as PNG images with the caption below, notes in small type, and running text
(methods, interpretation). East Asian text is set in a CJK font (``w:eastAsia`` of the run fonts:
Noto Serif CJK SC for text, Noto Sans CJK SC for headings and tables), Latin text in Times New Roman.
Long tables show the first rows and say where the full table is, as the HTML view does.
"""

from __future__ import annotations

import io
import os
from typing import Any

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from cbeclab.io.atomic import atomic_write_bytes
from cbeclab.render.document import Banner, Bullets, Document, Figure, Paragraph, Table

__all__ = ["CJK_SANS", "CJK_SERIF", "docx_bytes", "render_docx"]

CJK_SERIF = "Noto Serif CJK SC"
CJK_SANS = "Noto Sans CJK SC"
LATIN = "Times New Roman"


def _set_fonts(style_or_run: Any, latin: str, east_asia: str, size: float | None = None) -> None:
    font = style_or_run.font
    font.name = latin
    if size is not None:
        font.size = Pt(size)
    el = style_or_run.element
    rpr = el.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]


def _border(tag: str, sz: int) -> Any:
    el = OxmlElement(tag)
    if sz:
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(sz))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    else:
        el.set(qn("w:val"), "nil")
    return el


def _three_line(table: Any) -> None:
    """Table borders: heavy top and bottom (1.5 pt), none inside; thin rule under the header row."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for tag, sz in (("top", 12), ("left", 0), ("bottom", 12), ("right", 0), ("insideH", 0), ("insideV", 0)):
        borders.append(_border(f"w:{tag}", sz))
    tbl_pr.append(borders)
    for cell in table.rows[0].cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        tcb = OxmlElement("w:tcBorders")
        tcb.append(_border("w:top", 12))
        tcb.append(_border("w:bottom", 6))
        tc_pr.append(tcb)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _para(
    d: Any,
    text: str,
    *,
    size: float = 10.5,
    bold: bool = False,
    italic: bool = False,
    align: Any = None,
    indent: bool = False,
    colour: RGBColor | None = None,
) -> Any:
    p = d.add_paragraph()
    run = p.add_run(text)
    run.bold = bold
    run.italic = italic
    run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    return p


def _cite(par: Any, b: Paragraph) -> None:
    """Append the literature reference of ``b`` in its frame; the reference run is marked English.

    Word then checks its spelling as English, and :mod:`cbeclab.i18n.check` reads it as text that is
    English on purpose (as ``<cite lang="en">`` in the HTML view).
    """
    size = par.runs[0].font.size if par.runs else None
    before, _sep, after = b.cite_frame.partition("{source}")
    for text, english in ((" " + before, False), (b.cite, True), (after, False)):
        if not text.strip():
            continue
        run = par.add_run(text)
        run.font.size = size
        if english:
            lang = OxmlElement("w:lang")
            lang.set(qn("w:val"), "en-US")
            run.element.get_or_add_rPr().append(lang)


def _table(d: Any, doc: Document, t: Table) -> None:
    cap = _para(d, doc.caption(t), size=10.5, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    cap.style = d.styles["Caption"]
    cap.paragraph_format.keep_with_next = True
    cols = t.resolved_cols()
    rows = t.text_rows(t.max_rows)
    table = d.add_table(rows=1 + len(rows), cols=max(len(cols), 1))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = 9 if len(cols) <= 8 else 7.5
    for j, c in enumerate(cols):
        cell = table.rows[0].cells[j]
        cell.text = ""
        r = cell.paragraphs[0].add_run(c.header(doc.lang))
        r.bold = True
        r.font.size = Pt(size)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _repeat_header(table.rows[0])
    for i, cells in enumerate(rows, start=1):
        row = table.rows[i].cells
        for j, (c, text) in enumerate(zip(cols, cells)):
            row[j].text = ""
            par = row[j].paragraphs[0]
            par.add_run(text).font.size = Pt(size)
            if c.fmt != "text":
                par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _three_line(table)
    for n in doc.table_notes(t):
        _para(d, n, size=9, colour=RGBColor(0x44, 0x4B, 0x58))


def _figure(d: Any, doc: Document, f: Figure) -> None:
    png = f.chart.to_png(scale=2.0)
    d.add_picture(io.BytesIO(png), width=Cm(15))
    d.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap = _para(d, doc.caption(f), size=10.5, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    cap.style = d.styles["Caption"]
    notes = list(f.notes) + ([str(f.chart.note)] if getattr(f.chart, "note", None) else [])
    for n in notes:
        _para(d, n, size=9, colour=RGBColor(0x44, 0x4B, 0x58))


def _styles(d: Any) -> None:
    _set_fonts(d.styles["Normal"], LATIN, CJK_SERIF, 10.5)
    for name in ("Title", "Heading 1", "Heading 2", "Caption"):
        st = d.styles[name]
        _set_fonts(st, LATIN, CJK_SANS)
        st.font.color.rgb = RGBColor(0, 0, 0)
    d.styles["Caption"].font.size = Pt(10.5)
    d.styles["Caption"].font.italic = False
    for sec in d.sections:
        sec.left_margin = sec.right_margin = Cm(2.2)


def docx_bytes(doc: Document) -> bytes:
    """The Word document of ``doc`` as bytes."""
    d = new_docx()
    _styles(d)
    d.core_properties.title = doc.title
    d.core_properties.language = "zh-CN" if doc.lang == "zh" else "en"
    d.add_heading(doc.title, level=0)
    if doc.subtitle:
        _para(d, doc.subtitle, size=10)
    for banner in doc.banners:
        _para(d, banner.text, size=10, bold=banner.level == "warning")
    for s in doc.sections:
        if not any(not isinstance(b, Table) or "docx" in b.views for b in s.blocks):
            continue
        d.add_heading(s.title, level=1)
        if s.intro:
            _para(d, s.intro, size=10, colour=RGBColor(0x44, 0x4B, 0x58))
        for b in s.blocks:
            if isinstance(b, Table):
                if "docx" in b.views:
                    _table(d, doc, b)
            elif isinstance(b, Figure):
                _figure(d, doc, b)
            elif isinstance(b, Paragraph):
                par = _para(d, b.text, indent=b.kind == "interpretation")
                if b.cite:
                    _cite(par, b)
            elif isinstance(b, Bullets):
                if b.heading:
                    d.add_heading(b.heading, level=2)
                for item in b.items:
                    d.add_paragraph(item, style="List Bullet")
            elif isinstance(b, Banner):
                _para(d, b.text, size=10, bold=b.level == "warning")
    if doc.footer:
        _para(d, doc.footer, size=9, colour=RGBColor(0x66, 0x66, 0x66))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def render_docx(doc: Document, path: str | os.PathLike[str]) -> None:
    """Write the Word view of ``doc`` to ``path`` atomically."""
    atomic_write_bytes(path, docx_bytes(doc))
