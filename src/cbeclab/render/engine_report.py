"""The engine report: a :class:`~cbeclab.pipeline.RunResult` as a Document, and its files.

:func:`build_engine_document` reads the run's result tables (nothing is computed here) into numbered
tables, figures, interpretation paragraphs and a methods section; :func:`write_outputs` writes
``result.json``, ``result.xlsx``, ``report.html`` and ``report.docx`` (each atomically).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from cbeclab import __version__
from cbeclab.i18n import _, resolve_lang
from cbeclab.i18n.names import display_name
from cbeclab.render import interpret, sizing
from cbeclab.render.columns import column, lang_column, map_values, table_from_frame
from cbeclab.render.document import Banner, Bullets, Document, Figure, Paragraph, Section, Table
from cbeclab.render.methods import methods_section
from cbeclab.render.numbers import is_missing

__all__ = ["PRETTY_JSON_CELLS", "build_engine_document", "display_names", "render_html", "write_outputs"]

#: panels up to this many cells get indented result.json; larger ones are written compact (smaller, faster)
PRETTY_JSON_CELLS = 50_000
#: per-cluster weights are printed side by side up to this many entities (long form beyond)
MAX_ENTITY_CHARTS = 12
FILES = {"json": "result.json", "xlsx": "result.xlsx", "html": "report.html", "docx": "report.docx"}


def display_names(
    spec: Any, subsystems: dict[str, dict[str, int]], lang: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Display names and units of subsystems and indicators: the framework's, else the key itself.

    A subsystem key without a framework name is shown with underscores as spaces, through the
    catalogue (``digital_trade`` -> "digital trade" -> "数字贸易").
    """
    names: dict[str, str] = {}
    units: dict[str, str] = {}
    if getattr(spec, "framework", None):
        from cbeclab.errors import CbecError
        from cbeclab.frameworks import load_framework

        try:
            cand = spec.resolve(spec.framework)
            fw = load_framework(str(cand) if cand.is_file() else spec.framework)
        except CbecError:
            fw = None
        if fw is not None:
            names.update(fw.names(lang))
            for ind in fw.indicators():
                if ind.unit:
                    units[ind.id] = _(str(ind.unit), lang=lang)
    dataset = getattr(getattr(spec, "data", None), "dataset", None)
    if dataset:  # columns of a bundled dataset (exports -> 出口额)
        from cbeclab.i18n.names import names_of

        for key in names_of("variable", dataset):
            names.setdefault(key, display_name("variable", key, lang, source=dataset))
    for s in subsystems:
        names.setdefault(s, _(s.replace("_", " "), lang=lang))
    return names, units


def _rel_source(spec: Any, source: str) -> str:
    base = getattr(spec, "base_dir", None)
    if base and os.path.isabs(source):
        try:
            return os.path.relpath(source, base)
        except ValueError:
            return source
    return source


def _source_text(spec: Any, source: str, lang: str) -> str:
    """Where the data came from: a bundled dataset by its title, a file relative to the spec."""
    dataset = getattr(getattr(spec, "data", None), "dataset", None)
    if dataset and source.startswith("dataset:"):
        return _("bundled dataset “{title}”", title=display_name("dataset", dataset, lang), lang=lang)
    return _rel_source(spec, source)


def _charts(
    result: Any, names: dict[str, str], lang: str, on_figures: Callable[[list[Figure]], None] | None = None
) -> list[Figure]:
    """The engine charts as Figures; ``on_figures`` gets each group as soon as it is built."""
    from cbeclab.render.charts.engine import engine_charts

    made: dict[int, Figure] = {}  # the same Figure objects go to on_figures and into the document

    def built(charts: list[Any]) -> None:
        group = [made.setdefault(id(c), Figure(c.key, c)) for c in charts]
        if on_figures is not None:
            on_figures(group)

    charts = engine_charts(result, lang, names, on_charts=built)
    return [made.get(id(c)) or Figure(c.key, c) for c in charts]


def _series_label(name: str, names: dict[str, str], lang: str) -> str:
    """Display name of a forecast series: a data name, else a result column's label (synergy, D)."""
    if name in names:
        return names[name]
    col = column(name, lang)
    return col.label if col.label != name else _(name.replace("_", " "), lang=lang)


def _map_unique(df: pd.DataFrame, col: str, fn: Any) -> pd.DataFrame:
    """``df`` with ``fn`` applied to each distinct non-missing value of ``col`` (looked up once each)."""
    if col not in df.columns:
        return df
    return map_values(df, (col,), {str(v): fn(v) for v in pd.unique(df[col]) if not is_missing(v)})


def _gm_labels(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """GM(1,1) value labels (accuracy grade, residual and ratio test verdicts) in ``lang``."""
    for c in ("grade_label", "residual_test", "ratio_test"):
        df = _map_unique(df, c, lambda v: display_name("gm11", v, lang))
    return df


def _interp_synergy(stages: pd.DataFrame, lang: str) -> Paragraph | None:
    df = lang_column(stages, "stage", lang)
    df = df[pd.to_numeric(df["synergy"], errors="coerce").notna()]
    if df.empty:
        return None
    # the reading uses each entity's first and last defined synergy (one row per entity when many)
    g = df.groupby("entity", sort=False)
    series: dict[str, list[tuple[Any, float, str, Any]]] = {}
    for part in (g.head(1), g.tail(1)):
        for i, e, per, v, st in zip(
            part.index.tolist(),
            part["entity"].astype(str).tolist(),
            part["period"].tolist(),
            part["synergy"].astype(float).tolist(),
            part["stage"].astype(str).tolist(),
        ):
            rows = series.setdefault(e, [])
            if not rows or rows[0][3] != i:
                rows.append((per, v, st, i))
    return Paragraph(
        interpret.synergy({e: [r[:3] for r in rows] for e, rows in series.items()}, lang), "interpretation"
    )


def _latest_coupling(ct: pd.DataFrame, names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    return interpret.coupling_rows(
        lang_column(ct.groupby("entity", sort=False).tail(1), "grade", lang), names
    )


def build_engine_document(
    result: Any, lang: str | None = None, *, on_figures: Callable[[list[Figure]], None] | None = None
) -> Document:
    """The engine report of a :class:`~cbeclab.pipeline.RunResult` as a :class:`Document`.

    ``on_figures`` is called with the report's figures as soon as they exist, group by group while
    the charts are built and before the tables are (:func:`cbeclab.store.write_run` hands them to a
    process that draws the Word report's PNGs).
    """
    lg = resolve_lang(lang or result.spec.lang)
    spec, p = result.spec, result.panel
    names, units = display_names(spec, result.subsystems, lg)
    figures = _charts(result, names, lg, on_figures)
    sens = getattr(result, "sensitivity", None)
    sens_figure = None
    if sens is not None:
        from cbeclab.render.charts.sensitivity import sensitivity_chart

        chart = sensitivity_chart(sens.to_frame(), lg)
        sens_figure = Figure(chart.key, chart)
    if on_figures is not None and sens_figure is not None:
        on_figures([sens_figure])
    sections: list[Section] = []
    xlsx_only = ("xlsx",)

    # entity names of a bundled dataset in the output language (a user's own names stay as they are)
    from cbeclab.i18n.names import display_name, names_of

    # the data's own entity and period columns (cluster, year) print as Entity / Period
    key_labels = {p.entity: _("Entity", lang=lg), p.period: _("Period", lang=lg)}
    known = names_of("entity")
    ents = {
        str(e): shown
        for e in p.entities
        if str(e) in known and (shown := display_name("entity", str(e), lg)) != str(e)
    }
    summ = result.summary()
    # many entities: the report shows counts, the top and bottom entities and, in every per-entity
    # table, the rows of those entities (render.sizing); the store holds every row
    big = sizing.many(len(p.entities))
    key = sizing.rank_key(summ)
    top = sizing.ranked(summ) if big and not summ.empty else None
    picked = [str(e) for e in top["entity"]] if top is not None else []
    key_col = key or "D"
    from cbeclab.store.runstore import TABLES_DIR

    def shown_note(source: str, which: str, shown: int, total: int) -> str:
        return _(
            "Shown: {which}, {shown} of {total} rows. Every row: {file} in the run folder (the "
            "contents sheet of {xlsx} lists the tables the workbook holds).",
            which=which,
            shown=shown,
            total=total,
            file=f"{TABLES_DIR}/{source}.parquet",
            xlsx=FILES["xlsx"],
            lang=lg,
        )

    def tab(
        key: str,
        caption: str,
        df: pd.DataFrame,
        *,
        source: str | None = None,
        by: str = "entity",
        period: str = "period",
        ends: bool = False,
        **kw: Any,
    ) -> Table:
        """A table of the report; ``source`` names the store table that holds every row.

        Many entities: the rows of the ranked entities (``ends``: only the first and the last of the
        ranking, for tables of many rows per entity such as weights and bounds).
        """
        rows: list[int] | None = None
        note = None
        if source is not None:
            chosen = [picked[0], picked[-1]] if ends and picked else picked
            if chosen and by in df.columns:
                found = sizing.entity_rows(df, chosen, column=by, period=period).tolist()
                rows = found or None  # pooled weights: no entity rows to pick
            if rows is not None:
                measure = column(str(key_col), lg).label
                which = (
                    _(
                        "the rows of the entities with the highest and the lowest {measure}",
                        measure=measure,
                        lang=lg,
                    )
                    if ends
                    else _(
                        "the rows of the {k} entities of the ranking (highest and lowest {measure}), "
                        "each in its latest period",
                        k=len(chosen),
                        measure=measure,
                        lang=lg,
                    )
                )
                note = shown_note(source, which, len(rows), len(df))
            elif len(df) > sizing.DISPLAY_ROWS:
                note = shown_note(source, _("the first rows", lang=lg), sizing.DISPLAY_ROWS, len(df))
        df = map_values(df, ("entity", "group", str(p.entity)), ents)
        return table_from_frame(
            key,
            caption,
            df,
            lg,
            names=names,
            units=units,
            sheet=kw.pop("sheet", None),
            rows=rows,
            shown_note=note,
            source=source,
            **kw,
        )

    if not summ.empty:
        s = map_values(lang_column(lang_column(summ, "stage", lg), "grade", lg), ("lagging",), names)
        blocks: list[Any] = []
        if top is None:
            blocks.append(
                tab(
                    "summary",
                    _("Latest period of each entity", lang=lg),
                    s,
                    source="summary",
                    sheet=_("Summary", lang=lg),
                )
            )
        else:
            counts = sizing.class_counts(
                s,
                [("stage", _("Synergy stage", lang=lg)), ("grade", _("Coordination grade", lang=lg))],
                none=_("(none)", lang=lg),
            )
            blocks.append(
                tab(
                    "summary_counts",
                    _(
                        "Entities per synergy stage and coordination grade (latest period, {n} entities)",
                        n=len(s),
                        lang=lg,
                    ),
                    counts.assign(share=100 * counts["share"]),
                    labels={"measure": _("Classification", lang=lg), "class": _("Class", lang=lg)},
                    formats={"share": "pct"},
                )
            )
            # the workbook keeps the whole summary (one row per entity); the page and the Word file
            # show the counts and the ranking
            blocks.append(
                tab(
                    "summary",
                    _("Latest period of each entity", lang=lg),
                    s,
                    sheet=_("Summary", lang=lg),
                    numbered=False,
                    views=xlsx_only,
                    source="summary",
                )
            )
            ranked_rows = s.set_index("entity", drop=False).loc[top["entity"]].reset_index(drop=True)
            ranked_rows.insert(0, "rank", top["rank"].to_numpy())
            blocks.append(
                tab(
                    "summary_top",
                    _(
                        "The {k} entities with the highest and the {k} with the lowest {measure} (latest period)",
                        k=sizing.TOP_N,
                        measure=column(key_col, lg).label,
                        lang=lg,
                    ),
                    ranked_rows,
                    views=("html", "docx"),
                    notes=(
                        shown_note(
                            "summary",
                            _("the top and bottom of the ranking", lang=lg),
                            len(ranked_rows),
                            len(s),
                        ),
                    ),
                )
            )
        if (
            result.stages is not None
            and (par := _interp_synergy(map_values(result.stages, ("entity",), ents), lg)) is not None
        ):
            blocks.append(par)
        if result.coupling is not None:
            blocks.append(
                Paragraph(
                    interpret.coupling(
                        _latest_coupling(map_values(result.coupling.table, ("entity",), ents), names, lg), lg
                    ),
                    "interpretation",
                )
            )
        sections.append(Section("summary", _("Summary", lang=lg), tuple(blocks)))

    if figures:
        sections.append(Section("charts", _("Charts", lang=lg), tuple(figures)))

    if result.synergy is not None:
        syn = result.synergy
        w = map_values(syn.weights.to_frame(), ("subsystem", "indicator"), names)
        w = map_values(w, ("group",), {"pooled": _("all entities (pooled)", lang=lg)})
        if "group" in w and 1 < w["group"].nunique() <= MAX_ENTITY_CHARTS:
            # one column per entity, as papers print per-cluster weights side by side
            w = map_values(w, ("group",), ents).pivot_table(
                index=["subsystem", "indicator"], columns="group", values="weight", sort=False
            )
            w = w.reset_index()
            w.columns = [str(c) for c in w.columns]
        b = map_values(syn.bounds, ("indicator",), names)
        b = map_values(b, ("group",), {"pooled": _("all entities (pooled)", lang=lg)})
        sections.append(
            Section(
                "weights",
                _("Indicator weights and order-parameter bounds", lang=lg),
                (
                    tab(
                        "weights",
                        _("Indicator weights ({method})", method=spec.weights.method, lang=lg),
                        w,
                        source="weights_synergy",
                        by="group",
                        ends=True,
                        sheet=_("Weights", lang=lg),
                    ),
                    tab(
                        "bounds",
                        _("Order-parameter bounds", lang=lg),
                        b,
                        source="bounds",
                        by="group",
                        ends=True,
                        sheet=_("Bounds", lang=lg),
                    ),
                ),
            )
        )
        so = syn.subsystem_order.rename(columns={s: names.get(s, s) for s in result.subsystems})
        blocks = [
            tab(
                "order",
                _("Order degree of each subsystem", lang=lg),
                so,
                source="subsystem_order",
                sheet=_("Order degree", lang=lg),
            )
        ]
        if result.stages is not None:
            st = lang_column(result.stages, "stage", lg)
            blocks.append(
                tab(
                    "stages",
                    _("Synergy degree and stage", lang=lg),
                    st,
                    source="stages",
                    sheet=_("Synergy", lang=lg),
                )
            )
        raw = syn.synergy.rename(
            columns={
                f"delta_{s}": _("Δ order {name}", name=names.get(s, s), lang=lg) for s in result.subsystems
            }
        )
        blocks.append(
            tab(
                "synergy_raw",
                _("Synergy computation", lang=lg),
                raw,
                sheet=_("Synergy detail", lang=lg),
                numbered=False,
                views=xlsx_only,
                source="synergy",
            )
        )
        blocks.append(
            tab(
                "order_wide",
                _("Order degree of each indicator", lang=lg),
                syn.order_wide.reset_index(),
                sheet=_("Indicator order", lang=lg),
                numbered=False,
                views=xlsx_only,
                labels=key_labels,
                source="order_degree",
            )
        )
        sections.append(Section("synergy", _("Subsystem order and synergy", lang=lg), tuple(blocks)))

    if result.coupling is not None:
        cp = result.coupling
        ct = map_values(lang_column(cp.table, "grade", lg), ("lagging",), names)
        ct = ct.rename(
            columns={f"U_{s}": _("U {name}", name=names.get(s, s), lang=lg) for s in result.subsystems}
        )
        k = len(result.subsystems)
        blocks = [
            tab(
                "coupling",
                _("Coupling coordination of the {k} subsystems", k=k, lang=lg),
                ct,
                source="coupling",
                sheet=_("Coupling", lang=lg),
            )
        ]
        if cp.weights is not None:
            cw = map_values(cp.weights.to_frame(), ("subsystem", "indicator"), names)
            cw = map_values(cw, ("group",), {"pooled": _("all entities (pooled)", lang=lg)})
            blocks.append(
                tab(
                    "weights_coupling",
                    _("Indicator weights of the coupling model", lang=lg),
                    cw,
                    source="weights_coupling",
                    by="group",
                    ends=True,
                    sheet=_("Coupling weights", lang=lg),
                )
            )
        sections.append(Section("coupling", _("Coupling coordination", lang=lg), tuple(blocks)))

    if result.obstacles is not None:
        ob = result.obstacles
        top_obs = map_values(ob.top, ("indicator", "subsystem"), names)
        sub = ob.subsystem.rename(columns={s: names.get(s, s) for s in result.subsystems})
        blocks = [
            tab(
                "obstacles_top",
                _("Top obstacle indicators", lang=lg),
                top_obs,
                source="obstacles_top",
                sheet=_("Obstacles", lang=lg),
            ),
            tab(
                "obstacles_sub",
                _("Obstacle degree of each subsystem", lang=lg),
                sub,
                source="obstacles_subsystem",
                sheet=_("Subsystem obstacles", lang=lg),
            ),
        ]
        if len(ob.top):
            first = ob.top["entity"].iloc[0]
            rows = ob.top[ob.top["entity"] == first]
            per = rows["period"].max()
            rows = rows[rows["period"] == per]
            srow = ob.subsystem[(ob.subsystem["entity"] == first) & (ob.subsystem["period"] == per)]
            if len(srow):
                vals = {s: float(srow[s].iloc[0]) for s in result.subsystems if s in srow}
                smax = max(vals, key=lambda s: vals[s])
                blocks.append(
                    Paragraph(
                        interpret.obstacles(
                            ents.get(str(first), str(first)),
                            per,
                            [
                                (names.get(str(i), str(i)), float(v))
                                for i, v in zip(rows["indicator"], rows["obstacle"])
                            ],
                            (names.get(smax, smax), vals[smax]),
                            lg,
                        ),
                        "interpretation",
                    )
                )
        blocks.append(
            tab(
                "obstacles_wide",
                _("Obstacle degree of each indicator", lang=lg),
                ob.obstacle_wide.reset_index(),
                sheet=_("Indicator obstacles", lang=lg),
                numbered=False,
                views=xlsx_only,
                labels=key_labels,
                source="obstacles_indicator",
            )
        )
        sections.append(Section("obstacles", _("Obstacle factors", lang=lg), tuple(blocks)))

    if result.forecasts:
        blocks = []
        for name, fc in result.forecasts.items():
            label = _series_label(name, names, lg)
            short = names.get(name, _(name.replace("_", " "), lang=lg))  # sheet names hold 31 characters
            params = _map_unique(fc.params, "variable", lambda v: _series_label(str(v), names, lg))
            params = _map_unique(params, "status", lambda v: _(str(v), lang=lg))
            params = _gm_labels(params, lg)
            blocks.append(
                tab(
                    f"gm_{name}",
                    _("GM(1,1) model of {series}: parameters and accuracy", series=label, lang=lg),
                    params.drop(columns=["grade"], errors="ignore"),
                    source=f"forecast_{name}_params",
                    labels={"C": _("Posterior-error ratio C", lang=lg)},
                    sheet=_("GM {series}", series=short, lang=lg)[:31],
                )
            )
            # interpret.gm11 reads status, a and C only (records of every column cost ~0.1 s a series)
            gm_cols = [c for c in fc.params.columns if c in ("status", "a", "C")]
            recs = [dict(r) for r in fc.params[gm_cols].to_dict("records")]
            for text in interpret.gm11(recs, lg):
                blocks.append(Paragraph(text, "interpretation"))
            if len(fc.values):
                v = _map_unique(fc.values, "variable", lambda x: _series_label(str(x), names, lg))
                v = _map_unique(v, "kind", lambda x: _(str(x), lang=lg))
                v = _gm_labels(v, lg).drop(columns=["grade"], errors="ignore")
                blocks.append(
                    tab(
                        f"gmv_{name}",
                        _("GM(1,1) fitted values and forecast of {series}", series=label, lang=lg),
                        v,
                        source=f"forecast_{name}",
                        sheet=_("GM values {series}", series=short, lang=lg)[:31],
                    )
                )
            else:
                blocks.append(
                    Banner(
                        _(
                            "No series of {series} could be forecast; the reasons are in the table above.",
                            series=label,
                            lang=lg,
                        )
                    )
                )
        sections.append(Section("forecasts", _("GM(1,1) forecasts", lang=lg), tuple(blocks)))

    if sens is not None and sens_figure is not None:
        st = sens.to_frame()
        intro = _(
            "{n} perturbed runs (weights drawn around the estimate, bound margin {lo:.3g}-{hi:.3g}): how often each "
            "entity keeps the synergy stage and coordination grade of the main run, and the 5th/50th/95th "
            "percentiles of synergy and D.",
            n=sens.n_draws,
            lo=sens.options["bound_margin_range"][0],
            hi=sens.options["bound_margin_range"][1],
            lang=lg,
        )
        sections.append(
            Section(
                "sensitivity",
                _("Sensitivity analysis", lang=lg),
                (
                    sens_figure,
                    tab("sensitivity", _("Sensitivity analysis", lang=lg), st, source="sensitivity"),
                ),
                intro=intro,
            )
        )

    panel_long = p.data.reset_index()
    mask = None
    if bool(p.imputed.to_numpy().any()):
        imp = p.imputed.reset_index(drop=True)
        mask = {str(c): list(imp[c].astype(bool)) for c in imp.columns}
    sections.append(
        Section(
            "panel",
            _("Input data", lang=lg),
            (
                tab(
                    "panel",
                    _("Input panel (highlighted cells were imputed)", lang=lg)
                    if mask
                    else _("Input panel", lang=lg),
                    panel_long,
                    source="panel",
                    by=str(p.entity),
                    period=str(p.period),
                    sheet=_("Input data", lang=lg),
                    highlight=mask,
                    labels=key_labels,
                ),
            ),
        )
    )
    keys = []
    if spec.weights.method == "entropy":
        keys.append("entropy")
    if result.synergy is not None:
        keys.append("synergy")
    if result.coupling is not None:
        keys.append("coupling")
    if result.obstacles is not None:
        keys.append("obstacles")
    if result.forecasts:
        keys.append("gm11")
    sections.append(methods_section(keys, lg))
    notes: list[Any] = [Bullets(tuple(dict.fromkeys(list(p.notes) + list(result.notes))))]
    if len(p.missing):
        notes.append(
            tab(
                "missing",
                _("Missing cells", lang=lg),
                map_values(p.missing, ("indicator",), names),
                sheet=_("Missing cells", lang=lg),
                numbered=False,
                views=xlsx_only,
                source="missing_cells",
            )
        )
    from cbeclab.pipeline import imputed_cells

    imputed = imputed_cells(p)
    if len(imputed):
        notes.append(
            tab(
                "imputed",
                _("Imputed cells", lang=lg),
                map_values(imputed, ("indicator",), names),
                sheet=_("Imputed cells", lang=lg),
                numbered=False,
                views=xlsx_only,
                source="imputed_cells",
            )
        )
    if notes[0].items or len(notes) > 1:
        sections.append(Section("notes", _("Data notes", lang=lg), tuple(notes)))
    banners = []
    if p.synthetic or "synthetic" in str(p.source).lower():
        banners.append(
            Banner(
                _(
                    "Part of this data is SYNTHETIC (generated, not observed): read the numbers as a demonstration of the method, not as findings.",
                    lang=lg,
                )
            )
        )
    return Document(
        title=spec.title
        or (display_name("dataset", spec.data.dataset, lg) if spec.data.dataset else None)
        or _("cbeclab report: synergy and coordination", lang=lg),
        lang=lg,
        sections=tuple(sections),
        subtitle=_("Data source: {source}", source=_source_text(spec, str(p.source), lg), lang=lg),
        banners=tuple(banners),
        footer=_("Generated by cbeclab {version}", version=__version__, lang=lg),
        kind="engine",
        files=FILES,
    )


def render_html(result: Any, lang: str = "en") -> str:
    """The HTML report of a run (the HTML view of :func:`build_engine_document`)."""
    from cbeclab.render.html import render_html as html_view

    return html_view(build_engine_document(result, lang))


def write_outputs(result: Any, out: str | Path) -> dict[str, Path]:
    """Write the run folder ``out`` (store, result.json, result.xlsx, report.html, report.docx, manifest).

    Kept for callers of the first releases; see :func:`cbeclab.store.write_run`.
    """
    from cbeclab.store import write_run

    return write_run(result, out)
