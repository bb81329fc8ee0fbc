"""Rendering shared by the pages and the workers: the Jinja2 environment and the results fragment.

A finished run never changes, so its results fragment (downloads, charts, tables) is rendered once per
language by the worker at the end of the run (``.results.<lang>.html`` in the run folder) and the
server only reads it; runs finished before this existed are rendered on first view and cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from cbeclab.i18n import pgettext

__all__ = ["env", "fragment_path", "prerender", "render_results"]

env = Environment(
    loader=PackageLoader("cbeclab.web", "templates"),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def chart_html(charts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each chart of a view as its ``<div>`` + script (``Chart.html`` escapes the embedded data)."""
    from cbeclab.render.charts import Chart

    out = []
    for i, c in enumerate(charts):
        chart = Chart(
            c["key"], c["title"], c["kind"], spec=c.get("spec"), svg=c.get("svg"), note=c.get("note")
        )
        out.append(
            {
                "label": c.get("label") or "",
                "title": c["title"],
                "note": c.get("note"),
                "html": Markup(chart.html(f"chart-{i}")),
            }
        )
    return out


def render_results(run: dict[str, Any], files: list[dict[str, Any]], view: dict[str, Any], lang: str) -> str:
    """The results part of a run page: downloads, charts, recommendations, tables, notes."""

    def t(msgid: str, **fields: Any) -> str:
        return pgettext("web", msgid, lang=lang, **fields)

    return env.get_template("results.html").render(
        _=t, run=run, files=files, view=view, charts=chart_html(view.get("charts") or []), lang=lang
    )


def fragment_path(run_dir: Path, lang: str) -> Path:
    return run_dir / f".results.{lang}.html"


def prerender(folder: Path, run: dict[str, Any], files: list[dict[str, Any]]) -> None:
    """Write the results fragment of the run in ``folder`` in every view language (the worker calls
    it once the outputs are registered, before the run is marked done)."""
    from cbeclab.io.atomic import atomic_write_text
    from cbeclab.web.services import VIEW_LANGS, _read_view

    for lg in VIEW_LANGS:
        p = folder / f"view.{lg}.json"
        view = _read_view(str(p if p.exists() else folder / "view.json"))
        if view is not None:
            atomic_write_text(fragment_path(folder, lg), render_results(run, files, view, lg))
