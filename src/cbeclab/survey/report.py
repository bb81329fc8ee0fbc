"""The survey report: a :class:`~cbeclab.survey.workflow.SurveyResult` as a Document, and its files.

The five paper tables come first, in seed 000's layout (表1 measurement model, 表2 Fornell–Larcker,
表3 fit, 表4 paths, 表5 bootstrap mediation), each followed by its interpretation; then the loadings
chart and the path diagram, the supporting tables (descriptives, KMO/Bartlett, EFA, HTMT), the
methods and the thresholds with their sources. Every number is read from the result's tables
(:mod:`cbeclab.survey.tables`); nothing is computed here. Files: ``survey.json``, ``survey.xlsx``,
``survey.html``, ``survey.docx`` (each atomically).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cbeclab.i18n import _, resolve_lang
from cbeclab.io.atomic import atomic_write_text
from cbeclab.render import interpret
from cbeclab.render.document import Banner, Column, Document, Figure, Paragraph, Section, Table
from cbeclab.render.jsonout import write_json
from cbeclab.render.methods import methods_section
from cbeclab.render.numbers import MISSING, Format, fmt_p
from cbeclab.survey.tables import FIT_INDICES, invariance_group_names, labels

if TYPE_CHECKING:
    from cbeclab.survey.workflow import SurveyResult

__all__ = ["build_survey_document", "render_html", "write_survey_outputs"]

FILES = {"json": "survey.json", "xlsx": "survey.xlsx", "html": "survey.html", "docx": "survey.docx"}

#: number formats of the survey table columns (keys of cbeclab.survey.tables); others are "auto"
_FORMATS: dict[str, Format] = {
    "p": "p",
    "n": "int",
    "missing": "int",
    "share_pct": "float",
}


#: columns printed once per construct (merged cells in the paper): blank, not a dash, below the first row
_MERGED = {"table1": ("alpha", "cr", "ave"), "table5": ("share_pct",)}


#: the note cbeclab.survey.workflow adds for synthetic responses (the banner already says it)
_SYNTHETIC_NOTE = "the responses are SYNTHETIC (generated), not real questionnaires"


def _is_synthetic(result: SurveyResult) -> bool:
    text = f"{result.spec.title_in('en') or ''} {result.spec.data.path}".lower()
    return "synthetic" in text or any("SYNTHETIC" in w for w in result.warnings)


def _table(df: pd.DataFrame, key: str, *, significance: bool = False, labels_p: str = "") -> Table:
    """A survey table (already translated headers) with formats from its column keys."""
    keys = list(df.attrs.get("keys") or df.columns)
    data = df.copy()
    data.columns = [str(k) for k in keys]
    merged = _MERGED.get(key, ())
    cols = tuple(
        Column(str(k), str(h), fmt=_FORMATS.get(str(k), "auto"), missing="" if k in merged else MISSING)
        for k, h in zip(keys, df.columns)
    )
    if key == "adequacy":  # one value column holding a KMO, a χ², counts and a p value
        p_row = data["measure"] == labels_p
        data["value"] = [fmt_p(v) if is_p else v for v, is_p in zip(data["value"], p_row)]
        cols = tuple(Column(c.key, c.label, fmt="cell") if c.key == "value" else c for c in cols)
    notes = (str(df.attrs["note"]),) if df.attrs.get("note") else ()
    return Table(
        key,
        str(df.attrs.get("title", key)),
        data,
        cols,
        notes,
        significance,
        sheet=str(df.attrs.get("sheet", key)),
    )


def _data_table(result: SurveyResult, lang: str) -> Table:
    c = result.checked
    rows: list[tuple[str, Any]] = [
        (_("Data file", lang=lang), result.spec.data.path),
        (_("Respondents in file", lang=lang), c.n_raw),
        (_("Respondents used", lang=lang), c.n_used),
        (_("Dropped listwise (missing answers)", lang=lang), c.n_dropped),
        (_("Likert range", lang=lang), f"{result.spec.likert[0]:g}–{result.spec.likert[1]:g}"),
        (
            _("SEM estimator", lang=lang),
            _(
                "{e} (ordered items: thresholds and polychoric correlations)",
                e=result.sem.estimator,
                lang=lang,
            )
            if result.spec.ordinal
            else result.sem.estimator,
        ),
        (_("Items", lang=lang), len(result.spec.items)),
        (_("Constructs", lang=lang), len(result.spec.constructs)),
        (
            _("Bootstrap draws", lang=lang),
            _(
                "{n} ({ci}, seed {seed})",
                n=result.boot_info.get("n_boot"),
                ci=result.spec.bootstrap.ci,
                seed=result.spec.seed,
                lang=lang,
            ),
        ),
    ]
    df = pd.DataFrame({"item": [r[0] for r in rows], "value": [str(r[1]) for r in rows]})
    return Table(
        "data",
        _("Data and checks", lang=lang),
        df,
        (
            Column("item", _("Item", lang=lang), fmt="text"),
            Column("value", _("Value", lang=lang), fmt="text"),
        ),
        sheet=_("Data", lang=lang),
        numbered=False,
    )


def _interpretations(result: SurveyResult, lang: str) -> dict[str, list[str]]:
    """Interpretation sentences under each paper table, read from the result."""
    th = result.thresholds
    out: dict[str, list[str]] = {}
    alphas = {c: float(a.raw_alpha) for c, a in result.alpha.items()}
    out["table1"] = [
        interpret.adequacy(
            float(result.kmo.overall),
            float(result.bartlett.chisq),
            int(result.bartlett.df),
            float(result.bartlett.p_value),
            th["kmo"].value,
            th["bartlett_p"].value,
            lang,
        ),
        interpret.reliability(alphas, th["alpha"].value, lang),
    ]
    ave = {str(k): float(v) for k, v in result.ave.items()}
    cr = {str(k): float(v) for k, v in result.cr.items()}
    out["table2"] = [interpret.validity(ave, cr, result.fl_ok, th["ave"].value, th["cr"].value, lang)]
    fit = result.fit
    out["table3"] = [
        interpret.fit(
            [
                (name, float(fit.get(key, float("nan"))), th[key].passes(float(fit.get(key, float("nan")))))
                for key, name in FIT_INDICES
            ],
            lang,
        )
    ]
    t4 = result.tables(lang)["table4"]
    keys = t4.attrs["keys"]
    t4 = t4.set_axis(keys, axis=1)
    rows = [
        (
            str(r["hypothesis"]),
            str(r["path"]),
            float(r["std_estimate"]),
            float(r["p"]),
            r["supported"] == labels(lang)["words"]["yes"],
        )
        for _i, r in t4.iterrows()
        if r["hypothesis"]
    ]
    if rows:
        out["table4"] = [interpret.paths(rows, lang)]
    eff = result.effects
    level = result.spec.bootstrap.level
    sent = []
    for r in eff[eff["effect"] == "indirect"].to_dict("records"):
        sent.append(
            interpret.mediation(
                str(r["hypothesis"] or ""),
                str(r["model"] or ""),
                str(r["verdict"]),
                float(r["est"]),
                float(r["ci_lower"]),
                float(r["ci_upper"]),
                level,
                lang,
            )
        )
    if sent:
        out["table5"] = sent
    return out


def _checks_section(result: SurveyResult, tables: dict[str, pd.DataFrame], lang: str) -> Section | None:
    """MSV/ASV beside AVE, common method bias (Harman, one-factor CFA), measurement invariance and
    modification indices, each table followed by its interpretation (render/interpretation.yaml)."""
    blocks: list[Any] = []
    if "msv_asv" in tables and result.msv_asv is not None:
        blocks.append(_table(tables["msv_asv"], "msv_asv"))
        msv = {str(c): float(result.msv_asv["msv"][c]) for c in result.msv_asv.index}
        ave = {str(k): float(v) for k, v in result.ave.items()}
        blocks.append(Paragraph(interpret.msv_asv(msv, ave, lang), "interpretation"))
    for key in ("harman", "single_factor"):
        if key in tables:
            blocks.append(_table(tables[key], key))
    if result.harman is not None and result.single_factor is not None:
        h, c = result.harman, result.single_factor
        text = interpret.cmb(h.share, h.cutoff, c.delta_chisq, c.delta_df, c.delta_pvalue, lang)
        blocks.append(Paragraph(text, "interpretation"))
    if "invariance" in tables and result.invariance is not None:
        blocks.append(_table(tables["invariance"], "invariance"))
        groups = _(", ", lang=lang).join(invariance_group_names(result, lang))
        rows = result.invariance.to_dict("records")
        blocks.append(Paragraph(interpret.invariance(rows, groups, lang), "interpretation"))
    if "modindices" in tables and result.modindices is not None:
        blocks.append(_table(tables["modindices"], "modindices"))
        mi_spec = result.spec.sem.modindices
        minimum = mi_spec.min if mi_spec is not None else 0.0
        text = interpret.modindices(result.modindices.to_dict("records"), minimum, lang)
        blocks.append(Paragraph(text, "interpretation"))
    if not blocks:
        return None
    title = _("Validity, common method bias, invariance and model modification", lang=lang)
    return Section("checks", title, tuple(blocks))


def _charts(result: SurveyResult, lang: str) -> list[Any]:
    from cbeclab.render.charts.survey import survey_charts

    return list(survey_charts(result, lang))


def build_survey_document(result: SurveyResult, lang: str | None = None) -> Document:
    """The survey report of ``result`` as a :class:`Document` (seed 000's Tables 1–5 first)."""
    lg = resolve_lang(lang or result.spec.lang)
    tables = result.tables(lg)
    interp = _interpretations(result, lg)
    L = labels(lg)
    sections = [Section("data", _("Data and checks", lang=lg), (_data_table(result, lg),))]
    for key in ("table1", "table2", "table3", "table4", "table5"):
        df = tables[key]
        blocks: list[Any] = [_table(df, key, significance=key == "table4")]
        blocks += [Paragraph(t, "interpretation") for t in interp.get(key, [])]
        sections.append(Section(key, str(df.attrs.get("title", key)), tuple(blocks)))
    if "profile" in tables:  # after the paper's Tables 1-5, so that their numbers stay the paper's
        prof = tables["profile"]
        sections.append(Section("profile", str(prof.attrs.get("title")), (_table(prof, "profile"),)))
    checks = _checks_section(result, tables, lg)
    if checks is not None:
        sections.append(checks)
    charts = _charts(result, lg)
    if charts:
        sections.append(Section("figures", _("Figures", lang=lg), tuple(Figure(c.key, c) for c in charts)))
    p_label = L["rows"]["bartlett_p"]
    extra = tuple(
        _table(tables[k], k, labels_p=p_label)
        for k in ("descriptives", "adequacy", "efa", "efa_variance", "htmt")
    )
    sections.append(Section("supporting", _("Supporting tables", lang=lg), extra))
    keys = ["alpha", "kmo", "validity", "sem"] + (["mediation"] if result.mediation else [])
    sections.append(methods_section(keys, lg))
    th = pd.DataFrame(
        [{"key": t.label(lg), "rule": t.text, "source": t.cite(lg)} for t in result.thresholds.values()]
    )
    sections.append(
        Section(
            "thresholds",
            _("Thresholds and their sources", lang=lg),
            (
                Table(
                    "thresholds",
                    _("Thresholds and their sources", lang=lg),
                    th,
                    (
                        Column("key", _("Measure", lang=lg), fmt="text"),
                        Column("rule", _("Threshold", lang=lg), fmt="text"),
                        Column("source", _("Source", lang=lg), fmt="text"),
                    ),
                    sheet=_("Thresholds", lang=lg),
                    numbered=False,
                ),
            ),
        )
    )
    title = result.spec.title_in(lg) or L["words"]["report_title"]
    banners = [Banner(w) for w in result.warnings]
    if _is_synthetic(result):
        # one banner says it (the run's own note on synthetic responses is the same statement)
        same = {_(_SYNTHETIC_NOTE, lang=x) for x in ("en", "zh")}
        banners = [Banner(L["words"]["synthetic"])] + [b for b in banners if b.text not in same]
        if _("synthetic", lang=lg).lower() not in title.lower():
            title += f" ({L['words']['synthetic']})"
    return Document(
        title=title,
        lang=lg,
        sections=tuple(sections),
        subtitle=f"n = {result.checked.n_used}",
        banners=tuple(banners),
        footer=_("Generated by cbeclab survey", lang=lg),
        kind="survey",
        files=FILES,
    )


def render_html(result: SurveyResult, lang: str | None = None) -> str:
    """The whole report as one self-contained HTML page."""
    from cbeclab.render.html import render_html as html_view

    return html_view(build_survey_document(result, lang))


def write_survey_outputs(result: SurveyResult, out: str | Path, lang: str | None = None) -> dict[str, Path]:
    """Write survey.json, survey.xlsx, survey.html and survey.docx into ``out`` (created if needed)."""
    from cbeclab.render.docx import render_docx
    from cbeclab.render.html import render_html as html_view
    from cbeclab.render.xlsx import render_xlsx

    lg = resolve_lang(lang or result.spec.lang)
    d = Path(out)
    from cbeclab.io.atomic import ensure_dir

    ensure_dir(d)
    paths = {k: d / v for k, v in FILES.items()}
    write_json(paths["json"], result.to_dict(lg))
    doc = build_survey_document(result, lg)
    render_xlsx(doc, paths["xlsx"])
    atomic_write_text(paths["html"], html_view(doc))
    render_docx(doc, paths["docx"])
    return paths
