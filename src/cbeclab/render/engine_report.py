"""Outputs of an engine run: ``result.json``, ``result.xlsx`` and ``report.html`` (presentation only)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cbeclab import __version__
from cbeclab.render.charts import bar_chart_svg, line_chart_svg
from cbeclab.render.html import Section, esc, html_page, table_html

__all__ = ["labels", "render_html", "write_outputs"]


@cache
def _labels() -> dict[str, dict[str, str]]:
    text = resources.files("cbeclab.render").joinpath("labels.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def labels(lang: str) -> dict[str, str]:
    """The report labels in ``lang`` (``en`` or ``zh``)."""
    return {k: v.get(lang, v["en"]) for k, v in _labels().items()}


def _num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def _entity_charts(result: Any, L: dict[str, str]) -> str:
    syn = result.synergy
    figs: list[str] = []
    if syn is not None:
        so = syn.subsystem_order
        sy = syn.synergy
        for ent, grp in so.groupby("entity", sort=False):
            series: dict[str, list[tuple[float, float]]] = {}
            xs = [_num(p) for p in grp["period"]]
            for s in result.subsystems:
                series[s] = list(zip(xs, grp[s].astype(float)))
            sg = sy[sy["entity"] == ent]
            series[L["synergy_line"]] = list(
                zip([_num(p) for p in sg["period"]], sg["synergy"].astype(float))
            )
            svg = line_chart_svg(series, title=str(ent), dashed=[L["synergy_line"]], hline=0.0)
            figs.append(f"<figure>{svg}</figure>")
    if result.coupling is not None:
        ct = result.coupling.table
        dser = {
            str(e): list(zip([_num(p) for p in g["period"]], g["D"].astype(float)))
            for e, g in ct.groupby("entity", sort=False)
        }
        if len(dser) <= 8:
            figs.append(
                f"<figure>{line_chart_svg(dser, title=L['coupling_chart'], y_range=(0.0, 1.0), width=560)}</figure>"
            )
    return f'<div class="charts">{"".join(figs)}</div>'


def _panel_head(panel: Any, n: int) -> pd.DataFrame:
    """The first ``n`` rows of ``panel.to_frame()`` without building the whole long table."""
    k = max(1, panel.data.shape[1])
    rows = -(-n // k)
    data, imputed = panel.data.iloc[:rows], panel.imputed.iloc[:rows]
    idx = data.index
    return pd.DataFrame(
        {
            "entity": np.repeat(idx.get_level_values(0).to_numpy(), k),
            "period": np.repeat(idx.get_level_values(1).to_numpy(), k),
            "indicator": np.tile(np.asarray(panel.indicators, dtype=object), len(idx)),
            "value": data.to_numpy(dtype=float).ravel(),
            "imputed": imputed.to_numpy(dtype=bool).ravel(),
        }
    ).head(n)


def _sensitivity_body(sens: Any, lang: str, rows: int) -> str:
    """The sensitivity chart (cbeclab.render.charts.sensitivity, static SVG) and the table."""
    from cbeclab.render.charts.sensitivity import sensitivity_chart

    table = sens.to_frame()
    svg = sensitivity_chart(table, lang).to_svg()
    return f"<figure>{svg}</figure>" + table_html(table, max_rows=rows)


def render_html(result: Any, lang: str = "en") -> str:
    """The HTML report of a :class:`~cbeclab.pipeline.RunResult` (tables + inline SVG charts)."""
    L = labels(lang)
    p = result.panel
    # long tables are cut harder for many entities (every row is in the run's store and result.xlsx)
    rows = 2000 if len(p.entities) <= 40 else 100
    sections: list[Section] = []
    summ = result.summary()
    if not summ.empty:
        other = "_zh" if lang == "en" else "_en"
        drop = [
            c for c in summ.columns if c.endswith(other) or c in ("stage", "grade") and f"{c}_{lang}" in summ
        ]
        sections.append(
            Section(
                L["summary"],
                table_html(summ.drop(columns=drop), max_rows=rows),
                "summary",
                L["summary_intro"],
            )
        )
    if result.synergy is not None and len(p.entities) <= 40:
        sections.append(Section(L["charts"], _entity_charts(result, L), "charts", L["charts_intro"]))
    if result.synergy is not None:
        w = result.synergy.weights.to_frame()
        body = table_html(w, max_rows=rows)
        if "group" in w and w["group"].nunique() == 1:
            body = (
                bar_chart_svg(dict(zip(w["indicator"].astype(str), w["weight"])), title=L["weights"]) + body
            )
        sections.append(Section(L["weights"], body, "weights"))
        sections.append(Section(L["bounds"], table_html(result.synergy.bounds, max_rows=rows), "bounds"))
    if result.stages is not None:
        sections.append(Section(L["synergy"], table_html(result.stages, max_rows=rows), "synergy"))
    if result.coupling is not None:
        sections.append(Section(L["coupling"], table_html(result.coupling.table, max_rows=rows), "coupling"))
    if result.obstacles is not None:
        body = table_html(result.obstacles.top, max_rows=rows) + "<h3>" + esc(L["obstacles_sub"]) + "</h3>"
        body += table_html(result.obstacles.subsystem, max_rows=rows)
        sections.append(Section(L["obstacles"], body, "obstacles"))
    if result.forecasts:
        parts = []
        for name, fc in result.forecasts.items():
            # the fit of each series (grade, shift, residual and ratio-deviation tests), then its values
            parts.append(
                f"<h3>{esc(name)}</h3>"
                + table_html(fc.params, max_rows=rows)
                + table_html(fc.to_frame(), max_rows=rows)
            )
        sections.append(Section(L["forecasts"], "".join(parts), "forecasts"))
    sens = getattr(result, "sensitivity", None)
    if sens is not None:
        from cbeclab.i18n import _

        intro = _(
            "{n} perturbed runs (weights drawn around the estimate, bound margin {lo:.3g}-{hi:.3g}): how often each "
            "entity keeps the synergy stage and coordination grade of the main run, and the 5th/50th/95th "
            "percentiles of synergy and D.",
            n=sens.n_draws,
            lo=sens.options["bound_margin_range"][0],
            hi=sens.options["bound_margin_range"][1],
            lang=lang,
        )
        body = _sensitivity_body(sens, lang, rows)
        sections.append(Section(_("Sensitivity analysis", lang=lang), body, "sensitivity", intro))
    panel_long = _panel_head(p, 600)
    mask = {"value": list(panel_long["imputed"].astype(bool))} if "imputed" in panel_long else None
    sections.append(Section(L["panel"], table_html(panel_long, highlight=mask, max_rows=600), "panel"))
    warnings = list(p.notes) + list(result.notes)
    if "synthetic" in str(p.source).lower() or any("synthetic" in n.lower() for n in p.notes):
        warnings.insert(0, L["synthetic_warning"])
    title = result.spec.title or L["title"]
    return html_page(
        title,
        sections,
        lang,
        subtitle=f"{L['data_source']}: {p.source}",
        warnings=warnings,
        footer=L["generated"].format(version=__version__),
    )


def write_outputs(result: Any, out: str | Path) -> dict[str, Path]:
    """Write the run folder ``out`` (store, result.json, result.xlsx, report.html, manifest).

    Kept for callers of the first releases; see :func:`cbeclab.store.write_run`.
    """
    from cbeclab.store import write_run

    return write_run(result, out)
