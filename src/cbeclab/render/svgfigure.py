"""A chart object around a ready SVG string (the hand-written charts of :mod:`cbeclab.render.charts`).

It offers the interface Figure blocks use (``key``, ``title``, ``kind``, ``note``, ``to_png``,
``to_svg``, ``html``), so the document views treat it like the plotting-library charts; PNG comes from
vl-convert's SVG rasteriser (resvg), which finds the system CJK fonts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SvgChart"]


@dataclass(frozen=True)
class SvgChart:
    key: str
    title: str
    svg: str
    note: str | None = None
    kind: str = "svg"
    spec: dict[str, object] | None = None

    def to_svg(self) -> str:
        return self.svg

    def to_png(self, scale: float = 2.0) -> bytes:
        import vl_convert

        return bytes(vl_convert.svg_to_png(self.svg, scale=scale))

    def html(self, element_id: str) -> str:
        # the SVG is built from escaped parts by cbeclab.render.charts
        from html import escape

        return f'<div id="{escape(element_id)}" class="svg-chart">{self.svg}</div>'
