"""Every chart in an offline HTML page, zh and en, drawn by headless Chromium; screenshots for review."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def _all_charts(lang: str) -> list:
    from cbeclab.diagnose.report import run_diagnosis
    from cbeclab.pipeline import run_spec
    from cbeclab.render.charts.diagnose import diagnose_charts
    from cbeclab.render.charts.engine import engine_charts
    from cbeclab.render.charts.survey import survey_charts
    from cbeclab.spec import load_spec
    from cbeclab.survey.spec import load_survey_spec
    from cbeclab.survey.workflow import run_survey

    s = load_survey_spec(ROOT / "examples/yongkang/survey.yaml")
    s = s.model_copy(update={"bootstrap": s.bootstrap.model_copy(update={"draws": 20})})
    import numpy as np
    import pandas as pd

    from cbeclab.render.charts.sensitivity import sensitivity_chart

    rng = np.random.default_rng(0)  # a made-up sensitivity table: the chart is what is checked here
    sens = pd.DataFrame(
        {
            "entity": [f"E{i}" for i in range(8)],
            "stage_same": rng.uniform(0.4, 1, 8),
            "grade_same": rng.uniform(0.4, 1, 8),
            "synergy": rng.uniform(0, 0.8, 8),
            "D": rng.uniform(0.3, 0.9, 8),
        }
    )
    sens["synergy_p05"], sens["synergy_p95"] = sens["synergy"] - 0.08, sens["synergy"] + 0.1
    sens["D_p05"], sens["D_p95"] = sens["D"] - 0.05, sens["D"] + 0.04
    return [
        sensitivity_chart(sens, lang),
        *engine_charts(run_spec(load_spec(ROOT / "examples/guangzhou/spec.yaml")), lang),
        *survey_charts(run_survey(s), lang),
        *diagnose_charts(run_diagnosis(ROOT / "examples/diagnose/spec.yaml"), lang),
    ]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_page_renders_in_chromium(tmp_path: Path, lang: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh / .ci/run do)")
    from playwright.sync_api import sync_playwright

    from cbeclab.render.charts.page import charts_page

    charts = _all_charts(lang)
    page_file = tmp_path / f"charts.{lang}.html"
    page_file.write_text(charts_page(charts, "cbeclab charts", lang), encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: (
                    errors.append(f"network request {r.url}")
                    if not r.url.startswith(("file:", "data:", "about:"))
                    else None
                ),
            )
            page.goto(page_file.as_uri())
            n_vl = sum(c.kind == "vega-lite" for c in charts)
            page.wait_for_function(
                f"document.querySelectorAll('.chart-vl svg.marks').length >= {n_vl}", timeout=60_000
            )
            page.screenshot(path=str(SHOTS / f"charts.{lang}.png"), full_page=True)
            # every Vega-Lite chart drew marks, none printed an error instead
            texts = page.eval_on_selector_all(".chart-vl", "els => els.map(e => e.innerText)")
            assert not any("Error" in t for t in texts)
            assert page.locator(".chart-svg svg").count() == sum(c.kind == "svg" for c in charts)
        finally:
            browser.close()
    assert not errors, errors
