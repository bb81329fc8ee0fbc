"""The workbench in headless Chromium (Debian's /usr/bin/chromium via Playwright), zh and en (issue 9).

Screenshots of every page go to out/screenshots/web_*.png for review.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM = "/usr/bin/chromium"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_server import serve  # noqa: E402

if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it with apt
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with serve(tmp_path_factory.mktemp("web") / "data") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web_{name}.png"), full_page=True)


def _open_project(page, url: str, name: str, lang: str) -> None:
    page.goto(f"{url}/?lang={lang}")
    page.get_by_role("link", name=re.compile(name)).click()


def _wait_done(page, timeout: float = 240_000) -> None:
    page.wait_for_selector("#downloads, #run-error", timeout=timeout)
    assert page.locator("#run-error").count() == 0, page.locator("#run-error").inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_upload_engine_chart_docx(server: str, browser, lang: str, tmp_path: Path) -> None:
    from cbeclab.datasets import guangzhou_demo_with_synthetic

    csv = tmp_path / "guangzhou_demo.csv"
    guangzhou_demo_with_synthetic(0).to_csv(csv, index=False)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{server}/?lang={lang}")
    _shot(page, f"home_{lang}")
    page.fill("input[name=name]", f"Upload test {lang}")
    page.locator("form[action='/projects'] button").click()
    page.set_input_files("#upload-file", str(csv))
    page.locator("#upload-form button").click()
    page.wait_for_selector("#preview")
    assert page.locator("#validation.ok").count() == 1
    _shot(page, f"dataset_{lang}")
    page.locator("a.chip[href*='kind=engine']").first.click()
    for col in ("exports", "imports"):
        page.fill(f"input[name='sub:{col}']", "digital_trade")
    for col in ("B1", "B2", "B3", "B4", "B5"):
        page.fill(f"input[name='sub:{col}']", "industrial_cluster")
    page.fill("#f-name", "Guangzhou engine")
    _shot(page, f"engine_form_{lang}")
    page.click("#run-analysis")
    _wait_done(page)
    page.wait_for_selector(".chart-vl svg, .chart-svg svg", timeout=30_000)
    assert page.locator("figure.chart-box").count() >= 1
    _shot(page, f"engine_results_{lang}")
    files = page.locator("#downloads a").all_inner_texts()
    assert {"result.json", "result.xlsx", "spec.yaml"} <= set(files)
    with page.expect_download() as dl:
        page.locator("#downloads a", has_text="result.xlsx").click()
    assert dl.value.suggested_filename == "result.xlsx"
    # the tables carry the reports' display names in the page language
    heads = page.locator("details[open] table.grid th").all_inner_texts()
    assert ("协同度" if lang == "zh" else "Synergy degree") in heads, heads
    with page.expect_download() as dl:
        page.locator("#downloads a", has_text="report.docx").click()
    target = tmp_path / "report.docx"
    dl.value.save_as(target)
    import docx

    assert len(docx.Document(str(target)).tables) > 0


def test_yongkang_survey_1000_draws_path_diagram(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _open_project(page, server, "Yongkang|永康", "zh")
    _shot(page, "project_yongkang_zh")
    page.locator("button.run-btn").first.click()
    page.wait_for_selector("#run")
    _shot(page, "survey_running_zh")
    _wait_done(page)
    _shot(page, "survey_results_zh")
    spec = page.request.get(page.url.split("?")[0] + "/files/spec.yaml").text()
    assert "draws: 1000" in spec  # the demo runs 1,000 bootstrap draws
    assert page.locator("details summary").count() >= 5  # the survey tables
    assert page.locator("figure.chart-box .chart-svg svg").count() >= 1  # the path diagram
    page.goto(page.url + "?lang=en")
    _shot(page, "survey_results_en")


def test_diagnosis_and_model_editor(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _open_project(page, server, "Guangzhou|广州", "en")
    _shot(page, "project_guangzhou_en")
    row = page.locator("tr", has_text=re.compile("Diagnosis|诊断"))
    row.locator("button.run-btn").click()
    _wait_done(page)
    assert page.locator("ol li").count() >= 1  # recommendations
    assert '"id"' not in page.locator("ol").inner_text()  # sentences, not raw records
    _shot(page, "diagnosis_results_en")
    page.goto(page.url.split("?")[0] + "?lang=zh")
    _shot(page, "diagnosis_results_zh")
    # the SEM model editor marks the line of a syntax error
    _open_project(page, server, "Yongkang|永康", "en")
    page.locator("a.chip[href*='kind=survey']").first.click()
    page.fill("#model-syntax", "Y ~ F1 + F2\nM ~ F1 +\n")
    page.wait_for_selector("#gutter .err", timeout=10_000)
    assert page.locator("#gutter .err").inner_text() == "2"
    assert "line 2, column 8" in page.locator("#syntax-status").inner_text()
    top, under = page.locator("#syntax-caret").inner_text().split("\n")[:2]
    assert top == "2 | M ~ F1 +" and top[under.index("^")] == "+"  # the caret sits under column 8
    _shot(page, "survey_form_error_en")
    # the constructs editor: rows guessed from the columns, added and removed in the page
    rows = page.locator("#construct-rows tr")
    assert rows.count() == 5 and page.locator("input[name='c0.name']").input_value() == "T1"
    page.click("#add-construct")
    assert rows.count() == 6
    page.locator("input[name='c5.name']").fill("EXTRA")
    page.locator("#construct-rows tr", has=page.locator("input[name='c5.name']")).locator(
        ".remove-row"
    ).click()
    assert rows.count() == 5
    page.goto(page.url + "&lang=zh")
    assert "潜变量" in page.locator("#constructs legend").inner_text()
    _shot(page, "survey_form_constructs_zh")
    # a diagnosis form: picking a bundled profile fills its editable values
    _open_project(page, server, "Guangzhou|广州", "zh")
    page.locator("a.chip[href*='kind=diagnosis']").first.click()
    page.select_option("#f-city", "hangzhou")
    page.wait_for_function("document.getElementById('f-city-yaml').value.length > 20")
    _shot(page, "diagnosis_form_zh")
