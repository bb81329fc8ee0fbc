"""Every bundled example rendered in zh and en to HTML, XLSX and DOCX; each DOCX reopened.

Checks what a reader would see: numbered captions (表1 / Table 1), tables and images in the Word file
matching the document, interpretation paragraphs, GM(1,1) parameters and refusals with their reasons,
no Python reprs (``nan``, ``np.int64(...)``, ``{'...': ...}``) and no seed-paper remarks in users' tables.
"""

from __future__ import annotations

import html as htmllib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook

from cbeclab.diagnose.report import build_diagnosis_document, run_diagnosis, write_diagnosis
from cbeclab.examples import demo_spec
from cbeclab.pipeline import run_spec
from cbeclab.render.engine_report import build_engine_document, write_outputs
from cbeclab.render.xlsx import xlsx_bytes
from cbeclab.spec import load_spec
from cbeclab.survey.report import build_survey_document, write_survey_outputs
from cbeclab.survey.spec import load_survey_spec
from cbeclab.survey.workflow import run_survey

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("zh", "en")
REPR = re.compile(r"\bnan\b|np\.\w+\(|\{'|\bNone\b|Timestamp\(")


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    sv = load_survey_spec(ROOT / "examples/yongkang/survey.yaml")
    sv = sv.model_copy(update={"bootstrap": sv.bootstrap.model_copy(update={"draws": 100})})
    return {
        "demo": run_spec(demo_spec()),
        "guangzhou": run_spec(load_spec(ROOT / "examples/guangzhou/spec.yaml")),
        "yongkang": run_survey(sv),
        "diagnose": run_diagnosis(ROOT / "examples/diagnose/spec.yaml"),
    }


def _write(kind: str, res: Any, out: Path, lang: str) -> tuple[Any, dict[str, Path]]:
    if kind == "yongkang":
        return build_survey_document(res, lang), write_survey_outputs(res, out, lang)
    if kind == "diagnose":
        return build_diagnosis_document(res, lang), write_diagnosis(res, out, lang)
    spec = res.spec.model_copy(update={"lang": lang})
    res = type(res)(**{**res.__dict__, "spec": spec})
    return build_engine_document(res, lang), write_outputs(res, out)


def _visible(page: str) -> str:
    body = re.sub(r"<script.*?</script>|<style.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["demo", "guangzhou", "yongkang", "diagnose"])
def test_example_renders_to_three_views(
    results: dict[str, Any], kind: str, lang: str, tmp_path: Path
) -> None:
    doc, paths = _write(kind, results[kind], tmp_path, lang)
    assert {"html", "xlsx", "docx"} <= set(paths) and all(p.stat().st_size > 0 for p in paths.values())
    first = "表1" if lang == "zh" else "Table 1"
    # HTML: numbered three-line tables, interpretation, no reprs
    page = paths["html"].read_text(encoding="utf-8")
    text = _visible(page)
    assert f"{first}  " in text and 'class="tl"' in page and 'class="interp"' in page
    assert not REPR.search(text), REPR.search(text)
    assert "seed 000 Table" not in text and "known defect" not in text
    if lang == "zh":
        assert "Table 1" not in text and "Figure 1" not in text
        titles = re.findall(r"<h2>(.*?)</h2>", re.sub(r"<script.*?</script>", "", page, flags=re.S))
        assert titles and all(re.search(r"[\u4e00-\u9fff]", t) for t in titles), titles
    # DOCX: the same tables, captions and images
    d = open_docx(str(paths["docx"]))
    docx_tables = doc.tables("docx")
    assert len(d.tables) == len(docx_tables) > 0
    caps = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith(first) for c in caps) and len(caps) == len(docx_tables) + len(doc.figures())
    assert len(d.inline_shapes) == len(doc.figures())
    assert any(
        p.text.strip() and p.paragraph_format.first_line_indent for p in d.paragraphs
    )  # interpretation
    body = "\n".join(p.text for p in d.paragraphs) + "\n".join(
        c.text for t in d.tables for r in t.rows for c in r.cells
    )
    assert not REPR.search(body), REPR.search(body)
    # XLSX: contents sheet first, one sheet per table (a run's workbook too: the report's XLSX view)
    wb = load_workbook(paths["xlsx"], read_only=True)
    assert wb.sheetnames[0] == ("目录" if lang == "zh" else "Contents")
    assert len(wb.sheetnames) >= len(doc.tables("xlsx")) + 1


def test_gm11_parameters_and_refusals_are_shown(results: dict[str, Any], tmp_path: Path) -> None:
    res = results["guangzhou"]
    params = res.forecasts["D"].params
    refused = params[params["status"] == "refused"]
    assert len(refused) and (params["status"] == "ok").any()
    doc, paths = _write("guangzhou", res, tmp_path, "en")
    page = _visible(paths["html"].read_text(encoding="utf-8"))
    for head in (
        "Development coefficient a",
        "Grey input b",
        "Posterior-error ratio C",
        "Small-error probability P",
        "Accuracy grade",
    ):
        assert head in page
    assert str(refused["reason"].iloc[0]) in page  # the reason where the forecast would be
    wb = load_workbook(io.BytesIO(xlsx_bytes(doc)), read_only=True)  # the Document's workbook view
    sheet = next(s for s in wb.sheetnames if s.startswith("GM ") and "D" in s)
    header = next(wb[sheet].iter_rows(values_only=True))
    assert "Development coefficient a" in header and "Reason" in header
    # the Word file: the same parameters and the refusal reason in the GM(1,1) table's cells
    cells = {c.text for t in open_docx(str(paths["docx"])).tables for r in t.rows for c in r.cells}
    assert {"Development coefficient a", "Posterior-error ratio C", "Reason"} <= cells
    assert str(refused["reason"].iloc[0]) in cells
    # the run's own workbook (result.xlsx) is the same view: the reason is on the GM sheet
    run = load_workbook(paths["xlsx"], read_only=True)
    rows = [v for r in run[sheet].iter_rows(values_only=True) for v in r]
    assert str(refused["reason"].iloc[0]) in rows


def test_data_source_is_shown_relative_to_the_spec(results: dict[str, Any]) -> None:
    gz = build_engine_document(results["guangzhou"], "en")
    assert gz.subtitle == "Data source: panel.csv"  # examples/guangzhou/panel.csv, next to the spec
    demo = build_engine_document(results["demo"], "zh")
    assert demo.subtitle is not None and "内置数据集" in demo.subtitle and "dataset:" not in demo.subtitle


def test_wide_tables_go_on_landscape_pages(results: dict[str, Any], tmp_path: Path) -> None:
    from docx.enum.section import WD_ORIENT

    from cbeclab.render.docx import WIDE_COLUMNS

    doc, paths = _write("yongkang", results["yongkang"], tmp_path, "zh")
    wide = [t for t in doc.tables("docx") if len(t.cols()) > WIDE_COLUMNS]
    assert wide  # table 1 of the survey (loadings, reliability, validity) has 15 columns
    d = open_docx(str(paths["docx"]))
    orient = {s.orientation for s in d.sections}
    assert orient == {WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE}
    assert all(s.page_width > s.page_height for s in d.sections if s.orientation == WD_ORIENT.LANDSCAPE)


def test_section_titles_follow_the_number_of_subsystems(results: dict[str, Any]) -> None:
    gz = build_engine_document(results["guangzhou"], "zh")
    assert any("2 个子系统" in t.caption for t in gz.tables())
    assert not any("四子系统" in s.title or "4 个子系统" in s.title for s in gz.sections)
    dg = build_diagnosis_document(results["diagnose"], "zh")
    assert any(s.title == "4 个子系统的协调" for s in dg.sections)
    # the chart title counts the subsystems too, and names the focus entity by its display name
    assert any("合成集群A的4个子系统" in f.title for f in dg.figures())


def test_modes_rules_have_no_raw_dicts() -> None:
    from cbeclab.diagnose.modes import load_mode_rules

    modes, _rules = load_mode_rules()
    for m in modes:
        for part in (m.advantages, m.limitations):
            for lang, items in part.items():
                assert all(isinstance(x, str) for x in items), (m.key, lang, items)
