"""A stand-alone HTML page of charts (offline: the Vega libraries are inlined), for review and tests.

Reports get their pages from the document model in :mod:`cbeclab.render`; this page only lists
charts with their captions and notes, e.g. to look at every chart of a run at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from cbeclab.render.charts.base import Chart, vendored_scripts

__all__ = ["charts_page"]


def charts_page(charts: Sequence[Chart], title: str, lang: str = "en") -> str:
    """HTML document with every chart as a numbered figure (caption above, note below)."""
    scripts = "".join(f"<script>/* {escape(n)} */{js}</script>" for n, js in vendored_scripts())
    figs = []
    for i, c in enumerate(charts, 1):
        note = f'<p class="note">{escape(c.note)}</p>' if c.note else ""
        figs.append(
            f'<figure id="fig-{i}"><figcaption>{i}. {escape(c.title)}</figcaption>{c.html(f"chart-{i}")}{note}'
            "</figure>"
        )
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        "<style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:24px;color:#222}"
        "figure{margin:0 0 28px 0}figcaption{font-weight:600;margin-bottom:6px}"
        ".note{font-size:13px;color:#555;max-width:60em}.chart-svg svg{max-width:100%;height:auto}</style>"
        f"{scripts}</head><body><h1>{escape(title)}</h1>{''.join(figs)}</body></html>"
    )
