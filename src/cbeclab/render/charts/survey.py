"""Charts of a survey run (:class:`~cbeclab.survey.workflow.SurveyResult`): loadings and the path diagram."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from cbeclab.i18n import pgettext, resolve_lang
from cbeclab.render.charts.base import Chart
from cbeclab.render.charts.common import chart, data, shorten
from cbeclab.render.charts.sem import path_diagram

__all__ = ["construct_labels", "loadings_chart", "survey_charts"]


def construct_labels(spec: Any) -> dict[str, dict[str, str]]:
    """``{construct: {en, zh}}`` from a survey spec (the display names its YAML gives)."""
    return {str(k): {"en": c.en or str(k), "zh": c.zh or c.en or str(k)} for k, c in spec.constructs.items()}


def loadings_chart(survey_result: Any, lang: str | None = None) -> Chart:
    """Standardized CFA loadings of every item, grouped by construct, with the loading threshold."""
    code = resolve_lang(lang)
    spec = survey_result.spec
    names = construct_labels(spec)
    rows = []
    for c, ser in survey_result.std_loadings_by_construct.items():
        cons = spec.constructs.get(c)
        for item, v in ser.items():
            item_spec = cons.items.get(item) if cons is not None else None
            text = ""
            if item_spec is not None:
                text = (getattr(item_spec, code, None) or getattr(item_spec, "en", None) or "") or ""
            rows.append(
                {
                    "item": str(item),
                    "label": f"{item} {shorten(text, 16)}".strip(),
                    "text": text,
                    "construct": f"{names.get(c, {}).get(code, c)} ({c})",
                    "loading": float(v),
                }
            )
    f = pd.DataFrame(rows)
    thr = survey_result.thresholds.get("loading")
    cut = float(thr.value) if thr is not None else 0.5
    bars = (
        alt.Chart(data(f))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(f["label"]), title=None),
            x=alt.X(
                "loading:Q",
                scale=alt.Scale(domain=[0, 1]),
                title=pgettext("charts", "Standardized loading", lang=code),
            ),
            color=alt.Color("construct:N", title=None, legend=alt.Legend(columns=2)),
            tooltip=["item:N", "text:N", "construct:N", alt.Tooltip("loading:Q", format=".3f")],
        )
    )
    text = (
        alt.Chart(data(f))
        .mark_text(align="left", dx=3, fontSize=10)
        .encode(
            y=alt.Y("label:N", sort=list(f["label"])), x="loading:Q", text=alt.Text("loading:Q", format=".2f")
        )
    )
    rule = (
        alt.Chart(data(pd.DataFrame({"x": [cut]})))
        .mark_rule(color="#D55E00", strokeDash=[4, 3])
        .encode(x="x:Q")
    )
    cut_text = f"{cut:g}"
    return chart(
        "survey.loadings",
        pgettext("charts", "Standardized factor loadings (CFA)", lang=code),
        alt.layer(bars, text, rule).properties(width=360, height=max(120, 17 * len(f))),
        note=pgettext("charts", "Dashed line: the loading threshold {cut}.", cut=cut_text, lang=code),
    )


def survey_charts(survey_result: Any, lang: str | None = None) -> list[Chart]:
    """Loadings chart and the SEM path diagram (with the constructs' display names) of a survey run."""
    code = resolve_lang(lang)
    return [
        loadings_chart(survey_result, code),
        path_diagram(
            survey_result.sem, code, labels=construct_labels(survey_result.spec), key="survey.path_diagram"
        ),
    ]
