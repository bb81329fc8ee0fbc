"""HTML building blocks shared by every report: escaped tables, sections, one self-contained page.

Presentation only (STYLE.md: render never computes). Every value that reaches the page goes through
:func:`html.escape`; the page carries no external resources (no CDN, works offline) and a strict
Content-Security-Policy meta tag.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Section", "esc", "fmt", "html_page", "table_html", "kv_table_html"]


def esc(value: Any) -> str:
    """Escape any value for HTML text or attribute context."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    """Format a cell: floats to ``digits`` significant decimals, NaN/None as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, int | np.integer):
        return str(int(value))  # ids and years: never thousands separators
    if isinstance(value, float | np.floating):
        f = float(value)
        if math.isnan(f):
            return "–"
        if abs(f) >= 1000:
            return f"{f:,.0f}" if f.is_integer() else f"{f:,.2f}"
        return f"{f:.{digits}f}"
    return str(value)


def table_html(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    digits: int = 4,
    index: bool = False,
    highlight: Mapping[str, Sequence[bool]] | None = None,
    max_rows: int = 2000,
) -> str:
    """Render ``df`` as an escaped HTML table.

    ``highlight`` maps a column name to a boolean mask; flagged cells get ``class="flag"``
    (used for imputed cells and threshold violations). Tables longer than ``max_rows`` are cut
    with a visible note (the full table is always in the JSON/XLSX output).
    """
    frame = df.reset_index() if index else df
    n_total = len(frame)
    frame = frame.head(max_rows)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows: list[str] = []
    masks = {c: list(m) for c, m in (highlight or {}).items()}
    for i, rec in enumerate(frame.itertuples(index=False, name=None)):
        cells = []
        for col, val in zip(frame.columns, rec):
            cls = ' class="num"' if isinstance(val, int | float) and not isinstance(val, bool) else ""
            if col in masks and i < len(masks[col]) and masks[col][i]:
                cls = ' class="num flag"'
            cells.append(f"<td{cls}>{esc(fmt(val, digits))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    note = ""
    if n_total > max_rows:
        note = f'<p class="note">{esc(f"first {max_rows} of {n_total} rows shown")}</p>'
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def kv_table_html(pairs: Iterable[tuple[str, Any]], caption: str | None = None) -> str:
    """Two-column key/value table."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(fmt(v))}</td></tr>" for k, v in pairs)
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f'<table class="kv">{cap}<tbody>{body}</tbody></table>'


@dataclass(frozen=True)
class Section:
    """A titled part of a page. ``body_html`` must already be escaped (built from the helpers here)."""

    title: str
    body_html: str
    anchor: str | None = None
    intro: str | None = None


_CSS = """
:root{--fg:#1d2433;--muted:#5b6474;--line:#d9dee7;--accent:#1f6feb;--flag:#fff4cc;--bg:#fff}
*{box-sizing:border-box}body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",
system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0;line-height:1.5}
header{background:#0f2747;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c8d3e6;font-size:13px}main{padding:16px 32px;max-width:1280px}
nav{font-size:13px;margin:8px 0 16px}nav a{margin-right:14px;color:var(--accent);text-decoration:none}
section{margin:26px 0}h2{font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}p.intro,p.note{color:var(--muted);font-size:13px}
table{border-collapse:collapse;font-size:12.5px;margin:8px 0 14px;min-width:30%}
caption{text-align:left;font-weight:600;padding:4px 0;font-size:13px}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}td.flag{background:var(--flag)}
table.kv th{width:14em}.charts{display:flex;flex-wrap:wrap;gap:14px}.charts figure{margin:0}
figcaption{font-size:12px;color:var(--muted)}.badge{display:inline-block;padding:1px 7px;border-radius:9px;
font-size:12px;background:#e8eefc;color:#1f4fb0}.warn{background:#fff4cc;border-left:4px solid #e0a800;
padding:6px 10px;font-size:13px}footer{color:var(--muted);font-size:12px;padding:16px 32px}
"""


def html_page(
    title: str,
    sections: Sequence[Section],
    lang: str = "en",
    *,
    subtitle: str | None = None,
    warnings: Sequence[str] = (),
    footer: str | None = None,
) -> str:
    """Assemble a complete, self-contained, escaped HTML5 page."""
    nav = "".join(f'<a href="#{esc(s.anchor or f"s{i}")}">{esc(s.title)}</a>' for i, s in enumerate(sections))
    parts = []
    for i, s in enumerate(sections):
        intro = f'<p class="intro">{esc(s.intro)}</p>' if s.intro else ""
        parts.append(
            f'<section id="{esc(s.anchor or f"s{i}")}"><h2>{esc(s.title)}</h2>{intro}{s.body_html}</section>'
        )
    warn = "".join(f'<p class="warn">{esc(w)}</p>' for w in warnings)
    sub = f"<p>{esc(subtitle)}</p>" if subtitle else ""
    foot = f"<footer>{esc(footer)}</footer>" if footer else ""
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{_CSS}</style></head><body><header><h1>{esc(title)}</h1>{sub}</header>"
        f"<main><nav>{nav}</nav>{warn}{''.join(parts)}</main>{foot}</body></html>"
    )
