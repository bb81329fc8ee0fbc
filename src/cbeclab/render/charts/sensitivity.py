"""Chart of a sensitivity analysis: how often each entity keeps its stage and grade, and the spread.

Input: one row per entity with ``entity``, ``stage_stability`` and ``grade_stability`` (share of the
perturbed draws whose synergy stage / coordination grade equals the main run's), and the 5th and
95th percentiles of synergy and D over the draws (``synergy_p05``, ``synergy_p95``, ``D_p05``,
``D_p95``). Optional ``synergy`` and ``D`` (the main run's values) are drawn as points. Columns that
are missing are skipped. ``stage_same`` / ``grade_same`` (the names the sensitivity module writes)
are read as ``stage_stability`` / ``grade_stability``. With more than 2 × TOP_N entities the least stable TOP_N are drawn and a
histogram of the stability shares covers all of them.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import pgettext, resolve_lang
from cbeclab.render.charts.base import Chart
from cbeclab.render.charts.common import TOP_N, chart, data

__all__ = ["sensitivity_chart"]

#: column names of :class:`cbeclab.sensitivity.SensitivityResult` tables, read as the ones above
_ALIASES = {"stage_same": "stage_stability", "grade_same": "grade_stability"}


def sensitivity_chart(frame: pd.DataFrame, lang: str | None = None) -> Chart:
    """Stability of stage and grade per entity, and the 5–95 % range of synergy and D."""
    code = resolve_lang(lang)
    if "entity" not in frame.columns:
        raise DataError(
            "the sensitivity table has no 'entity' column",
            where="sensitivity",
            fix="pass the per-entity sensitivity table (one row per entity)",
        )
    f = frame.rename(
        columns={k: v for k, v in _ALIASES.items() if k in frame.columns and v not in frame.columns}
    )
    f["entity"] = f["entity"].astype(str)
    stab = [c for c in ("stage_stability", "grade_stability") if c in f.columns]
    n = len(f)
    note_parts: list[str] = []
    if stab:
        f["_min"] = f[stab].min(axis=1)
        f = f.sort_values("_min", kind="stable")
    shown = f.head(TOP_N) if n > 2 * TOP_N else f
    if len(shown) < n:
        note_parts.append(
            pgettext(
                "charts",
                "Rows: the {k} least stable of {n} entities; the histogram covers all.",
                k=len(shown),
                n=n,
                lang=code,
            )
        )
    order = list(shown["entity"])
    label = {
        "stage_stability": pgettext("charts", "synergy stage kept", lang=code),
        "grade_stability": pgettext("charts", "coordination grade kept", lang=code),
    }
    parts: list[Any] = []
    if stab:
        long = shown.melt(id_vars=["entity"], value_vars=stab, var_name="what", value_name="share")
        long["what"] = long["what"].map(label)
        parts.append(
            alt.Chart(data(long))
            .mark_point(filled=True, size=60)
            .encode(
                y=alt.Y("entity:N", sort=order, title=None),
                x=alt.X(
                    "share:Q",
                    scale=alt.Scale(domain=[0, 1]),
                    axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
                    title=pgettext("charts", "Share of draws", lang=code),
                ),
                color=alt.Color("what:N", title=None, scale=alt.Scale(range=["#0072B2", "#D55E00"])),
                shape=alt.Shape("what:N", title=None),
                tooltip=["entity:N", "what:N", alt.Tooltip("share:Q", format=".1%")],
            )
            .properties(width=200, height=alt.Step(18))
        )
    for m, title in (("synergy", pgettext("charts", "Synergy degree", lang=code)), ("D", "D")):
        lo, hi = f"{m}_p05", f"{m}_p95"
        if lo not in shown.columns or hi not in shown.columns:
            continue
        cols = ["entity", lo, hi] + ([m] if m in shown.columns else [])
        sub = shown[cols]
        layers: list[Any] = [
            alt.Chart(data(sub))
            .mark_rule(strokeWidth=2.5, color="#56B4E9")
            .encode(
                y=alt.Y("entity:N", sort=order, title=None, axis=alt.Axis(labels=not parts)),
                x=alt.X(
                    f"{lo}:Q",
                    title=pgettext("charts", "{what}: 5–95 % range of the draws", what=title, lang=code),
                ),
                x2=f"{hi}:Q",
                tooltip=[
                    "entity:N",
                    alt.Tooltip(f"{lo}:Q", format=".3f"),
                    alt.Tooltip(f"{hi}:Q", format=".3f"),
                ],
            )
        ]
        if m in sub.columns:
            layers.append(
                alt.Chart(data(sub))
                .mark_tick(color="#000", thickness=2, size=12)
                .encode(y=alt.Y("entity:N", sort=order), x=f"{m}:Q")
            )
        parts.append(alt.layer(*layers).properties(width=200, height=alt.Step(18)))
    if not parts:
        raise DataError(
            "the sensitivity table has none of the columns to draw",
            where="sensitivity",
            fix="give stage_stability / grade_stability or synergy_p05 and synergy_p95",
        )
    body: Any = alt.hconcat(*parts).resolve_scale(color="independent", shape="independent")
    if len(shown) < n and stab:
        edges = np.linspace(0, 1, 21)
        rows = []
        for c in stab:
            counts, _e = np.histogram(f[c].to_numpy(dtype=float), bins=edges)
            rows += [
                {"what": label[c], "lo": a, "hi": b, "count": int(k)}
                for a, b, k in zip(edges[:-1], edges[1:], counts)
            ]
        hist = (
            alt.Chart(data(pd.DataFrame(rows)))
            .mark_bar()
            .encode(
                x=alt.X(
                    "lo:Q",
                    bin="binned",
                    title=pgettext("charts", "Share of draws", lang=code),
                    axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
                ),
                x2="hi:Q",
                y=alt.Y("count:Q", title=pgettext("charts", "Number of entities", lang=code)),
                color=alt.Color("what:N", title=None, scale=alt.Scale(range=["#0072B2", "#D55E00"])),
                column=alt.Column("what:N", title=None),
            )
            .properties(width=200, height=140)
        )
        body = alt.vconcat(body, hist).resolve_scale(color="independent")
    note_parts.append(
        pgettext(
            "charts",
            "Points: share of the perturbed draws that keep the main run's stage or grade; "
            "bars: 5–95 % range of the draws; ticks: the main run.",
            lang=code,
        )
    )
    if len(shown) < n:
        note_parts.append(
            pgettext(
                "charts",
                "Full values for every entity: table “{table}” of the results.",
                table="sensitivity",
                lang=code,
            )
        )
    return chart(
        "sensitivity",
        pgettext("charts", "Sensitivity of the verdicts to weights and bounds", lang=code),
        body,
        note=" ".join(note_parts),
    )
