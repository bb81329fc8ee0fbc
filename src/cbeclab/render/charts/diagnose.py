"""Charts of a diagnosis (:class:`~cbeclab.diagnose.report.DiagnosisReport`).

Radar of the empowerment dimensions (seed 004), development-mode scores with the rules that fired
(seed 003), and the four-subsystem coordination (seed 002) where the diagnosis has a panel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from cbeclab.i18n import pgettext, resolve_lang
from cbeclab.render.charts.base import Chart
from cbeclab.render.charts.common import (
    FACET_MAX,
    OKABE_ITO,
    chart,
    data,
    display,
    grade_bands,
    grade_colour_scale,
    period_x,
    pick_label,
    shorten,
)

__all__ = ["diagnose_charts", "empowerment_radar", "mode_charts", "subsystems4_chart"]


def _dimension_names() -> dict[str, dict[str, str]]:
    from cbeclab.diagnose.empowerment import load_empowerment_rules

    return {
        str(d["key"]): {"en": str(d.get("en", d["key"])), "zh": str(d.get("zh", d.get("en", d["key"])))}
        for d in load_empowerment_rules().get("dimensions", [])
    }


def empowerment_radar(
    empowerment: Any, lang: str | None = None, entities: Mapping[str, str] | None = None
) -> Chart:
    """Radar (polygon on spokes) of the empowerment dimension scores U in [0, 1], one polygon a row.

    ``entities`` maps an entity to its display name (a cluster profile's name in ``lang``).
    """
    code = resolve_lang(lang)
    dims = list(empowerment.dimensions)
    names = _dimension_names()
    table = empowerment.table.head(FACET_MAX)
    k = len(dims)
    angle = [math.pi / 2 - 2 * math.pi * i / k for i in range(k)]  # first spoke straight up, clockwise
    pattern_col = f"pattern_{code}" if f"pattern_{code}" in table.columns else "pattern"
    rows, grid, spokes, labels = [], [], [], []
    for _i, t in table.iterrows():
        who = (entities or {}).get(str(t["entity"]), str(t["entity"]))
        who += "" if pd.isna(t.get("period")) else f" {t['period']}"
        who = f"{who} · {t[pattern_col]}" if pattern_col in table.columns else who
        for j, d in enumerate([*dims, dims[0]]):
            u = float(t[f"U_{d}"])
            a = angle[j % k]
            rows.append(
                {
                    "who": who,
                    "order": j,
                    "dim": display(d, names, code),
                    "U": u,
                    "x": u * math.cos(a),
                    "y": u * math.sin(a),
                }
            )
    for level in (0.2, 0.4, 0.6, 0.8, 1.0):
        for j in range(k + 1):
            a = angle[j % k]
            grid.append({"ring": level, "order": j, "x": level * math.cos(a), "y": level * math.sin(a)})
    for j, d in enumerate(dims):
        a = angle[j]
        spokes.append({"x": 0.0, "y": 0.0, "x2": math.cos(a), "y2": math.sin(a)})
        labels.append({"x": 1.18 * math.cos(a), "y": 1.12 * math.sin(a), "text": display(d, names, code)})
    lo_y = min(math.sin(a) for a in angle) * 1.2 - 0.12
    ax_x: dict[str, Any] = {"axis": None, "scale": alt.Scale(domain=[-1.45, 1.45])}
    ax_y: dict[str, Any] = {"axis": None, "scale": alt.Scale(domain=[lo_y, 1.28])}
    g = (
        alt.Chart(data(pd.DataFrame(grid)))
        .mark_line(color="#d0d4da", strokeWidth=0.8)
        .encode(x=alt.X("x:Q", **ax_x), y=alt.Y("y:Q", **ax_y), detail="ring:N", order="order:Q")
    )
    sp = (
        alt.Chart(data(pd.DataFrame(spokes)))
        .mark_rule(color="#c0c4ca")
        .encode(x=alt.X("x:Q", **ax_x), y=alt.Y("y:Q", **ax_y), x2="x2:Q", y2="y2:Q")
    )
    poly = (
        alt.Chart(data(pd.DataFrame(rows)))
        .mark_line(strokeWidth=2.2, point=alt.OverlayMarkDef(size=40))
        .encode(
            x=alt.X("x:Q", **ax_x),
            y=alt.Y("y:Q", **ax_y),
            color=alt.Color("who:N", title=None),
            order="order:Q",
            tooltip=["who:N", "dim:N", alt.Tooltip("U:Q", format=".3f")],
        )
    )
    vals = (
        alt.Chart(data(pd.DataFrame(rows)))
        .mark_text(dy=-9, fontSize=10)
        .encode(
            x=alt.X("x:Q", **ax_x), y=alt.Y("y:Q", **ax_y), text=alt.Text("U:Q", format=".2f"), color="who:N"
        )
        .transform_filter(f"datum.order < {k}")
    )
    lab = (
        alt.Chart(data(pd.DataFrame(labels)))
        .mark_text(fontSize=12, fontWeight="bold")
        .encode(x=alt.X("x:Q", **ax_x), y=alt.Y("y:Q", **ax_y), text="text:N")
    )
    note = None
    if len(empowerment.table) > FACET_MAX:
        note = pgettext(
            "charts",
            "The first {k} of {n} rows are drawn; all scores are in the empowerment table.",
            k=FACET_MAX,
            n=len(empowerment.table),
            lang=code,
        )
    return chart(
        "diagnose.empowerment_radar",
        pgettext("charts", "Empowerment dimensions (scores 0–1)", lang=code),
        alt.layer(g, sp, poly, vals, lab).properties(width=340, height=int(340 * (1.28 - lo_y) / 2.9)),
        note=note,
    )


def mode_charts(modes: Any, lang: str | None = None) -> list[Chart]:
    """Scores of every development mode, and the rules of each mode with the points they gave."""
    code = resolve_lang(lang)
    score = pd.DataFrame(
        [
            {
                "mode": pick_label(m, code),
                "rank": m.rank,
                "score": float(m.score),
                "max": float(m.max_score),
                "share": float(m.normalised),
                "fired": int(m.n_fired),
                "text": f"{m.score:g} / {m.max_score:g}",
            }
            for m in modes.ranking
        ]
    )
    order = list(score.sort_values("rank")["mode"])
    bars = (
        alt.Chart(data(score))
        .mark_bar(color="#0072B2")
        .encode(
            y=alt.Y("mode:N", sort=order, title=None),
            x=alt.X(
                "share:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
                title=pgettext("charts", "Score as a share of the mode's maximum", lang=code),
            ),
            tooltip=["mode:N", "score:Q", "max:Q", "fired:Q"],
        )
    )
    txt = (
        alt.Chart(data(score))
        .mark_text(align="left", dx=4, fontSize=11)
        .encode(y=alt.Y("mode:N", sort=order), x="share:Q", text="text:N")
    )
    out = [
        chart(
            "diagnose.mode_scores",
            pgettext(
                "charts",
                "Development-mode scores of {city}",
                city=pick_label({"en": modes.city, "zh": modes.city_zh}, code),
                lang=code,
            ),
            alt.layer(bars, txt).properties(width=340, height=max(60, 26 * len(score))),
        )
    ]
    from cbeclab.diagnose.modes import load_mode_rules

    worth = {(m.key, r.id): float(r.points) for m in load_mode_rules()[0] for r in m.rules}
    hits = []
    for m in modes.ranking:
        for h in m.hits:
            reason = pick_label(h, code, "reason_")
            hits.append(
                {
                    "mode": pick_label(m, code),
                    "rule": shorten(reason or h.rule, 26),
                    "reason": reason,
                    # the rule's points (what it gives when it fires); a custom rule file's unfired
                    # rules are not in the bundled table and show as 0
                    "points": float(h.points) if h.fired else worth.get((m.key, h.rule), 0.0),
                    "status": pgettext("charts", "fired", lang=code)
                    if h.fired
                    else pgettext("charts", "did not fire", lang=code),
                    "estimate": pgettext("charts", "estimated value", lang=code) if h.estimate else "",
                    "rid": f"{m.key}.{h.rule}",
                }
            )
    f = pd.DataFrame(hits)
    if not f.empty:
        rules = (
            alt.Chart(data(f))
            .mark_bar()
            .encode(
                y=alt.Y("rule:N", title=None, sort=None),
                x=alt.X("points:Q", title=pgettext("charts", "Points of the rule", lang=code)),
                color=alt.Color(
                    "status:N",
                    title=None,
                    scale=alt.Scale(
                        domain=[
                            pgettext("charts", "fired", lang=code),
                            pgettext("charts", "did not fire", lang=code),
                        ],
                        range=["#009E73", "#c9cdd3"],
                    ),
                ),
                tooltip=["mode:N", "reason:N", "points:Q", "status:N", "estimate:N"],
            )
        )
        body = (
            rules.properties(width=220, height=alt.Step(16))
            .facet(
                row=alt.Row(
                    "mode:N",
                    title=None,
                    sort=order,
                    header=alt.Header(
                        labelAngle=0,
                        labelAlign="left",
                        labelOrient="top",
                        labelFontWeight="bold",
                        labelFontSize=12,
                    ),
                )
            )
            .resolve_scale(y="independent")
        )
        out.append(
            chart(
                "diagnose.mode_rules",
                pgettext("charts", "Rules of each development mode and the points they gave", lang=code),
                body,
                note=pgettext(
                    "charts",
                    "Bar length: the points a rule gives. Green: it fired for this city (points counted); grey: it did not.",
                    lang=code,
                ),
            )
        )
    return out


def subsystems4_chart(
    subsystems: Any, lang: str | None = None, focus: str | None = None, label: str | None = None
) -> Chart:
    """Scores U of the subsystems and D of their coupling coordination over time, with grade bands.

    ``focus`` is the entity shown (default: the first); ``label`` its display name (default: the key).
    """
    code = resolve_lang(lang)
    t = subsystems.overall.table
    ent = focus if focus is not None and focus in set(t["entity"].astype(str)) else str(t["entity"].iloc[0])
    t = t[t["entity"].astype(str) == ent]
    subs = list(subsystems.subsystems)
    long = t.melt(
        id_vars=["period"], value_vars=[f"U_{s}" for s in subs] + ["D"], var_name="v", value_name="value"
    )
    long["series"] = ["D" if v == "D" else display(v[2:], subsystems.names, code) for v in long["v"]]
    sub_labels = [display(x, subsystems.names, code) for x in subs]
    bands = grade_bands(code)
    x = period_x(list(long["period"]), pgettext("charts", "Period", lang=code))
    band = (
        alt.Chart(data(bands))
        .mark_rect(opacity=0.18)
        .encode(
            y=alt.Y(
                "lower:Q",
                scale=alt.Scale(domain=[0, 1]),
                title=pgettext("charts", "Score U, coordination D", lang=code),
            ),
            y2="upper:Q",
            fill=alt.Fill(
                "label:N",
                scale=grade_colour_scale(bands),
                sort=list(bands["label"]),
                title=pgettext("charts", "Coordination grade", lang=code),
                legend=alt.Legend(columns=5),
            ),
        )
    )
    lines = (
        alt.Chart(data(long))
        .mark_line(point=True)
        .encode(
            x=x,
            y="value:Q",
            stroke=alt.Stroke(
                "series:N",
                title=None,
                scale=alt.Scale(domain=[*sub_labels, "D"], range=[*OKABE_ITO[: len(sub_labels)], "#000000"]),
                legend=alt.Legend(orient="right", direction="vertical", columns=1),
            ),
            strokeWidth=alt.condition("datum.series == 'D'", alt.value(3), alt.value(1.6)),
            tooltip=["series:N", "period:O", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    n_ent = t["entity"].nunique()
    note = None
    all_ents = subsystems.overall.table["entity"].nunique()
    if all_ents > n_ent:
        note = pgettext(
            "charts",
            "Shown: {entity}; the other {k} entities are in the coupling table.",
            entity=label or ent,
            k=all_ents - n_ent,
            lang=code,
        )
    return chart(
        "diagnose.subsystems4",
        pgettext(
            "charts",
            "Coordination of the {k} subsystems of {entity}",
            k=len(subs),
            entity=label or ent,
            lang=code,
        ),
        alt.layer(band, lines).properties(width=460, height=260),
        note=note,
    )


def diagnose_charts(diagnosis: Any, lang: str | None = None) -> list[Chart]:
    """Charts of a :class:`~cbeclab.diagnose.report.DiagnosisReport` (the parts it has)."""
    code = resolve_lang(lang)
    out: list[Chart] = []
    if getattr(diagnosis, "modes", None) is not None:
        out += mode_charts(diagnosis.modes, code)
    emp = getattr(diagnosis, "empowerment", None)
    if emp is not None and not emp.table.empty:
        out.append(empowerment_radar(emp, code))
    sub = getattr(diagnosis, "subsystems", None)
    if sub is not None and not sub.overall.table.empty:
        out.append(subsystems4_chart(sub, code, focus=getattr(diagnosis, "focus", None)))
    return out
