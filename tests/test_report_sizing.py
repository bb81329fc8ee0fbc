"""Outputs sized to the work (issue 8): the report of many entities shows counts, the top and bottom
entities and, in each per-entity table, those entities' latest rows, and names the file with every row;
the figures' PNGs drawn by the helper process are the bytes Chart.to_png gives."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from docx import Document as open_docx

from cbeclab.pipeline import run_spec
from cbeclab.render import pngjobs, sizing
from cbeclab.render.docx import docx_bytes
from cbeclab.render.engine_report import build_engine_document
from cbeclab.render.html import render_html
from cbeclab.spec import load_spec

sys.path.insert(0, str(Path(__file__).parent))
from test_store import SPEC, make_panel  # noqa: E402


def test_ranked_counts_and_entity_rows_by_hand() -> None:
    s = pd.DataFrame(
        {"entity": list("abcdef"), "D": [0.5, 0.9, 0.1, np.nan, 0.7, 0.3], "grade": list("xyxxy") + [None]}
    )
    r = sizing.ranked(s, n=2)
    assert list(r["entity"]) == ["b", "e", "f", "c"] and list(r["rank"]) == [1, 2, 4, 5]
    assert list(sizing.ranked(s, n=3)["entity"]) == ["b", "e", "a", "f", "c"]  # 5 ranked <= 2n: all once
    c = sizing.class_counts(s, [("grade", "Grade")], none="(none)")
    assert c.to_dict("list") == {
        "measure": ["Grade"] * 3,
        "class": ["x", "y", "(none)"],
        "entities": [3, 2, 1],
        "share": [0.5, 2 / 6, 1 / 6],
    }
    long = pd.DataFrame({"entity": list("aabbcc"), "period": [1, 2, 1, 2, 1, 2], "v": range(6)})
    assert sizing.entity_rows(long, ["c", "a"]).tolist() == [5, 1]  # chosen order, latest period
    assert sizing.entity_rows(long, ["c", "a"], period=None).tolist() == [4, 5, 0, 1]
    assert sizing.entity_rows(long, ["zz"]).tolist() == []
    assert not sizing.many(sizing.MANY_ENTITIES) and sizing.many(sizing.MANY_ENTITIES + 1)


@pytest.fixture(scope="module")
def many_result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("many")
    make_panel(n_e=45).to_csv(folder / "panel.csv", index=False)
    (folder / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return run_spec(load_spec(folder / "spec.yaml"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_many_entities_report_shows_counts_top_bottom_and_names_the_files(many_result, lang: str) -> None:  # type: ignore[no-untyped-def]
    doc = build_engine_document(many_result, lang)
    tables = {t.key: t for t in doc.tables("html")}
    summ = many_result.summary()
    counts = tables["summary_counts"].data
    assert counts.groupby("measure")["entities"].sum().tolist() == [45, 45]
    top = tables["summary_top"]
    full = next(t for t in doc.tables("xlsx") if t.key == "summary")  # the workbook keeps every entity
    assert "summary" not in tables and len(full.data) == 45 and full.views == ("xlsx",)
    assert len(top.data) == 2 * sizing.TOP_N and top.data["rank"].tolist() == [*range(1, 11), *range(36, 46)]
    assert top.data["D"].iloc[0] == summ["D"].max() and top.data["D"].iloc[-1] == summ["D"].min()
    picked = set(top.data["entity"])
    last = many_result.coupling.table["period"].max()
    for key, source in (("coupling", "coupling"), ("stages", "stages"), ("order", "subsystem_order")):
        t = tables[key]
        shown = t.data.iloc[t.positions()]
        assert set(shown["entity"]) == picked and (shown["period"] == last).all() and len(shown) == 20
        note = doc.truncation_note(t)
        assert note and f"tables/{source}.parquet" in note and "20" in note and str(len(t.data)) in note
    w = tables["weights"]  # per-entity weights: the first and last entity of the ranking
    assert set(w.data.iloc[w.positions()]["group"]) == {
        top.data["entity"].iloc[0],
        top.data["entity"].iloc[-1],
    }
    page = render_html(doc)
    assert page.count("tables/coupling.parquet") == 1
    d = open_docx(io.BytesIO(docx_bytes(doc)))
    word = [t for t in doc.tables("docx")]
    assert [len(t.rows) for t in d.tables] == [1 + len(t.positions()) for t in word]


def test_few_entities_report_lists_every_entity(tmp_path: Path) -> None:
    make_panel(n_e=12).to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    doc = build_engine_document(run_spec(load_spec(tmp_path / "spec.yaml")), "en")
    tables = {t.key: t for t in doc.tables("html")}
    assert "summary_counts" not in tables and len(tables["summary"].positions()) == 12
    assert not tables["coupling"].truncated  # 96 rows: every row shown


def test_helper_process_pngs_are_the_in_process_pngs(many_result) -> None:  # type: ignore[no-untyped-def]
    doc = build_engine_document(many_result, "en")
    figs = doc.figures()[:3]
    with pngjobs.PngJobs() as jobs:
        jobs.submit(figs)
        got = jobs.results()
    assert set(got) == set(figs)
    for f in figs:
        assert got[f] == f.chart.to_png(scale=2.0)


def test_figures_sent_group_by_group_come_back_complete(many_result) -> None:  # type: ignore[no-untyped-def]
    """Charts are streamed to the helper as they are built (several submits); a submit after the
    results were collected is ignored."""
    doc = build_engine_document(many_result, "zh")
    figs = doc.figures()[:4]
    with pngjobs.PngJobs() as jobs:
        jobs.submit(figs[:1])
        jobs.submit([])
        jobs.submit(figs[1:4])
        got = jobs.results()
        jobs.submit(doc.figures()[4:])
    assert list(got) == figs  # in the order sent, every one drawn
    for f in figs:
        assert got[f] == f.chart.to_png(scale=2.0)


@pytest.mark.parametrize("collect", ["results", "pending"])
def test_a_helper_that_cannot_start_leaves_the_figures_to_the_run(
    many_result, monkeypatch: pytest.MonkeyPatch, collect: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pngjobs, "_WORKER", Path("/nonexistent/_png_worker.py"))
    doc = build_engine_document(many_result, "en")
    with pngjobs.PngJobs() as jobs:
        jobs.submit(doc.figures())
        got = jobs.results() if collect == "results" else jobs.pending()
        assert [got.get(f) for f in doc.figures()] == [None] * len(doc.figures())  # none waited for
        d = open_docx(io.BytesIO(docx_bytes(doc, got)))
    assert len(d.inline_shapes) == len(doc.figures())


def test_pending_waits_for_each_figure_and_gives_the_helpers_bytes(many_result) -> None:  # type: ignore[no-untyped-def]
    """``pending().get`` blocks until that figure is drawn: the Word file built from it while the
    helper still works holds the same pictures as one built from the collected results."""
    doc = build_engine_document(many_result, "en")
    figs = doc.figures()[:3]
    with pngjobs.PngJobs() as jobs:
        jobs.submit(figs)
        view = jobs.pending()
        got = [view.get(f) for f in reversed(figs)]  # asked out of order: each waits for its own
        assert view.get(object()) is None  # never sent: answered at once, not waited for
        jobs.submit(doc.figures()[3:])  # input ended: ignored
    assert got[::-1] == [f.chart.to_png(scale=2.0) for f in figs]
