"""Chart value: PNG/SVG export through vl-convert, safe HTML embedding, vendored scripts."""

from __future__ import annotations

import json

import pytest

from cbeclab.errors import SpecError
from cbeclab.render.charts import Chart, bar_chart_svg, line_chart_svg, vendored_scripts
from pngread import ink_fraction, read_png

SPEC = {
    "data": {"values": [{"e": "广州</script><b>", "v": 1.0}, {"e": "深圳", "v": 2.0}]},
    "mark": "bar",
    "encoding": {"x": {"field": "e", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}},
    "config": {"font": "Noto Sans CJK SC"},
}


def test_png_is_a_real_image() -> None:
    png = Chart("t", "t", "vega-lite", SPEC).to_png(scale=1.0)
    px = read_png(png)
    assert px.shape[1] > 50 and px.shape[0] > 100
    assert 0.02 < ink_fraction(px) < 0.9  # bars and text, not a blank or filled canvas


def test_svg_kind_png_and_svg() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>'
    ch = Chart("s", "s", "svg", svg=svg)
    assert ch.to_svg() == svg
    assert ch.to_png(scale=1.0)[:4] == b"\x89PNG"
    assert ch.html("fig-1").startswith('<div id="fig-1"')


def test_html_escapes_script_end() -> None:
    out = Chart("t", "t", "vega-lite", SPEC).html("fig1")
    assert out.count("</script>") == 1  # only the element's own end tag
    body = out.split("var s=", 1)[1].split(";if(window", 1)[0]
    assert json.loads(body)["data"]["values"][0]["e"] == "广州</script><b>"


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(SpecError):
        Chart("t", "t", "vega-lite", None)
    with pytest.raises(SpecError):
        Chart("t", "t", "svg", svg="not svg")
    with pytest.raises(SpecError):
        Chart("t", "t", "vega-lite", SPEC).html('x" onload="alert(1)')


def test_vendored_scripts_define_vega_embed() -> None:
    scripts = vendored_scripts()
    assert scripts and scripts[0][0].endswith(".js")
    text = scripts[0][1]
    assert "window.vegaEmbed=" in text and len(text) > 100_000


def test_legacy_svg_still_importable() -> None:
    assert line_chart_svg({"a": [(1, 0.5), (2, 0.6)]}).startswith("<svg")
    assert bar_chart_svg({"a": 0.5}).startswith("<svg")
