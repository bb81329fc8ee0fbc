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
import re
from collections.abc import Mapping
from typing import Any, Protocol
from xml.sax.saxutils import escape as xml_escape

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor

from cbeclab.io.atomic import atomic_write_bytes
from cbeclab.render.document import Banner, Bullets, Document, Figure, Paragraph, Table

__all__ = ["CJK_SANS", "CJK_SERIF", "docx_bytes", "render_docx"]

#: tables with more columns than this go on landscape pages (a portrait page squeezes them to strips)
WIDE_COLUMNS = 9
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
    p.paragraph_format.space_after = Pt(6)
    p.paragraph_format.line_spacing = 1.25
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


#: characters XML 1.0 cannot hold (control characters other than tab, newline, carriage return)
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_RULES = (("top", 12), ("left", 0), ("bottom", 12), ("right", 0), ("insideH", 0), ("insideV", 0))


def _border_xml(tag: str, sz: int) -> str:
    if sz:
        return f'<w:{tag} w:val="single" w:sz="{sz}" w:space="0" w:color="000000"/>'
    return f'<w:{tag} w:val="nil"/>'


def _run_xml(text: str, rpr: str) -> str:
    """One ``w:r`` of ``text`` (escaped; newlines as ``w:br``, tabs as ``w:tab``, as python-docx writes)."""
    parts = []
    for k, line in enumerate(_XML_BAD.sub("", text).split("\n")):
        if k:
            parts.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if chunk:
                parts.append(f'<w:t xml:space="preserve">{xml_escape(chunk)}</w:t>')
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


def _table_xml(head: list[str], rows: list[list[str]], right: list[bool], size: float, width: int) -> str:
    """A three-line table as one ``w:tbl`` element, written in one pass.

    The same XML python-docx's cell-by-cell calls produced (grid of equal columns over the text
    width, centred; header row repeated on each page, bold and centred, with a heavy rule above and
    a thin rule below; numbers right-aligned; heavy rules at the top and bottom, none inside), at a
    fraction of the cost for long tables. Cell paragraphs are single-spaced with 1 pt above and below
    (the document default of 10 pt after each paragraph made every row double height).
    """
    n = max(len(head), 1)
    col = width // n
    sz = f'<w:sz w:val="{round(size * 2)}"/>'
    tc_w = f'<w:tcW w:type="dxa" w:w="{col}"/>'
    head_borders = f"<w:tcBorders>{_border_xml('top', 12)}{_border_xml('bottom', 6)}</w:tcBorders>"
    out = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>"
        '<w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
        f"<w:tblBorders>{''.join(_border_xml(t, z) for t, z in _RULES)}</w:tblBorders>"
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
        'w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
        f'<w:gridCol w:w="{col}"/>' * n,
        '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>',
    ]
    head_rpr = f"<w:rPr><w:b/>{sz}</w:rPr>"
    tight = '<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/>'  # single-spaced cells
    for h in head or [""]:
        out.append(
            f"<w:tc><w:tcPr>{tc_w}{head_borders}</w:tcPr>"
            f'<w:p><w:pPr>{tight}<w:jc w:val="center"/></w:pPr>{_run_xml(h, head_rpr)}</w:p></w:tc>'
        )
    out.append("</w:tr>")
    cell_rpr = f"<w:rPr>{sz}</w:rPr>"
    ppr = [f'<w:pPr>{tight}<w:jc w:val="right"/></w:pPr>' if r else f"<w:pPr>{tight}</w:pPr>" for r in right]
    for cells in rows:
        out.append("<w:tr>")
        for j, text in enumerate(cells):
            out.append(f"<w:tc><w:tcPr>{tc_w}</w:tcPr><w:p>{ppr[j]}{_run_xml(text, cell_rpr)}</w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


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
    size = 9 if len(cols) <= 8 else 7.5
    xml = _table_xml(
        [c.header(doc.lang) for c in cols],
        t.shown_rows(),
        [c.fmt != "text" for c in cols],
        size,
        Emu(d._block_width).twips,
    )
    d.element.body._insert_tbl(parse_xml(xml))
    for n in doc.table_notes(t):
        _para(d, n, size=9, colour=RGBColor(0x44, 0x4B, 0x58))


def _orient(d: Any, landscape: bool) -> None:
    """Start a new section in landscape (or back in portrait) unless the current one already is."""
    cur = d.sections[-1]
    if (cur.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    sec = d.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    w, h = sec.page_width, sec.page_height
    if w is not None and h is not None and (w < h) == landscape:
        sec.page_width, sec.page_height = h, w


def _wide(block: Any) -> bool:
    return isinstance(block, Table) and len(block.cols()) > WIDE_COLUMNS


def _figure(d: Any, doc: Document, f: Figure, png: bytes | None = None) -> None:
    if png is None:
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
    # single-spaced, no space after: table cells stay one line high; running text gets its spacing in _para
    d.styles["Normal"].paragraph_format.space_after = Pt(0)
    d.styles["Normal"].paragraph_format.line_spacing = 1.0
    for name in ("Title", "Heading 1", "Heading 2", "Caption"):
        st = d.styles[name]
        _set_fonts(st, LATIN, CJK_SANS)
        st.font.color.rgb = RGBColor(0, 0, 0)
    d.styles["Caption"].font.size = Pt(10.5)
    d.styles["Caption"].font.italic = False
    for sec in d.sections:
        sec.left_margin = sec.right_margin = Cm(2.2)


class _PngSource(Protocol):
    def get(self, figure: Figure, default: None = None, /) -> bytes | None: ...


def docx_bytes(doc: Document, pngs: Mapping[Figure, bytes] | _PngSource | None = None) -> bytes:
    """The Word document of ``doc`` as bytes.

    ``pngs``: figures already drawn (by :class:`cbeclab.render.pngjobs.PngJobs`, at scale 2): a
    mapping, or :meth:`PngJobs.pending <cbeclab.render.pngjobs.PngJobs.pending>`, whose ``get`` waits
    for a figure still being drawn. The others are drawn here.
    """
    pngs = pngs or {}
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
        blocks = [b for b in s.blocks if not isinstance(b, Table) or "docx" in b.views]
        if not blocks:
            continue
        # the page turns for a wide table and back for the next narrow table or figure; the text
        # between stays on the page it follows (a section opening with a wide table starts landscape)
        first = next((b for b in blocks if isinstance(b, Table | Figure)), None)
        _orient(d, _wide(first))
        d.add_heading(s.title, level=1)
        if s.intro:
            _para(d, s.intro, size=10, colour=RGBColor(0x44, 0x4B, 0x58))
        for b in blocks:
            if isinstance(b, Table | Figure):
                _orient(d, _wide(b))
            if isinstance(b, Table):
                _table(d, doc, b)
            elif isinstance(b, Figure):
                _figure(d, doc, b, pngs.get(b))
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
