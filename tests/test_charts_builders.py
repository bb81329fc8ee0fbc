"""Chart builders on the bundled examples (zh and en), the many-entity switch, spec sizes, CJK glyphs."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbeclab.i18n import _
from cbeclab.render.charts import Chart
from cbeclab.render.charts.diagnose import diagnose_charts
from cbeclab.render.charts.engine import engine_charts
from cbeclab.render.charts.sem import path_diagram, stars
from cbeclab.render.charts.sensitivity import sensitivity_chart
from cbeclab.render.charts.survey import construct_labels, survey_charts
from pngread import ink_fraction, read_png

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def run_result():
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import load_spec

    return run_spec(load_spec(ROOT / "examples/guangzhou/spec.yaml"))


@pytest.fixture(scope="module")
def survey_result():
    from cbeclab.survey.spec import load_survey_spec
    from cbeclab.survey.workflow import run_survey

    s = load_survey_spec(ROOT / "examples/yongkang/survey.yaml")
    s = s.model_copy(update={"bootstrap": s.bootstrap.model_copy(update={"draws": 20})})
    return run_survey(s)


@pytest.fixture(scope="module")
def diagnosis():
    from cbeclab.diagnose.report import run_diagnosis

    return run_diagnosis(ROOT / "examples/diagnose/spec.yaml")


def _spec_text(c: Chart) -> str:
    return json.dumps(c.spec, ensure_ascii=False)


def _values(spec: dict, node: dict) -> list[dict]:
    """Rows of a (sub)chart's data: inline values or a named entry of the top-level datasets."""
    d = node["data"]
    return d["values"] if "values" in d else spec["datasets"][d["name"]]


def _check_png(c: Chart) -> None:
    px = read_png(c.to_png(scale=1.0))
    assert px.shape[0] > 60 and px.shape[1] > 150, c.key
    assert 0.005 < ink_fraction(px) < 0.8, c.key


@pytest.mark.parametrize("lang", LANGS)
def test_engine_charts_few_entities(run_result, lang: str) -> None:
    charts = engine_charts(run_result, lang)
    keys = [c.key for c in charts]
    for k in (
        "engine.order_synergy",
        "engine.synergy_all",
        "engine.ctd",
        "engine.heatmap_D",
        "engine.ranking",
        "engine.obstacle_top",
        "engine.obstacle_subsystem",
        "engine.forecast_D",
    ):
        assert k in keys
    assert "engine.grade_counts" not in keys  # many-entity chart not used for 5 entities
    assert len(set(keys)) == len(keys)
    text = "".join(_spec_text(c) for c in charts)
    # entity display names of the bundled dataset, in the report's language
    for ent in ("珠宝首饰", "食品饮料") if lang == "zh" else ("Jewelry", "Food and beverage"):
        assert ent in text
    if lang == "zh":
        assert "协调等级" in text and "时期" in text and "数字贸易" in text
        assert "Coordination grade" not in text
    else:
        assert "Coordination grade" in text and "协调等级" not in text
    # the GM(1,1) refusals are reported, not dropped silently
    fc = next(c for c in charts if c.key == "engine.forecast_D")
    # ... and point to the report table that lists the reasons, by its caption (not a data key)
    gm_table = _(
        "GM(1,1) model of {series}: parameters and accuracy",
        series=_("Coupling coordination degree D", lang=lang),
        lang=lang,
    )
    assert fc.note and "3" in fc.note and gm_table in fc.note and "forecast_D" not in fc.note
    for c in charts:
        assert c.kind == "vega-lite" and c.spec and c.spec["config"]["font"] == "Liberation Sans, Noto Sans CJK SC"
        assert c.title and len(_spec_text(c)) < 150_000
    _check_png(charts[0])
    _check_png(next(c for c in charts if c.key == "engine.ctd"))


def test_grade_bands_are_the_ten_grades(run_result) -> None:
    c = next(c for c in engine_charts(run_result, "zh") if c.key == "engine.ctd")
    txt = _spec_text(c)
    for label in ("1 极度失调", "10 优质协调", "6 勉强协调"):
        assert label in txt


def _big_result(run_result, n_ent: int = 3000, n_per: int = 20):
    """The demo's RunResult with its tables swapped for a synthetic n_ent × n_per panel (not written)."""
    import dataclasses

    rng = np.random.default_rng(1)
    ents = [f"县{i:04d}" for i in range(n_ent)]
    per = list(range(2001, 2001 + n_per))
    idx = pd.MultiIndex.from_product([ents, per], names=["entity", "period"]).to_frame(index=False)
    n = len(idx)
    subs = list(run_result.subsystems)
    so = idx.copy()
    for s in subs:
        so[s] = rng.uniform(0, 1, n)
    sy = idx.assign(synergy=rng.uniform(-0.3, 0.9, n))
    D = rng.uniform(0.05, 0.98, n)
    from cbeclab.models.coupling import grade_of

    g = grade_of(D)
    ct = idx.assign(C=rng.uniform(0.5, 1, n), T=rng.uniform(0, 1, n), D=D, grade=g["grade"].to_numpy())
    from cbeclab.diagnose.stages import synergy_stage

    st = synergy_stage(sy.rename(columns={}))
    syn = dataclasses.replace(run_result.synergy, subsystem_order=so, synergy=sy)
    coup = dataclasses.replace(run_result.coupling, table=ct)
    obs_sub = idx.copy()
    w = rng.dirichlet(np.ones(len(subs)), n)
    for i, s in enumerate(subs):
        obs_sub[s] = w[:, i]
    obs = dataclasses.replace(run_result.obstacles, subsystem=obs_sub)
    return dataclasses.replace(run_result, synergy=syn, coupling=coup, stages=st, obstacles=obs, forecasts={})


@pytest.mark.parametrize("lang", LANGS)
def test_many_entities_switch_and_size(run_result, lang: str) -> None:
    big = _big_result(run_result)
    charts = engine_charts(big, lang)
    keys = [c.key for c in charts]
    assert "engine.order_synergy" not in keys and "engine.synergy_all" not in keys
    for k in (
        "engine.synergy_distribution",
        "engine.synergy_histogram",
        "engine.ctd",
        "engine.grade_counts",
        "engine.heatmap_D",
        "engine.ranking",
        "engine.obstacle_subsystem",
    ):
        assert k in keys, k
    by = {c.key: c for c in charts}
    for k in ("engine.synergy_distribution", "engine.ctd", "engine.heatmap_D", "engine.ranking"):
        assert by[k].note and "3000" in by[k].note, k
    heat = by["engine.heatmap_D"].spec
    txt = json.dumps(heat, ensure_ascii=False)
    assert txt.count('"entity"') < 2 * 30 * 20 + 50  # top and bottom 15 only
    total = sum(len(_spec_text(c)) for c in charts)
    assert total < 600_000, total
    for c in charts:
        assert len(_spec_text(c)) < 150_000, c.key
    # ranking shows exactly 2 × 15 entities per measure
    rank = by["engine.ranking"].spec
    assert len(_values(rank, rank["hconcat"][0])) == 30
    _check_png(by["engine.synergy_distribution"])


@pytest.mark.parametrize("lang", LANGS)
def test_survey_charts(survey_result, lang: str) -> None:
    charts = survey_charts(survey_result, lang)
    assert [c.key for c in charts] == ["survey.loadings", "survey.path_diagram"]
    lo, pd_ = charts
    vals = _values(lo.spec, lo.spec["layer"][0])
    got = {v["item"]: v["loading"] for v in vals}
    want = survey_result.std_loadings
    assert max(abs(got[k] - float(want[k])) for k in want.index) < 1e-6
    svg = pd_.to_svg()
    assert svg.startswith("<svg") and "<?xml" not in svg
    names = construct_labels(survey_result.spec)
    for c in ("F1", "M", "Y"):
        assert names[c][lang][:5] in html.unescape(svg)
    assert "R² = 0.094" in svg and "R² = 0.270" in svg
    assert "ellipse" in svg and svg.count("<polygon") > 20  # ovals and item boxes
    _check_png(pd_)
    _check_png(lo)


def test_path_diagram_coefficients_and_stars(survey_result) -> None:
    c = path_diagram(survey_result.sem, "en", show_errors=True)
    p = survey_result.sem.params
    for r in p[p["op"] == "~"].itertuples():
        assert f"{r.std_all:.2f}{stars(r.pvalue)}" in html.unescape(c.svg)
    assert ">e1<" in c.svg and ">e24<" in c.svg
    assert stars(0.0004) == "***" and stars(0.004) == "**" and stars(0.04) == "*" and stars(0.2) == ""
    assert stars(float("nan")) == ""


@pytest.mark.parametrize("lang", LANGS)
def test_diagnose_charts(diagnosis, lang: str) -> None:
    charts = diagnose_charts(diagnosis, lang)
    keys = [c.key for c in charts]
    assert keys == [
        "diagnose.mode_scores",
        "diagnose.mode_rules",
        "diagnose.empowerment_radar",
        "diagnose.subsystems4",
    ]
    txt = "".join(_spec_text(c) for c in charts)
    if lang == "zh":
        assert "技术赋能" in txt and "传统外贸拓展海外市场模式" in txt and "跨境电商子系统" in txt
    else:
        assert "technology empowerment" in txt and "Cross-border e-commerce subsystem" in txt
    for c in charts:
        _check_png(c)


@pytest.mark.parametrize("n", [6, 300])
def test_sensitivity_chart(n: int) -> None:
    rng = np.random.default_rng(0)
    f = pd.DataFrame(
        {
            "entity": [f"E{i}" for i in range(n)],
            "stage_stability": rng.uniform(0.3, 1, n),
            "grade_stability": rng.uniform(0.3, 1, n),
            "synergy": rng.uniform(0, 0.8, n),
            "D": rng.uniform(0.2, 0.9, n),
        }
    )
    f["synergy_p05"], f["synergy_p95"] = f["synergy"] - 0.1, f["synergy"] + 0.1
    f["D_p05"], f["D_p95"] = f["D"] - 0.05, f["D"] + 0.05
    c = sensitivity_chart(f, "zh")
    txt = _spec_text(c)
    # the sensitivity module's own column names give the same chart
    same = f.rename(columns={"stage_stability": "stage_same", "grade_stability": "grade_same"})
    assert sensitivity_chart(same, "zh").spec == c.spec
    if n > 30:
        assert "vconcat" in c.spec and "300" in (c.note or "")
        least = f.assign(m=f[["stage_stability", "grade_stability"]].min(axis=1)).nsmallest(15, "m")["entity"]
        for e in least:
            assert f'"{e}"' in txt
    assert "协调等级不变" in txt
    _check_png(c)


def test_cjk_glyphs_are_drawn_not_tofu() -> None:
    """Two different Chinese strings must give different pixels, and not the 'missing glyph' box twice."""

    def png(text: str) -> np.ndarray:
        spec = {
            "data": {"values": [{"t": text}]},
            "mark": {"type": "text", "fontSize": 40},
            "encoding": {"text": {"field": "t"}},
            "width": 200,
            "height": 60,
            "config": {"font": "Noto Sans CJK SC", "view": {"stroke": "transparent"}},
        }
        return read_png(Chart("t", "t", "vega-lite", spec).to_png(scale=1.0))

    a, b = png("协调"), png("障碍")
    assert a.shape == b.shape
    assert ink_fraction(a) > 0.01
    assert np.abs(a.astype(int) - b.astype(int)).sum() > 10_000


def test_every_chart_text_has_a_chinese_translation() -> None:
    from babel.messages.extract import extract_from_dir

    from cbeclab.i18n import has_translation

    src = ROOT / "src/cbeclab/render/charts"
    found = list(
        extract_from_dir(str(src), method_map=[("**.py", "python")], keywords={"pgettext": ((1, "c"), 2)})
    )
    assert len(found) > 50 and {m[4] for m in found} == {"charts"}
    missing = sorted({m[2] for m in found if not has_translation(m[2], "zh", context="charts")})
    assert not missing, missing


def test_path_diagram_of_a_measurement_model(survey_result) -> None:
    """A CFA (no structural paths): every factor correlation is labelled once, every loading shown."""
    cfa = survey_result.cfa
    c = path_diagram(cfa, "zh", labels=construct_labels(survey_result.spec))
    svg = html.unescape(c.svg)
    p = cfa.params
    cors = p[(p["op"] == "~~") & (p["lhs"] != p["rhs"])]
    assert len(cors) == 10
    for r in cors.itertuples():
        assert f"{r.std_all:.2f}{stars(r.pvalue)}" in svg
    assert svg.count("<ellipse") == 5 and "R²" not in svg
    _check_png(c)
