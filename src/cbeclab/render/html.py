"""The HTML view of a :class:`~cbeclab.render.document.Document`: one self-contained, escaped page.

Presentation only (STYLE.md: render never computes). Tables are three-line tables (三线表: a rule above
and below the header, one below the body, no vertical rules) with numbered captions above them; wide
tables scroll sideways inside their own box instead of being cut at the page edge. Every value that
reaches the page goes through :func:`html.escape`; the page loads nothing from the network (vega-lite
charts bring their vendored scripts inline) and carries a Content-Security-Policy meta tag.
"""

from __future__ import annotations

import html
import re
from typing import Any

from cbeclab.i18n import _
from cbeclab.render.document import Banner, Bullets, Document, Figure, Paragraph, Section, Table

__all__ = ["esc", "render_html", "table_fragment", "CSS"]


def esc(value: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


CSS = """
:root{--fg:#1d2433;--muted:#5b6474;--line:#1d2433;--soft:#d9dee7;--accent:#1f6feb;--flag:#fff4cc;--bg:#fff}
*{box-sizing:border-box}body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",
system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0;line-height:1.55}
header{background:#0f2747;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c8d3e6;font-size:13px}main{padding:16px 32px;max-width:1280px}
nav{font-size:13px;margin:8px 0 16px;line-height:1.9}nav a{margin-right:14px;color:var(--accent);
text-decoration:none;white-space:nowrap}section{margin:28px 0}
h2{font-size:18px;border-bottom:2px solid var(--soft);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
p.intro,p.note{color:var(--muted);font-size:13px;margin:4px 0}
p.interp{font-size:14px;margin:6px 0 14px;text-indent:2em}p.method{font-size:13.5px;margin:6px 0}
.tl-wrap{overflow-x:auto;max-width:100%;margin:6px 0 4px}
table.tl{border-collapse:collapse;font-size:12.5px;border-top:2px solid var(--line);
border-bottom:2px solid var(--line);margin:0}
table.tl thead th{border-bottom:1px solid var(--line);font-weight:600;padding:4px 10px;text-align:center;
white-space:nowrap}table.tl td{padding:3px 10px;border:none;vertical-align:top}
td.txt{white-space:nowrap}td.long{min-width:14em;max-width:40em}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.flag{background:var(--flag)}
.caption{font-weight:600;font-size:13.5px;margin:14px 0 2px;text-align:left}
figure{margin:10px 18px 16px 0;display:inline-block;vertical-align:top;max-width:100%}figcaption{font-size:13px;font-weight:600;margin-top:4px}
.fig-body{max-width:100%;overflow-x:auto}.fig-body svg{max-width:100%;height:auto}
.warn{background:#fff4cc;border-left:4px solid #e0a800;padding:6px 10px;font-size:13px;margin:6px 0}
.info{background:#eef3fb;border-left:4px solid #7aa2e3;padding:6px 10px;font-size:13px;margin:6px 0}
ul{margin:4px 0 10px;padding-left:22px;font-size:13.5px}
footer{color:var(--muted);font-size:12px;padding:16px 32px}
"""


def table_fragment(doc: Document, t: Table) -> str:
    """One numbered three-line table with its notes (escaped HTML)."""
    cols = t.resolved_cols()
    head = "".join(f"<th>{esc(c.header(doc.lang))}</th>" for c in cols)
    masks = {k: list(m) for k, m in (t.highlight or {}).items()}
    pos = t.positions()
    rows: list[str] = []
    for i, cells in zip(pos, t.shown_rows()):
        tds = []
        for c, text in zip(cols, cells):
            cls = ["num"] if c.fmt != "text" else ["txt" if len(text) <= 14 else "long"]
            m = masks.get(c.key)
            if m is not None and i < len(m) and m[i]:
                cls.append("flag")
            attr = f' class="{" ".join(cls)}"' if cls else ""
            tds.append(f"<td{attr}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    note_html = "".join(f'<p class="note">{esc(n)}</p>' for n in doc.table_notes(t))
    return (
        f'<div class="table" id="{esc("t-" + t.key)}"><p class="caption">{esc(doc.caption(t))}</p>'
        f'<div class="tl-wrap"><table class="tl"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note_html}</div>"
    )


def _figure(doc: Document, f: Figure) -> str:
    chart = f.chart
    body = chart.html("fig-" + re.sub(r"[^A-Za-z0-9_-]", "-", f.key))
    notes = list(f.notes)
    if getattr(chart, "note", None):
        notes.append(str(chart.note))
    note_html = "".join(f'<p class="note">{esc(n)}</p>' for n in notes)
    return (
        f'<figure id="{esc("f-" + f.key)}"><div class="fig-body">{body}</div>'
        f"<figcaption>{esc(doc.caption(f))}</figcaption>{note_html}</figure>"
    )


def _block(doc: Document, b: Any) -> str:
    if isinstance(b, Table):
        return table_fragment(doc, b) if "html" in b.views else ""
    if isinstance(b, Figure):
        return _figure(doc, b)
    if isinstance(b, Paragraph):
        cls = {"interpretation": "interp", "method": "method"}.get(b.kind, "text")
        ref = ""
        if b.cite:
            before, _sep, after = b.cite_frame.partition("{source}")
            ref = f' {esc(before)}<cite lang="en">{esc(b.cite)}</cite>{esc(after)}'
        return f'<p class="{cls}">{esc(b.text)}{ref}</p>'
    if isinstance(b, Bullets):
        head = f"<h3>{esc(b.heading)}</h3>" if b.heading else ""
        return head + "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in b.items) + "</ul>"
    if isinstance(b, Banner):
        return f'<p class="{"warn" if b.level == "warning" else "info"}">{esc(b.text)}</p>'
    raise TypeError(f"not a document block: {type(b).__name__}")


def _section(doc: Document, s: Section) -> str:
    intro = f'<p class="intro">{esc(s.intro)}</p>' if s.intro else ""
    inner = "".join(_block(doc, b) for b in s.blocks)
    if not inner:
        return ""
    return f'<section id="{esc(s.key)}"><h2>{esc(s.title)}</h2>{intro}{inner}</section>'


def _scripts(doc: Document) -> str:
    if not any(getattr(f.chart, "kind", "svg") == "vega-lite" for f in doc.figures()):
        return ""
    try:
        from cbeclab.render.charts import vendored_scripts  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - the charts package brings them
        return ""
    return "".join(f"<script>/* {esc(name)} */\n{js}</script>" for name, js in vendored_scripts())


def render_html(doc: Document) -> str:
    """The document as a complete HTML5 page (a string; write it with :mod:`cbeclab.io.atomic`)."""
    scripts = _scripts(doc)
    script_src = " script-src 'unsafe-inline' 'unsafe-eval';" if scripts else ""
    parts = [(s, _section(doc, s)) for s in doc.sections]
    shown = [(s, text) for s, text in parts if text]
    nav = " ".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s, _t in shown)  # spaces: the line wraps
    banners = "".join(_block(doc, b) for b in doc.banners)
    sub = f"<p>{esc(doc.subtitle)}</p>" if doc.subtitle else ""
    foot = f"<footer>{esc(doc.footer)}</footer>" if doc.footer else ""
    html_lang = "zh-CN" if doc.lang == "zh" else "en"
    contents = _("Contents", lang=doc.lang)
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src 'unsafe-inline'; img-src data:;{script_src}\">"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(doc.title)}</title>'
        f"<style>{CSS}</style>{scripts}</head><body><header><h1>{esc(doc.title)}</h1>{sub}</header>"
        f'<main><nav aria-label="{esc(contents)}">{nav}</nav>{banners}'
        f"{''.join(text for _s, text in shown)}</main>{foot}</body></html>"
    )
