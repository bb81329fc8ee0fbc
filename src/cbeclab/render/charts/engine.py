"""Charts of an engine run (:class:`~cbeclab.pipeline.RunResult`): synergy, coupling, obstacles, GM(1,1).

Up to :data:`~cbeclab.render.charts.common.LINE_MAX` entities get one line or one panel each. Above
that, lines of every entity would be unreadable (and a 3,000-entity spec would be megabytes), so the
builder switches to charts that summarise all entities: the median and spread across entities per
period, counts per coordination grade, a heat map and rankings of the top and bottom
:data:`~cbeclab.render.charts.common.TOP_N`, histograms of the latest values. Every chart that
leaves entities out says so in :attr:`Chart.note` and names the result table with the full values.

The specs are written as plain Vega-Lite mappings (:mod:`cbeclab.render.charts.vl`), not with
altair: the same charts, without altair's import and schema validation (about 1.5 s of a
3,000-entity report). Each builder passes only the rows it draws (quantiles, counts, the top and
bottom entities).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.i18n import _, pgettext, resolve_lang
from cbeclab.render.charts.base import Chart
from cbeclab.render.charts.common import (
    FACET_MAX,
    LINE_MAX,
    TOP_N,
    chart,
    data,
    display,
    display_all,
    entity_names,
    grade_bands,
    grade_colour_spec,
    period_sort,
    period_x_spec,
)
from cbeclab.render.charts.vl import facet, field, layer, plain, tooltip, unit

__all__ = ["engine_charts"]


#: the report's caption of each result table a chart note points to (the same catalogue entries)
_TABLE_TITLES = {
    "summary": "Latest period of each entity",
    "synergy": "Synergy degree and stage",
    "coupling": "Coupling coordination",
    "obstacles_subsystem": "Obstacle degree of each subsystem",
    "obstacles_indicator": "Obstacle degree of each indicator",
}


def _table_title(table: str, lang: str) -> str:
    """The display name (report caption) of result table ``table``; the key itself if it has none."""
    title = _TABLE_TITLES.get(table)
    return table if title is None else _(title, lang=lang)


def _full_table_note(table: str, lang: str) -> str:
    return pgettext(
        "charts",
        "Full values for every entity: table “{table}” of the results.",
        table=_table_title(table, lang),
        lang=lang,
    )


def _entities(frame: pd.DataFrame) -> list[str]:
    """Entities as text (``astype(str)``), in order of first appearance, each distinct value converted once."""
    col = frame["entity"]
    text = pd.Series(pd.unique(col), dtype=col.dtype).astype(str)
    return [str(e) for e in dict.fromkeys(text.tolist())]


def _periods(frame: pd.DataFrame) -> list[Any]:
    """The distinct periods of ``frame`` in order of first appearance, as Python values."""
    return plain(np.asarray(pd.unique(frame["period"]), dtype=object).tolist())


def _facet_columns(n: int) -> int:
    return 2 if n <= 4 else 3


def _latest(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """Each entity's last period with a finite ``value`` (rows keep their other columns)."""
    f = frame[np.isfinite(pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float))]
    order = {p: i for i, p in enumerate(period_sort(_periods(frame)))}
    f = f.assign(_o=f["period"].map(order)).sort_values(["entity", "_o"])
    return f.groupby("entity", sort=False).tail(1).drop(columns="_o")


def _quantiles(long: pd.DataFrame, by: list[str], value: str = "value") -> pd.DataFrame:
    """p10, q1, median, q3, p90 and count of ``value`` across entities for each ``by`` group."""
    g = long.dropna(subset=[value]).groupby(by, sort=False)[value]
    q = g.quantile(np.array([0.1, 0.25, 0.5, 0.75, 0.9])).unstack()
    q.columns = ["p10", "q1", "median", "q3", "p90"]
    q["n"] = g.count()
    return q.reset_index()


# ------------------------------------------------------------------------------------------ synergy
def _order_synergy_long(result: Any, lang: str, names: Mapping[str, Any] | None) -> pd.DataFrame:
    syn = result.synergy
    so = syn.subsystem_order
    subs = [s for s in result.subsystems if s in so.columns]
    shown = {c: display(c, names, lang) for c in subs}
    long = (
        so[["entity", "period", *subs]]
        .rename(columns=shown)
        .melt(
            id_vars=["entity", "period"],
            value_vars=list(shown.values()),
            var_name="series",
            value_name="value",
        )
    )
    long["kind"] = pgettext("charts", "order degree", lang=lang)
    sy = syn.synergy[["entity", "period", "synergy"]].rename(columns={"synergy": "value"})
    sy = sy.assign(
        series=pgettext("charts", "synergy degree", lang=lang),
        kind=pgettext("charts", "synergy degree", lang=lang),
    )
    out = pd.concat([long, sy], ignore_index=True)
    out["entity"] = out["entity"].astype(str)
    return out


def _synergy_few(result: Any, lang: str, names: Mapping[str, Any] | None) -> list[Chart]:
    long = _order_synergy_long(result, lang, names)
    ents = _entities(long)
    periods = period_sort(_periods(long))
    x = period_x_spec(periods, pgettext("charts", "Period", lang=lang))
    lines = facet(
        unit(
            {"type": "line", "point": {"size": 18}},
            {
                "x": x,
                "y": field("value:Q", title=pgettext("charts", "Degree", lang=lang)),
                "color": field("series:N", title=None),
                "strokeDash": field(
                    "kind:N",
                    legend=None,
                    scale={
                        "domain": [
                            pgettext("charts", "order degree", lang=lang),
                            pgettext("charts", "synergy degree", lang=lang),
                        ],
                        "range": [[1, 0], [5, 3]],
                    },
                ),
                "tooltip": tooltip("entity:N", "period:O", "series:N", field("value:Q", format=".3f")),
            },
            width=250,
            height=160,
        ),
        field("entity:N", title=None, sort=ents),
        _facet_columns(len(ents)),
        data=data(long),
    )
    sy = long[long["kind"] == pgettext("charts", "synergy degree", lang=lang)]
    one_axis = unit(
        {"type": "line", "point": True},
        {
            "x": x,
            "y": field("value:Q", title=pgettext("charts", "Synergy degree", lang=lang)),
            "color": field("entity:N", title=None, sort=ents),
            "tooltip": tooltip("entity:N", "period:O", field("value:Q", format=".3f")),
        },
        data=data(sy),
    )
    zero = unit(
        {"type": "rule", "color": "#888", "strokeDash": [2, 2]},
        {"y": field("y:Q")},
        data=data(pd.DataFrame({"y": [0.0]})),
    )
    return [
        chart(
            "engine.order_synergy",
            pgettext(
                "charts", "Order degree of each subsystem and synergy degree over time, by entity", lang=lang
            ),
            lines,
            note=pgettext(
                "charts",
                "Solid lines: order degree of each subsystem (0–1); dashed: synergy degree of the composite system (can be negative).",
                lang=lang,
            ),
        ),
        chart(
            "engine.synergy_all",
            pgettext("charts", "Synergy degree of all entities", lang=lang),
            layer(zero, one_axis, width=460, height=260),
        ),
    ]


def _band_layers(long_value: pd.DataFrame, measure_title: str, lang: str) -> Any:
    """One panel a ``series``: median line, interquartile band and 10–90 % band across entities."""
    x = period_x_spec(_periods(long_value), pgettext("charts", "Period", lang=lang))
    colour = field("series:N", title=None, legend=None)
    outer = unit(
        {"type": "area", "opacity": 0.18},
        {"x": x, "y": field("p10:Q", title=measure_title), "y2": field("p90"), "color": colour},
    )
    inner = unit(
        {"type": "area", "opacity": 0.35},
        {"x": x, "y": field("q1:Q"), "y2": field("q3"), "color": colour},
    )
    mid = unit(
        {"type": "line", "point": True},
        {
            "x": x,
            "y": field("median:Q"),
            "color": colour,
            "tooltip": tooltip(
                "series:N",
                "period:O",
                field("median:Q", format=".3f", title=pgettext("charts", "median", lang=lang)),
                field("q1:Q", format=".3f", title="Q1"),
                field("q3:Q", format=".3f", title="Q3"),
                field("n:Q", title=pgettext("charts", "entities", lang=lang)),
            ),
        },
    )
    series = [str(v) for v in dict.fromkeys(long_value["series"])]
    return facet(
        layer(outer, inner, mid, width=250, height=200),
        field("series:N", title=None, sort=series),
        3,
        data=data(long_value),
    )


def _synergy_many(result: Any, lang: str, names: Mapping[str, Any] | None, n: int) -> list[Chart]:
    long = _order_synergy_long(result, lang, names)
    q = _quantiles(long, ["series", "period"])
    left = pgettext("charts", "Lines of single entities are left out ({n} entities).", n=n, lang=lang)
    out = [
        chart(
            "engine.synergy_distribution",
            pgettext(
                "charts",
                "Order degree and synergy degree across entities: median, interquartile range and 10–90 % range",
                lang=lang,
            ),
            _band_layers(q, pgettext("charts", "Degree", lang=lang), lang),
            note=f"{left} {_full_table_note('synergy', lang)}",
        )
    ]
    latest = _latest(result.synergy.synergy, "synergy")
    edges = np.round(np.linspace(-1.0, 1.0, 41), 10)
    counts, _e = np.histogram(latest["synergy"].to_numpy(dtype=float), bins=edges)
    hist = pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "count": counts})
    nz = np.flatnonzero(counts)
    if nz.size:
        hist = hist.iloc[nz[0] : nz[-1] + 1]
    bars = unit(
        {"type": "bar", "color": "#0072B2"},
        {
            "x": field(
                "lo:Q", bin="binned", title=pgettext("charts", "Synergy degree (latest period)", lang=lang)
            ),
            "x2": field("hi"),
            "y": field("count:Q", title=pgettext("charts", "Number of entities", lang=lang)),
            "tooltip": tooltip(field("lo:Q", format=".2f"), field("hi:Q", format=".2f"), "count:Q"),
        },
        data=data(hist),
    )
    out.append(
        chart(
            "engine.synergy_histogram",
            pgettext(
                "charts",
                "Distribution of the latest synergy degree over {n} entities",
                n=len(latest),
                lang=lang,
            ),
            {**bars, "width": 460, "height": 220},
        )
    )
    return out


# ------------------------------------------------------------------------------------------ coupling
def _ctd_long(ct: pd.DataFrame, lang: str, *, entity_text: bool = True) -> pd.DataFrame:
    """C, T and D of ``ct`` in long form (``entity_text``: entities as text, for charts that name them)."""
    long = ct.melt(
        id_vars=["entity", "period"], value_vars=["C", "T", "D"], var_name="series", value_name="value"
    )
    if entity_text:
        long["entity"] = long["entity"].astype(str)
    return long


def _text_in(values: pd.Series, chosen: list[str]) -> np.ndarray:
    """``values.astype(str).isin(chosen)`` converting each distinct value to text once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    keep = pd.Series(uniques, dtype=values.dtype).astype(str).isin(chosen).to_numpy(dtype=bool)
    return keep[codes] if len(keep) else np.zeros(len(values), dtype=bool)


def _bands_layer(
    bands: pd.DataFrame, lang: str, *, opacity: float = 0.22, data: Any = None, **kw: Any
) -> dict[str, Any]:
    """The ten grade bands of D as shaded rectangles (``kw``: e.g. a ``transform``)."""
    return unit(
        {"type": "rect", "opacity": opacity},
        {
            "y": field("lower:Q", scale={"domain": [0, 1]}, title=pgettext("charts", "C, T, D", lang=lang)),
            "y2": field("upper"),
            "fill": field(
                "label:N",
                scale=grade_colour_spec(bands),
                sort=[str(v) for v in bands["label"]],
                title=pgettext("charts", "Coordination grade", lang=lang),
                legend={"columns": 5},
            ),
        },
        data=data,
        **kw,
    )


def _coupling_few(result: Any, lang: str) -> list[Chart]:
    ct = result.coupling.table
    bands = grade_bands(lang)
    long = _ctd_long(ct, lang)
    ents = _entities(long)
    periods = period_sort(_periods(long))
    # one frame for the facet: grade bands repeated for each entity + the C, T, D lines
    rep = bands.merge(pd.DataFrame({"entity": ents}), how="cross").assign(layer="band")
    both = pd.concat([rep, long.assign(layer="line")], ignore_index=True)
    x = period_x_spec(periods, pgettext("charts", "Period", lang=lang))
    band = _bands_layer(bands, lang, transform=[{"filter": "(datum.layer === 'band')"}])
    lines = unit(
        {"type": "line", "point": {"size": 16}},
        {
            "x": x,
            "y": field("value:Q", scale={"domain": [0, 1]}),
            "stroke": field(
                "series:N",
                title=None,
                scale={"domain": ["C", "T", "D"], "range": ["#0072B2", "#E69F00", "#000000"]},
                legend={"orient": "right", "direction": "vertical", "columns": 1},
            ),
            "tooltip": tooltip("entity:N", "period:O", "series:N", field("value:Q", format=".3f")),
        },
        transform=[{"filter": "(datum.layer === 'line')"}],
    )
    ctd = facet(
        layer(band, lines, width=250, height=170),
        field("entity:N", title=None, sort=ents),
        _facet_columns(len(ents)),
        data=data(both),
    )
    out = [
        chart(
            "engine.ctd",
            pgettext(
                "charts",
                "Coupling degree C, coordination index T and coupling coordination degree D over time, with the ten grades",
                lang=lang,
            ),
            ctd,
            note=pgettext("charts", "Shaded bands: the ten coordination grades of D.", lang=lang),
        )
    ]
    out.append(_heatmap(ct, ents, lang, note=None))
    out.append(_ranking(result, lang, ents, many=False))
    return out


def _heatmap(ct: pd.DataFrame, ents: list[str], lang: str, note: str | None) -> Chart:
    f = ct.loc[_text_in(ct["entity"], ents), ["entity", "period", "D", "grade"]].copy()
    f["entity"] = f["entity"].astype(str)
    periods = period_sort(_periods(f))
    values = data(f)
    heat = unit(
        "rect",
        {
            "x": field(
                "period:O",
                title=pgettext("charts", "Period", lang=lang),
                sort=periods,
                axis={"labelAngle": -45 if len(periods) > 10 else 0},
            ),
            "y": field("entity:N", title=None, sort=list(ents)),
            "color": field("D:Q", scale={"scheme": "redyellowgreen", "domain": [0, 1]}, title="D"),
            "tooltip": tooltip("entity:N", "period:O", field("D:Q", format=".3f"), "grade:Q"),
        },
    )
    layers: list[Any] = [heat]
    if len(f) <= 160:
        layers.append(
            unit(
                {"type": "text", "fontSize": 10},
                {
                    "x": field("period:O", sort=periods),
                    "y": field("entity:N", sort=list(ents)),
                    "text": field("D:Q", format=".2f"),
                    "color": {
                        "condition": {"test": "datum.D > 0.25 && datum.D < 0.75", "value": "black"},
                        "value": "white",
                    },
                },
            )
        )
    width = max(260, min(560, 34 * len(periods)))
    return chart(
        "engine.heatmap_D",
        pgettext("charts", "Coupling coordination degree D by entity and period", lang=lang),
        layer(*layers, data=values, width=width, height=max(80, 18 * len(ents))),
        note=note,
    )


def _ranking(
    result: Any, lang: str, ents: list[str], many: bool, latest_d: pd.DataFrame | None = None
) -> Chart:
    """Bars of the latest D (coloured by grade) and latest synergy (coloured by stage).

    ``latest_d``: ``_latest(result.coupling.table, "D")`` when the caller has it already.
    """
    bands = grade_bands(lang)
    code = resolve_lang(lang)
    parts: list[Any] = []
    notes: list[str] = []
    if result.coupling is not None:
        if latest_d is None:
            latest_d = _latest(result.coupling.table, "D")
        d = latest_d[["entity", "period", "D", "grade"]]
        d = d.assign(entity=d["entity"].astype(str))
        d = d.merge(bands[["grade", "label"]], on="grade", how="left").sort_values("D", ascending=False)
        if many and len(d) > 2 * TOP_N:
            d = pd.concat(
                [
                    d.head(TOP_N).assign(part=pgettext("charts", "top", lang=lang)),
                    d.tail(TOP_N).assign(part=pgettext("charts", "bottom", lang=lang)),
                ]
            )
            notes.append(
                pgettext(
                    "charts", "D: the top and bottom {k} of {n} entities.", k=TOP_N, n=len(ents), lang=lang
                )
            )
        parts.append(
            unit(
                "bar",
                {
                    "y": field("entity:N", sort=[str(e) for e in d["entity"]], title=None),
                    "x": field(
                        "D:Q",
                        scale={"domain": [0, 1]},
                        title=pgettext("charts", "D (latest period)", lang=lang),
                    ),
                    "color": field(
                        "label:N",
                        scale=grade_colour_spec(bands),
                        sort=[str(v) for v in bands["label"]],
                        title=pgettext("charts", "Coordination grade", lang=lang),
                        legend={"columns": 2},
                    ),
                    "tooltip": tooltip("entity:N", "period:O", field("D:Q", format=".3f"), "label:N"),
                },
                data=data(d),
                width=220,
                height=max(60, 16 * len(d)),
            )
        )
    if result.stages is not None and not result.stages.empty:
        st = _latest(result.stages, "synergy")
        stage_col = f"stage_{code}" if f"stage_{code}" in st.columns else "stage"
        s = st.assign(entity=st["entity"].astype(str), stage_label=st[stage_col].astype(str))
        s = s[["entity", "period", "synergy", "stage_label"]].sort_values("synergy", ascending=False)
        if many and len(s) > 2 * TOP_N:
            s = pd.concat([s.head(TOP_N), s.tail(TOP_N)])
            notes.append(
                pgettext(
                    "charts",
                    "Synergy: the top and bottom {k} of {n} entities.",
                    k=TOP_N,
                    n=len(ents),
                    lang=lang,
                )
            )
        parts.append(
            unit(
                "bar",
                {
                    "y": field("entity:N", sort=[str(e) for e in s["entity"]], title=None),
                    "x": field(
                        "synergy:Q", title=pgettext("charts", "Synergy degree (latest period)", lang=lang)
                    ),
                    "color": field(
                        "stage_label:N",
                        title=pgettext("charts", "Synergy stage", lang=lang),
                        scale={"scheme": "tableau10"},
                        legend={"columns": 2},
                    ),
                    "tooltip": tooltip(
                        "entity:N", "period:O", field("synergy:Q", format=".3f"), "stage_label:N"
                    ),
                },
                data=data(s),
                width=220,
                height=max(60, 16 * len(s)),
            )
        )
    if notes:
        notes.append(_full_table_note("summary", lang))
    body = {"hconcat": parts, "resolve": {"scale": {"color": "independent"}}} if len(parts) > 1 else parts[0]
    return chart(
        "engine.ranking",
        pgettext(
            "charts",
            "Ranking of entities by the latest coupling coordination degree D and synergy degree",
            lang=lang,
        ),
        body,
        note=" ".join(notes) or None,
    )


def _coupling_many(result: Any, lang: str, n: int) -> list[Chart]:
    ct = result.coupling.table
    bands = grade_bands(lang)
    q = _quantiles(_ctd_long(ct, lang, entity_text=False), ["series", "period"])
    periods = period_sort(_periods(q))
    band = _bands_layer(bands, lang, opacity=0.18, data=data(bands))
    x = period_x_spec(periods, pgettext("charts", "Period", lang=lang))
    spread = unit(
        {"type": "area", "opacity": 0.22, "color": "#666666"},
        {"x": x, "y": field("q1:Q"), "y2": field("q3")},
        data=data(q[q["series"] == "D"]),
    )
    mid = unit(
        {"type": "line", "point": True},
        {
            "x": x,
            "y": field("median:Q"),
            "stroke": field(
                "series:N",
                title=None,
                scale={"domain": ["C", "T", "D"], "range": ["#0072B2", "#E69F00", "#000000"]},
            ),
            "tooltip": tooltip(
                "series:N",
                "period:O",
                field("median:Q", format=".3f"),
                field("q1:Q", format=".3f"),
                field("q3:Q", format=".3f"),
            ),
        },
        data=data(q),
    )
    left = pgettext("charts", "Lines of single entities are left out ({n} entities).", n=n, lang=lang)
    out = [
        chart(
            "engine.ctd",
            pgettext(
                "charts",
                "C, T and D across entities over time (medians; grey: interquartile range of D), with the ten grades",
                lang=lang,
            ),
            layer(band, spread, mid, width=480, height=280),
            note=f"{left} {_full_table_note('coupling', lang)}",
        )
    ]
    # number of entities in each grade, per period
    g = ct.dropna(subset=["grade"]).groupby(["period", "grade"], sort=False).size().reset_index(name="count")
    g = g.merge(bands[["grade", "label"]], on="grade", how="left")
    out.append(
        chart(
            "engine.grade_counts",
            pgettext("charts", "Number of entities in each coordination grade, by period", lang=lang),
            unit(
                "bar",
                {
                    "x": field("period:O", title=pgettext("charts", "Period", lang=lang), sort=periods),
                    "y": field(
                        "count:Q", stack="zero", title=pgettext("charts", "Number of entities", lang=lang)
                    ),
                    "color": field(
                        "label:N",
                        scale=grade_colour_spec(bands),
                        sort=[str(v) for v in bands["label"]],
                        title=pgettext("charts", "Coordination grade", lang=lang),
                        legend={"columns": 5},
                    ),
                    "order": field("grade:Q"),
                    "tooltip": tooltip("period:O", "label:N", "count:Q"),
                },
                data=data(g),
                width=480,
                height=260,
            ),
        )
    )
    latest_d = _latest(ct, "D")
    latest = latest_d.sort_values("D", ascending=False)
    ents = [str(e) for e in latest["entity"]]
    shown = ents[:TOP_N] + ents[-TOP_N:] if len(ents) > 2 * TOP_N else ents
    note = " ".join(
        [
            pgettext(
                "charts",
                "Rows: the top and bottom {k} of {n} entities by the latest D.",
                k=TOP_N,
                n=n,
                lang=lang,
            ),
            _full_table_note("coupling", lang),
        ]
    )
    out.append(_heatmap(ct, shown, lang, note=note))
    out.append(_ranking(result, lang, ents, many=True, latest_d=latest_d))
    return out


# ------------------------------------------------------------------------------------------ obstacles
def _obstacle_charts(result: Any, lang: str, names: Mapping[str, Any] | None, many: bool) -> list[Chart]:
    ob = result.obstacles
    out: list[Chart] = []
    top = ob.mean_by_indicator().head(10).copy()
    top["subsystem_label"] = display_all(top["subsystem"], names, lang)
    top["indicator"] = display_all(top["indicator"].astype(str), names, lang)
    out.append(
        chart(
            "engine.obstacle_top",
            pgettext(
                "charts",
                "Top obstacle indicators (mean obstacle degree over all entities and periods)",
                lang=lang,
            ),
            unit(
                "bar",
                {
                    "y": field("indicator:N", sort=[str(i) for i in top["indicator"]], title=None),
                    "x": field(
                        "obstacle:Q",
                        title=pgettext("charts", "Obstacle degree", lang=lang),
                        axis={"format": ".0%"},
                    ),
                    "color": field("subsystem_label:N", title=pgettext("charts", "Subsystem", lang=lang)),
                    "tooltip": tooltip("indicator:N", "subsystem_label:N", field("obstacle:Q", format=".3f")),
                },
                data=data(top),
                width=380,
                height=max(80, 20 * len(top)),
            ),
            note=pgettext(
                "charts",
                "The ten indicators with the highest mean obstacle degree; all indicators: table “{t}”.",
                t=_table_title("obstacles_indicator", lang),
                lang=lang,
            ),
        )
    )
    sub = ob.subsystem
    subs = [s for s in sub.columns if s not in ("entity", "period")]
    if many:
        long = sub.melt(id_vars=["entity", "period"], value_vars=subs, var_name="s", value_name="share")
        m = long.groupby(["period", "s"], sort=False)["share"].mean().reset_index()
        m["subsystem_label"] = display_all(m["s"], names, lang)
        periods = period_sort(_periods(m))
        body = unit(
            "bar",
            {
                "x": field("period:O", sort=periods, title=pgettext("charts", "Period", lang=lang)),
                "y": field(
                    "share:Q",
                    stack="normalize",
                    title=pgettext("charts", "Share of the obstacle degree", lang=lang),
                    axis={"format": ".0%"},
                ),
                "color": field("subsystem_label:N", title=pgettext("charts", "Subsystem", lang=lang)),
                "tooltip": tooltip("period:O", "subsystem_label:N", field("share:Q", format=".1%")),
            },
            data=data(m),
            width=480,
            height=240,
        )
        title = pgettext(
            "charts", "Obstacle degree by subsystem: mean share over all entities, by period", lang=lang
        )
        note = _full_table_note("obstacles_subsystem", lang)
    else:
        last = _latest(sub.assign(_v=sub[subs[0]]), "_v").drop(columns="_v")
        long = last.melt(id_vars=["entity", "period"], value_vars=subs, var_name="s", value_name="share")
        long["subsystem_label"] = display_all(long["s"], names, lang)
        long["entity"] = long["entity"].astype(str)
        body = unit(
            "bar",
            {
                "y": field("entity:N", title=None, sort=_entities(long)),
                "x": field(
                    "share:Q",
                    stack="normalize",
                    title=pgettext("charts", "Share of the obstacle degree", lang=lang),
                    axis={"format": ".0%"},
                ),
                "color": field("subsystem_label:N", title=pgettext("charts", "Subsystem", lang=lang)),
                "tooltip": tooltip(
                    "entity:N", "period:O", "subsystem_label:N", field("share:Q", format=".1%")
                ),
            },
            data=data(long),
            width=420,
            height=max(60, 22 * last.shape[0]),
        )
        title = pgettext("charts", "Obstacle degree by subsystem in the latest period", lang=lang)
        note = None
    out.append(chart("engine.obstacle_subsystem", title, body, note=note))
    return out


# ------------------------------------------------------------------------------------------ GM(1,1)
def _forecast_charts(result: Any, lang: str, names: Mapping[str, Any] | None) -> list[Chart]:
    out: list[Chart] = []
    for name, fc in result.forecasts.items():
        params = fc.params
        ok = params[params["status"] == "ok"] if "status" in params.columns else params
        n_refused = int(len(params) - len(ok))
        vals = fc.values
        if name == "synergy":
            what = pgettext("charts", "synergy degree", lang=lang)
        elif name == "D":
            what = _("Coupling coordination degree D", lang=lang)
        else:
            what = display(name, names, lang)
            what = _(name.replace("_", " "), lang=lang) if what == name else what
        notes: list[str] = []
        if n_refused:
            notes.append(
                pgettext(
                    "charts",
                    "{k} of {n} series were refused by GM(1,1) and are not drawn; the reasons are in table “{t}”.",
                    k=n_refused,
                    n=len(params),
                    t=_("GM(1,1) model of {series}: parameters and accuracy", series=what, lang=lang),
                    lang=lang,
                )
            )
        if vals is None or vals.empty:
            # nothing fitted: no chart; the refusals are reported by the table, say so once here
            continue
        # one series per (entity, variable), in order of appearance; only the first FACET_MAX are
        # drawn, so only their rows are labelled (a national panel has thousands of series)
        pairs = vals[["entity", "variable"]].astype(str).drop_duplicates()
        n_series = len(pairs)
        if n_series > FACET_MAX:
            notes.append(
                pgettext("charts", "{k} of {n} fitted series are drawn.", k=FACET_MAX, n=n_series, lang=lang)
            )
            keep = pairs.head(FACET_MAX)
            mask = pd.MultiIndex.from_frame(vals[["entity", "variable"]].astype(str)).isin(
                pd.MultiIndex.from_frame(keep)
            )
            v = vals[mask].copy()
        else:
            v = vals.copy()
        v["entity"] = v["entity"].astype(str)
        v["series"] = [
            f"{e} · {display(s, names, lang)}" if s != name else e
            for e, s in zip(v["entity"], v["variable"].astype(str))
        ]
        series = [str(x) for x in dict.fromkeys(v["series"])]
        v["kind_label"] = v["kind"].map(
            {
                "fit": pgettext("charts", "fitted", lang=lang),
                "forecast": pgettext("charts", "forecast", lang=lang),
            }
        )
        periods = period_sort(_periods(v))
        x = period_x_spec(periods, pgettext("charts", "Period", lang=lang))
        fitted = unit(
            "line",
            {
                "x": x,
                "y": field("fitted:Q", title=what),
                "color": {"value": "#0072B2"},
                "tooltip": tooltip("series:N", "period:O", "kind_label:N", field("fitted:Q", format=".3f")),
            },
            transform=[{"filter": "datum.kind == 'fit'"}],
        )
        bridge = unit(
            {"type": "line", "color": "#0072B2", "strokeDash": [4, 3]},
            {"x": x, "y": field("fitted:Q")},
            transform=[{"filter": "datum.kind == 'forecast' || datum.last_fit"}],
        )
        actual = unit(
            {"type": "point", "color": "#000", "filled": True, "size": 22},
            {
                "x": x,
                "y": field("actual:Q"),
                "tooltip": tooltip("series:N", "period:O", field("actual:Q", format=".3f")),
            },
        )
        last_fit = v[v["kind"] == "fit"].groupby("series")["period"].transform("max")
        v["last_fit"] = (v["kind"] == "fit") & (v["period"] == last_fit.reindex(v.index))
        body = facet(
            layer(fitted, bridge, actual, width=240, height=150),
            field("series:N", title=None, sort=series),
            _facet_columns(len(series)),
            data=data(v),
        )
        out.append(
            chart(
                f"engine.forecast_{name}",
                pgettext("charts", "GM(1,1) fit and forecast of {what}", what=what, lang=lang),
                body,
                note=" ".join(
                    [
                        pgettext(
                            "charts",
                            "Points: observed values; solid line: fitted; dashed: forecast.",
                            lang=lang,
                        ),
                        *notes,
                    ]
                ),
            )
        )
    return out


def _with_entity_names(result: Any, lang: str) -> Any:
    """The result with entity values replaced by their display names where a bundled dataset has them."""
    import dataclasses

    frames = [getattr(result.synergy, "synergy", None), getattr(result.coupling, "table", None)]
    keys = next((list(f["entity"].unique()) for f in frames if f is not None and not f.empty), [])
    mapping = entity_names(keys, lang)
    if not mapping:
        return result

    def ren(f: Any) -> Any:
        if f is None or "entity" not in getattr(f, "columns", ()):
            return f
        return f.assign(entity=f["entity"].astype(str).replace(mapping))

    syn, coup, obs = result.synergy, result.coupling, result.obstacles
    if syn is not None:
        syn = dataclasses.replace(syn, subsystem_order=ren(syn.subsystem_order), synergy=ren(syn.synergy))
    if coup is not None:
        coup = dataclasses.replace(coup, table=ren(coup.table))
    if obs is not None:
        obs = dataclasses.replace(obs, subsystem=ren(obs.subsystem))
    forecasts = {
        k: dataclasses.replace(v, values=ren(v.values), params=ren(v.params))
        for k, v in result.forecasts.items()
    }
    return dataclasses.replace(
        result, synergy=syn, coupling=coup, obstacles=obs, stages=ren(result.stages), forecasts=forecasts
    )


def engine_charts(
    run_result: Any,
    lang: str | None = None,
    names: Mapping[str, Any] | None = None,
    *,
    on_charts: Callable[[list[Chart]], None] | None = None,
) -> list[Chart]:
    """The charts of a :class:`~cbeclab.pipeline.RunResult`, in report order.

    Parameters
    ----------
    run_result
        The result of :func:`cbeclab.pipeline.run_spec`.
    lang
        ``"en"`` or ``"zh"`` (default: the current language).
    names
        Display names of subsystems (``{name: {en, zh}}`` or ``{name: text}``), e.g. from the framework.
    on_charts
        Called with each group of charts as soon as it is built (the PNG helper of a run starts
        drawing them while the rest are built).

    Returns
    -------
    list of Chart
        With at most ``LINE_MAX`` entities: per-entity order degree and synergy, synergy of all entities
        on one axis, C/T/D with grade bands, heat map of D, rankings, obstacle bars, GM(1,1) fits.
        With more: distributions across entities, grade counts, heat map and rankings of the top and
        bottom ``TOP_N``, histograms; each says in ``note`` what it left out.
    """
    code = resolve_lang(lang)
    run_result = _with_entity_names(run_result, code)
    out: list[Chart] = []
    syn = run_result.synergy
    ents: list[str] = []
    for frame in (getattr(syn, "synergy", None), getattr(run_result.coupling, "table", None)):
        if frame is not None and not frame.empty:
            ents = _entities(frame)
            break
    many = len(ents) > LINE_MAX

    def add(charts: list[Chart]) -> None:
        out.extend(charts)
        if on_charts is not None and charts:
            on_charts(list(charts))

    if syn is not None and not syn.synergy.empty:
        add(
            _synergy_many(run_result, code, names, len(ents))
            if many
            else _synergy_few(run_result, code, names)
        )
    if run_result.coupling is not None and not run_result.coupling.table.empty:
        add(_coupling_many(run_result, code, len(ents)) if many else _coupling_few(run_result, code))
    elif run_result.stages is not None and not run_result.stages.empty:
        add([_ranking(run_result, code, ents, many=many)])
    if run_result.obstacles is not None:
        add(_obstacle_charts(run_result, code, names, many))
    add(_forecast_charts(run_result, code, names))
    return out
