"""Charts of cbeclab's results: Vega-Lite for data charts, Graphviz for the SEM path diagram.

The engine charts are written as plain Vega-Lite mappings (:mod:`cbeclab.render.charts.vl`, no
altair import); the survey, diagnosis and sensitivity charts are built with altair.

Each builder takes a result object and a language and returns a list of :class:`Chart`; a chart can
be drawn as PNG or SVG (vl-convert, offline) or as interactive HTML (the vendored Vega-Embed).

    from cbeclab.render.charts import Chart, vendored_scripts
    from cbeclab.render.charts.engine import engine_charts
    from cbeclab.render.charts.survey import survey_charts
    from cbeclab.render.charts.sem import path_diagram
    from cbeclab.render.charts.diagnose import diagnose_charts
    from cbeclab.render.charts.sensitivity import sensitivity_chart

``line_chart_svg`` / ``bar_chart_svg`` are the old hand-written SVG charts, importable here until the
reports switch to :class:`Chart`.
"""

from cbeclab.render.charts.base import CJK_FONT, Chart, vendored_scripts
from cbeclab.render.charts.legacy_svg import PALETTE, bar_chart_svg, line_chart_svg

__all__ = ["CJK_FONT", "PALETTE", "Chart", "bar_chart_svg", "line_chart_svg", "vendored_scripts"]
