"""Small dependency-free SVG charts (line and bar), kept only until every report uses :class:`Chart`.

Presentation only; all text is escaped. Colours follow a colour-blind-safe palette (Okabe–Ito).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from cbeclab.render.html import esc

__all__ = ["PALETTE", "line_chart_svg", "bar_chart_svg"]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    return ticks


def line_chart_svg(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str = "",
    y_label: str = "",
    y_range: tuple[float, float] | None = None,
    width: int = 460,
    height: int = 260,
    dashed: Sequence[str] = (),
    hline: float | None = None,
) -> str:
    """Line chart of named series of (x, y) points; NaN y breaks the line. Returns an ``<svg>`` string."""
    pts = [(x, y) for s in series.values() for x, y in s if y is not None and math.isfinite(y)]
    if not pts:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40"><text x="4" y="20">{esc(title)}: no data</text></svg>'
    xs = sorted({x for x, _ in pts})
    x_lo, x_hi = xs[0], xs[-1]
    if x_hi == x_lo:
        x_hi = x_lo + 1
    if y_range is None:
        y_lo = min(0.0, min(y for _, y in pts))
        y_hi = max(y for _, y in pts)
    else:
        y_lo, y_hi = y_range
    ticks = _nice_ticks(y_lo, y_hi)
    y_lo, y_hi = min(ticks[0], y_lo), max(ticks[-1], y_hi)
    ml, mr, mt, mb = 46, 12, 26, 52
    pw, ph = width - ml - mr, height - mt - mb

    def px(x: float) -> float:
        return ml + (x - x_lo) / (x_hi - x_lo) * pw

    def py(y: float) -> float:
        return mt + (1 - (y - y_lo) / (y_hi - y_lo)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}" font-size="10" font-family="sans-serif">',
        f'<text x="{ml}" y="14" font-size="12" font-weight="600">{esc(title)}</text>',
    ]
    for t in ticks:
        y = py(t)
        out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e8ee"/>')
        out.append(f'<text x="{ml - 4}" y="{y + 3:.1f}" text-anchor="end">{esc(f"{t:g}")}</text>')
    if hline is not None and y_lo <= hline <= y_hi:
        out.append(
            f'<line x1="{ml}" x2="{ml + pw}" y1="{py(hline):.1f}" y2="{py(hline):.1f}" stroke="#888" stroke-dasharray="2,2"/>'
        )
    step = max(1, math.ceil(len(xs) / 10))
    for x in xs[::step]:
        label = f"{x:g}" if isinstance(x, float | int) else str(x)
        out.append(f'<text x="{px(x):.1f}" y="{mt + ph + 13}" text-anchor="middle">{esc(label)}</text>')
    out.append(f'<line x1="{ml}" x2="{ml}" y1="{mt}" y2="{mt + ph}" stroke="#444"/>')
    out.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{mt + ph}" y2="{mt + ph}" stroke="#444"/>')
    if y_label:
        out.append(
            f'<text transform="translate(10,{mt + ph / 2:.0f}) rotate(-90)" text-anchor="middle">{esc(y_label)}</text>'
        )
    for i, (name, s) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        dash = ' stroke-dasharray="5,3"' if name in dashed else ""
        segs: list[list[str]] = [[]]
        for x, y in s:
            if y is None or not math.isfinite(y):
                segs.append([])
                continue
            segs[-1].append(f"{px(x):.1f},{py(y):.1f}")
        for seg in segs:
            if len(seg) > 1:
                out.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="1.8"{dash} points="{" ".join(seg)}"/>'
                )
            for p in seg:
                cx, cy = p.split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.2" fill="{colour}"/>')
        ly = height - 22 + 12 * (i // 4)
        lx = ml + (i % 4) * (pw / 4)
        out.append(f'<rect x="{lx:.0f}" y="{ly - 7}" width="10" height="3" fill="{colour}"/>')
        out.append(f'<text x="{lx + 13:.0f}" y="{ly}">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart_svg(
    values: Mapping[str, float],
    *,
    title: str = "",
    width: int = 460,
    bar_height: int = 16,
    x_range: tuple[float, float] | None = None,
) -> str:
    """Horizontal bar chart of named values (e.g. weights, obstacle shares, mode scores)."""
    items = [(k, float(v)) for k, v in values.items() if v is not None and math.isfinite(float(v))]
    ml, mr, mt = 150, 50, 24
    height = mt + bar_height * len(items) + 12
    lo = min([0.0] + [v for _, v in items]) if x_range is None else x_range[0]
    hi = max([1e-12] + [v for _, v in items]) if x_range is None else x_range[1]
    pw = width - ml - mr

    def px(v: float) -> float:
        return ml + (v - lo) / (hi - lo if hi > lo else 1.0) * pw

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}" font-size="10" font-family="sans-serif">',
        f'<text x="4" y="14" font-size="12" font-weight="600">{esc(title)}</text>',
    ]
    for i, (name, v) in enumerate(items):
        y = mt + i * bar_height
        x0, x1 = sorted((px(0.0 if lo <= 0 else lo), px(v)))
        out.append(f'<text x="{ml - 4}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">{esc(name)}</text>')
        out.append(
            f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 0.5):.1f}" height="{bar_height - 4}" '
            f'fill="{PALETTE[0] if v >= 0 else PALETTE[1]}"/>'
        )
        out.append(f'<text x="{x1 + 3:.1f}" y="{y + bar_height * 0.7:.1f}">{esc(f"{v:.3f}")}</text>')
    out.append("</svg>")
    return "".join(out)
