"""The :class:`Chart` value every chart builder returns, and its three views (PNG, SVG, HTML).

A chart is either a Vega-Lite specification (data charts, drawn by vl-convert for static images and by
Vega-Embed in HTML) or a finished SVG document (the SEM path diagram, laid out by Graphviz). Builders
are pure: a result object and a language in, a list of charts out; they never compute statistics.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from cbeclab.errors import SpecError

__all__ = [
    "CHART_FONT",
    "CJK_FONT",
    "FONT_DIRS",
    "LATIN_FONT",
    "VEGA_LITE_VERSION",
    "Chart",
    "vendored_scripts",
]

#: CJK font of every chart (Debian's fonts-noto-cjk)
CJK_FONT = "Noto Sans CJK SC"
#: Latin font of the charts (Debian's fonts-liberation, metric-compatible with Arial)
LATIN_FONT = "Liberation Sans"
#: the font family list of every chart: Latin text (numbers, axis ticks, English labels) in
#: :data:`LATIN_FONT`, CJK characters falling back to :data:`CJK_FONT`, as Chinese journals pair a Latin
#: and a CJK face. Measuring and shaping text with the 20 MB CJK collection is what made static
#: rendering slow (vl-convert measures every label); with the Latin face first a report's charts render
#: two to three times faster (``benchmarks/bench_end_to_end.py``). Without the Latin font installed,
#: everything is drawn in the CJK font as before.
CHART_FONT = f"{LATIN_FONT}, {CJK_FONT}"
#: folders of the chart fonts registered with the static renderer (each that exists)
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/noto",
    "/usr/local/share/fonts",
)
#: the Vega-Lite version of every chart spec: the one the installed altair writes
#: (``altair.VEGALITE_VERSION``; ``tests/test_charts_base.py`` checks that they agree). A constant,
#: so that builders of plain mappings and the PNG renderer need not import altair (~0.8 s).
VEGA_LITE_VERSION = "6.4.1"
_STATIC = "static"
_SCRIPTS = ("vega-bundle.min.js",)
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,80}$")
_font_lock = threading.Lock()
_fonts_registered = False


def _register_fonts() -> None:
    """Register the CJK font folder with vl-convert once per process (idempotent, thread-safe)."""
    global _fonts_registered
    if _fonts_registered:
        return
    import vl_convert as vlc

    with _font_lock:
        if _fonts_registered:
            return
        for d in FONT_DIRS:
            if Path(d).is_dir():
                vlc.register_font_directory(d)
        _fonts_registered = True


def _script_json(obj: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``</script>``, ``<!--`` or U+2028)."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _vl_version() -> str:
    """``major.minor`` of :data:`VEGA_LITE_VERSION`, as vl-convert takes it (no altair import)."""
    return ".".join(VEGA_LITE_VERSION.split(".")[:2])


@dataclass(frozen=True)
class Chart:
    """One figure of a report.

    Attributes
    ----------
    key:
        Stable identifier (``"engine.synergy_all"``), used for file names and anchors.
    title:
        Caption text, already translated. It is not drawn inside the image: documents number and
        caption figures themselves (图1 …), as journals do.
    kind:
        ``"vega-lite"`` (``spec`` holds a Vega-Lite JSON mapping) or ``"svg"`` (``svg`` holds a document).
    note:
        Translated remark shown under the figure, e.g. what a many-entity chart left out and where the
        full table is.
    """

    key: str
    title: str
    kind: Literal["vega-lite", "svg"]
    spec: dict[str, Any] | None = None
    svg: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind == "vega-lite" and not isinstance(self.spec, dict):
            raise SpecError(f"chart {self.key!r}: a vega-lite chart needs a spec mapping", where="Chart.spec")
        if self.kind == "svg" and not (isinstance(self.svg, str) and "<svg" in self.svg):
            raise SpecError(f"chart {self.key!r}: an svg chart needs an <svg> document", where="Chart.svg")
        if self.kind not in ("vega-lite", "svg"):
            raise SpecError(f"chart {self.key!r}: unknown kind {self.kind!r}", fix="use 'vega-lite' or 'svg'")

    # -- static views ---------------------------------------------------------------------------
    def to_svg(self) -> str:
        """The chart as an SVG document (vl-convert for Vega-Lite; the stored SVG otherwise)."""
        if self.kind == "svg":
            assert self.svg is not None
            return self.svg
        import vl_convert as vlc

        _register_fonts()
        assert self.spec is not None
        return str(vlc.vegalite_to_svg(self.spec, vl_version=_vl_version()))

    def to_png(self, scale: float = 2.0) -> bytes:
        """The chart as PNG bytes at ``scale`` × its CSS pixel size (CJK text drawn with Noto Sans CJK)."""
        import vl_convert as vlc

        _register_fonts()
        if self.kind == "svg":
            return bytes(vlc.svg_to_png(self.to_svg(), scale=scale))
        assert self.spec is not None
        return bytes(vlc.vegalite_to_png(self.spec, scale=scale, vl_version=_vl_version()))

    # -- interactive view -----------------------------------------------------------------------
    def html(self, element_id: str) -> str:
        """A ``<div>`` and, for Vega-Lite, a ``<script>`` that draws it with ``vegaEmbed``.

        The page must load :func:`vendored_scripts` first. The spec is embedded as JSON with ``<``,
        ``>`` and ``&`` escaped, so no data value can close the script element.
        """
        if not _ID_RE.match(element_id):
            raise SpecError(
                f"chart element id {element_id!r} is not a plain HTML id",
                where="Chart.html(element_id)",
                fix="use letters, digits, '-' and '_' only, starting with a letter",
            )
        if self.kind == "svg":
            return f'<div id="{element_id}" class="chart chart-svg">{self.to_svg()}</div>'
        spec = _script_json(self.spec)
        return (
            f'<div id="{element_id}" class="chart chart-vl"></div>'
            f"<script>(function(){{var s={spec};"
            f'if(window.vegaEmbed){{vegaEmbed("#{element_id}",s,{{actions:false,renderer:"svg"}})'
            f'.catch(function(e){{document.getElementById("{element_id}").textContent=String(e);}});}}'
            f"}})();</script>"
        )


@cache
def vendored_scripts() -> list[tuple[str, str]]:
    """``(file name, JavaScript text)`` of the vendored Vega, Vega-Lite and Vega-Embed libraries.

    Put them in a page's ``<head>`` (inline or served as static files) before any :meth:`Chart.html`.
    Versions and licences: ``render/charts/static/README.md``.
    """
    folder = resources.files("cbeclab.render.charts").joinpath(_STATIC)
    return [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in _SCRIPTS]
