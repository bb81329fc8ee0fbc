"""Writers for a survey run: ``survey.json``, ``survey.xlsx`` (one sheet a table), ``survey.html``.

Presentation only: the tables come from :meth:`SurveyResult.tables`, the writing from
:mod:`cbeclab.render` (escaping, SVG charts, atomic JSON/XLSX writes) and :mod:`cbeclab.io.atomic`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cbeclab.io.atomic import atomic_write_text
from cbeclab.render import (
    Section,
    bar_chart_svg,
    html_page,
    kv_table_html,
    table_html,
    write_json,
    write_xlsx,
)
from cbeclab.survey.tables import labels

if TYPE_CHECKING:
    from cbeclab.survey.workflow import SurveyResult

__all__ = ["render_html", "write_survey_outputs", "xlsx_sheets"]

#: digits shown in the HTML tables (the JSON/XLSX keep full precision)
DIGITS = 3


def _is_synthetic(result: SurveyResult) -> bool:
    text = f"{result.spec.title or ''} {result.spec.data.path}".lower()
    return "synthetic" in text or any("SYNTHETIC" in w for w in result.warnings)


def _title(result: SurveyResult, lang: str) -> str:
    L = labels(lang)
    title = result.spec.title or L["words"]["report_title"]
    if _is_synthetic(result) and "synthetic" not in title.lower():
        title += f" ({L['words']['synthetic']})"
    return title


def _data_pairs(result: SurveyResult, lang: str) -> list[tuple[str, object]]:
    c = result.checked
    zh = lang == "zh"
    pairs: list[tuple[str, object]] = [
        ("数据文件" if zh else "Data file", result.spec.data.path),
        ("问卷数" if zh else "Respondents in file", c.n_raw),
        ("有效样本" if zh else "Respondents used", c.n_used),
        ("列删除（缺失）" if zh else "Dropped listwise (missing answers)", c.n_dropped),
        ("量表范围" if zh else "Likert range", f"{result.spec.likert[0]:g}–{result.spec.likert[1]:g}"),
        ("题项数" if zh else "Items", len(result.spec.items)),
        ("潜变量数" if zh else "Constructs", len(result.spec.constructs)),
        (
            "Bootstrap",
            f"{result.boot_info.get('n_boot')} ({result.spec.bootstrap.ci}, seed {result.spec.seed})",
        ),
    ]
    if _is_synthetic(result):
        pairs.insert(0, ("注意" if zh else "Note", labels(lang)["words"]["synthetic"]))
    return pairs


def _loadings_charts(result: SurveyResult, lang: str) -> str:
    figs = []
    for c, s in result.std_loadings_by_construct.items():
        cs = result.spec.constructs.get(c)
        name = cs.label(c, lang) if cs is not None else c
        svg = bar_chart_svg({str(k): float(v) for k, v in s.items()}, title=f"{c} {name}", x_range=(0.0, 1.0))
        figs.append(f"<figure>{svg}</figure>")
    return f'<div class="charts">{"".join(figs)}</div>'


def render_html(result: SurveyResult, lang: str | None = None) -> str:
    """The whole report as one self-contained HTML page."""
    lang = lang or result.spec.lang
    L = labels(lang)
    tables = result.tables(lang)
    sections = [Section(L["titles"]["data"], kv_table_html(_data_pairs(result, lang)), anchor="data")]
    for key, df in tables.items():
        body = table_html(df, digits=DIGITS)
        note = df.attrs.get("note")
        sections.append(Section(str(df.attrs.get("title", key)), body, anchor=key, intro=note))
        if key == "table1":
            sections.append(
                Section(L["titles"]["loadings_chart"], _loadings_charts(result, lang), anchor="loadings")
            )
    sub = f"n = {result.checked.n_used}"
    return html_page(
        _title(result, lang),
        sections,
        lang,
        subtitle=sub,
        warnings=list(result.warnings),
        footer="cbeclab survey — seed 000 (Zhu & Lu) workflow",
    )


def xlsx_sheets(result: SurveyResult, lang: str | None = None) -> dict[str, pd.DataFrame]:
    """Sheet name → table: the ten tables, then thresholds and warnings."""
    lang = lang or result.spec.lang
    zh = lang == "zh"
    out = {str(df.attrs.get("sheet", k)): df for k, df in result.tables(lang).items()}
    out["标准来源" if zh else "thresholds"] = pd.DataFrame(
        [{"key": t.key, "rule": t.text, "source": t.source} for t in result.thresholds.values()]
    )
    notes = [f"{_title(result, lang)}"] + list(result.warnings)
    out["说明" if zh else "notes"] = pd.DataFrame({"note": notes})
    return out


def write_survey_outputs(result: SurveyResult, out: str | Path, lang: str | None = None) -> dict[str, Path]:
    """Write ``survey.json``, ``survey.xlsx`` and ``survey.html`` into ``out`` (created if needed)."""
    lang = lang or result.spec.lang
    d = Path(out)
    from cbeclab.io.atomic import ensure_dir

    ensure_dir(d)
    paths = {"json": d / "survey.json", "xlsx": d / "survey.xlsx", "html": d / "survey.html"}
    write_json(paths["json"], result.to_dict(lang))
    write_xlsx(paths["xlsx"], xlsx_sheets(result, lang))
    atomic_write_text(paths["html"], render_html(result, lang))
    return paths
