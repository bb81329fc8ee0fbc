"""Screenshots of the three reports in zh and en (headless Chromium), saved under out/screenshots/.

Also checks what only a browser shows: no script errors, every vega-lite chart drawn (an <svg> inside
its div) and no table wider than the page without its own scroll box.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cbeclab.diagnose.report import run_diagnosis, write_diagnosis
from cbeclab.examples import demo_spec
from cbeclab.pipeline import run_spec
from cbeclab.render.engine_report import write_outputs
from cbeclab.survey.report import write_survey_outputs
from cbeclab.survey.spec import load_survey_spec
from cbeclab.survey.workflow import run_survey

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    demo = run_spec(demo_spec())
    sv = load_survey_spec(ROOT / "examples/yongkang/survey.yaml")
    sv = sv.model_copy(update={"bootstrap": sv.bootstrap.model_copy(update={"draws": 100})})
    survey = run_survey(sv)
    diag = run_diagnosis(ROOT / "examples/diagnose/spec.yaml")
    found: dict[str, Path] = {}
    for lang in ("zh", "en"):
        res = type(demo)(**{**demo.__dict__, "spec": demo.spec.model_copy(update={"lang": lang})})
        found[f"demo_{lang}"] = write_outputs(res, out / f"demo_{lang}")["html"]
        found[f"survey_{lang}"] = write_survey_outputs(survey, out / f"survey_{lang}", lang)["html"]
        found[f"diagnose_{lang}"] = write_diagnosis(diag, out / f"diagnose_{lang}", lang)["html"]
    return found


@pytest.mark.parametrize(
    "name", [f"{k}_{lang}" for k in ("demo", "survey", "diagnose") for lang in ("zh", "en")]
)
def test_report_screenshot(pages: dict[str, Path], name: str) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(pages[name].as_uri())
        page.wait_for_timeout(1500)
        n_vl = page.locator("div.chart-vl").count()
        drawn = page.locator("div.chart-vl svg, div.chart-vl canvas").count()
        overflow = page.evaluate(
            "Array.from(document.querySelectorAll('table.tl')).filter(t => "
            "t.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && "
            "!t.closest('.tl-wrap')).length"
        )
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        browser.close()
    assert not errors, errors
    assert n_vl > 0 and drawn >= n_vl, (n_vl, drawn)
    assert overflow == 0
    assert path.stat().st_size > 10_000
