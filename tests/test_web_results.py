"""Workbench results (issue 9): display names of the reports in zh and en, the precomputed and cached
results view, engine runs on a Dask scheduler, and the survey constructs editor."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cbeclab.web.app import construct_form, construct_rows, create_app
from test_web_api import XSS, _engine_options, _panel_csv, _project, _upload, _wait

ROOT = Path(__file__).resolve().parents[1]
YONGKANG = ROOT / "examples" / "yongkang" / "yongkang_survey_SYNTHETIC.csv"


@pytest.fixture()
def client(tmp_path: Path):
    app = create_app(tmp_path / "data", demo=False)
    with TestClient(app) as c:
        c.headers["X-CSRF-Token"] = c.get("/api/csrf").json()["csrf_token"]
        yield c


def _engine_run(c: TestClient, options: dict | None = None, lang: str = "en") -> str:
    pid = _project(c)
    ds = _upload(c, pid, _panel_csv()).json()
    a = c.post(
        f"/api/projects/{pid}/analyses",
        json={"kind": "engine", "dataset_id": ds["id"], "options": options or _engine_options()},
    ).json()
    rid = c.post(f"/api/analyses/{a['id']}/runs", json={"lang": lang}).json()["id"]
    done = _wait(c, rid)
    assert done["status"] == "done", done
    return str(rid)


def test_results_use_the_reports_display_names_in_both_languages(client: TestClient) -> None:
    rid = _engine_run(client, lang="en")
    en = client.get(f"/api/runs/{rid}/result?lang=en").json()["view"]
    zh = client.get(f"/api/runs/{rid}/result?lang=zh").json()["view"]
    en_caps, zh_caps = list(en["tables"]), list(zh["tables"])
    assert en_caps[0].startswith("Table 1") and zh_caps[0].startswith("表1")
    assert len(en_caps) == len(zh_caps)  # the same document in two languages
    en_cols = {c for t in en["tables"].values() for c in t["columns"]}
    zh_cols = {c for t in zh["tables"].values() for c in t["columns"]}
    assert {"Entity", "Period", "Synergy degree"} <= en_cols
    assert {"对象", "时期", "协同度"} <= zh_cols
    raw_keys = {"entity", "period", "synergy", "stage_en", "stage_zh", "grade_zh"}
    assert not raw_keys & (en_cols | zh_cols)  # no column key of the store reaches the page
    assert en["charts"] and en["charts"][0]["label"] == "Figure 1" and zh["charts"][0]["label"] == "图1"
    # the pages show the same tables, in the page language, escaped
    page_en = client.get(f"/runs/{rid}?lang=en").text
    page_zh = client.get(f"/runs/{rid}?lang=zh").text
    assert "<th>Synergy degree</th>" in page_en and "<th>协同度</th>" in page_zh
    assert "<th>synergy</th>" not in page_en + page_zh and "<th>stage_zh</th>" not in page_en + page_zh
    assert XSS not in page_zh and "&lt;script&gt;alert(1)&lt;/script&gt;" in page_zh


def test_oneoff_coupling_table_uses_display_names(client: TestClient) -> None:
    pid = _project(client)
    ds = _upload(client, pid, _panel_csv()).json()
    opts = {"subsystems": {"trade": {"b": "+", "d": "+"}, "cluster": {"c": "-"}}}
    a = client.post(
        f"/api/projects/{pid}/analyses", json={"kind": "coupling", "dataset_id": ds["id"], "options": opts}
    ).json()
    run = _wait(client, client.post(f"/api/analyses/{a['id']}/runs", json={}).json()["id"])
    assert run["status"] == "done", run
    en = client.get(f"/api/runs/{run['id']}/result?lang=en").json()["view"]["tables"]
    zh = client.get(f"/api/runs/{run['id']}/result?lang=zh").json()["view"]["tables"]
    (cap_en, t_en), (cap_zh, t_zh) = next(iter(en.items())), next(iter(zh.items()))
    assert cap_en == "Table 1  Coupling coordination" and cap_zh == "表1  耦合协调"
    assert {"Coupling degree C", "Coordination index T"} <= set(t_en["columns"])
    assert {"耦合度 C", "综合协调指数 T"} <= set(t_zh["columns"])
    assert t_en["n_rows"] == 18  # 3 entities x 6 periods


def test_finished_results_are_prerendered_cached_compressed(client: TestClient) -> None:
    rid = _engine_run(client)
    wb = client.app.state.workbench  # type: ignore[attr-defined]
    folder = wb.run_dir(rid)
    for lg in ("en", "zh"):  # written by the worker at run end, before the run was marked done
        assert (folder / f".results.{lg}.html").is_file() and (folder / f"view.{lg}.json").is_file()
    names = {f["name"] for f in client.get(f"/api/runs/{rid}/result").json()["files"]}
    assert not {n for n in names if n.startswith(("view.", "."))}  # never offered as downloads
    raw = client.get(f"/api/runs/{rid}/result", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip" and raw.headers["etag"]
    plain = client.get(f"/api/runs/{rid}/result", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == raw.json()
    # the body is the stored view spliced in as written
    assert (folder / "view.en.json").read_bytes() in plain.content
    again = client.get(f"/api/runs/{rid}/result", headers={"If-None-Match": raw.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # the page embeds the worker's fragment; an edited fragment shows, so it is read, not rebuilt
    frag = folder / ".results.en.html"
    frag.write_text(frag.read_text(encoding="utf-8") + "<p id='from-the-worker'></p>", encoding="utf-8")
    client.app.state.fragments.clear()  # type: ignore[attr-defined]
    assert "from-the-worker" in client.get(f"/runs/{rid}?lang=en").text
    assert gzip.decompress(client.app.state.bodies.get((rid, "en"))[1]) == plain.content  # type: ignore[attr-defined]


@pytest.mark.slow
def test_engine_run_on_a_dask_scheduler_equals_the_local_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from cbeclab.pipeline import run_spec
    from cbeclab.spec import spec_from_dict
    from cbeclab.store import open_run, write_run

    options = {**_engine_options(), "synergy": {"scope": "per_entity"}}
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        app = create_app(tmp_path / "d", demo=False, scheduler=cluster.scheduler_address)
        with TestClient(app) as c:
            c.headers["X-CSRF-Token"] = c.get("/api/csrf").json()["csrf_token"]
            rid = _engine_run(c, options)
            path = c.get(f"/api/analyses/{c.get(f'/api/runs/{rid}').json()['analysis_id']}").json()
        prefixes = set(cluster.scheduler.task_prefixes)
    assert "synergy" in prefixes, prefixes  # the blocks of entities ran on the cluster
    spec = spec_from_dict({**path["options"], "lang": "en"}, source="test")
    write_run(run_spec(spec), tmp_path / "local")  # the local run, through the same writer
    local = open_run(tmp_path / "local")
    web = open_run(app.state.workbench.run_dir(rid))
    assert web.tables == local.tables and "synergy" in web.tables
    for name in web.tables:
        pd.testing.assert_frame_equal(web.table(name), local.table(name), obj=name)


# ---- the constructs editor of the survey form -----------------------------------------------------
def test_construct_rows_are_guessed_from_the_columns() -> None:
    cols = [{"name": n, "type": "number"} for n in pd.read_csv(YONGKANG, nrows=1).columns]
    form = construct_form(cols)
    guess = {g["name"]: g["items"] for g in form["construct_guess"]}
    assert guess == {
        "T1": ["T11", "T12", "T13", "T14", "T15"],
        "T2": ["T21", "T22", "T23", "T24", "T25", "T26"],
        "T3": ["T31", "T32", "T33", "T34"],
        "M": ["M1", "M2", "M3", "M4", "M5"],
        "Y": ["Y1", "Y2", "Y3", "Y4"],
    }
    assert form["example_model"] == "Y ~ T1 + T2 + T3 + M\n"
    assert [f.name for f in form["construct_fields"]] == ["en", "zh"]  # walked from ConstructSpec
    assert form["construct_reverse"]  # ItemSpec.reverse


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields as a browser sends them: a key once per value (multiple selects)."""
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def test_constructs_editor_builds_the_spec_constructs(client: TestClient) -> None:
    pid = _project(client)
    ds = _upload(client, pid, YONGKANG.read_bytes(), "yk.csv").json()
    page = client.get(f"/projects/{pid}/analyses/new?kind=survey&dataset={ds['id']}&lang=zh").text
    assert 'name="c0.name" value="T1"' in page and 'name="c0.items" value="T11" checked' in page
    assert 'id="construct-template"' in page and "添加潜变量" in page
    assert 'name="constructs"' not in page  # no YAML box for the constructs any more
    csrf = client.cookies.get("cbeclab_csrf")
    base = [
        ("csrf_token", csrf),
        ("_kind", "survey"),
        ("_dataset", ds["id"]),
        ("_name", "editor"),
        ("bootstrap.draws", "50"),
        ("model_syntax", "Y ~ F1\n"),
    ]
    rows = [
        ("c0.name", "F1"),
        ("c0.en", "Firm factors"),
        ("c0.zh", "企业因素"),
        ("c0.items", "T11"),
        ("c0.items", "T12"),
        ("c0.items", "T13"),
        ("c0.reverse", "T13"),
        ("c3.name", "Y"),  # rows added and removed in the browser leave gaps in the numbers
        ("c3.items", "Y1"),
        ("c3.items", "Y2"),
        ("c3.items", "Y3"),
        ("c5.name", ""),  # an empty row is ignored
    ]
    r = client.post(f"/projects/{pid}/analyses", data=_multi(base + rows), follow_redirects=False)
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[-1]
    run = client.get(f"/api/runs/{rid}").json()
    client.post(f"/api/runs/{rid}/cancel")
    a = client.get(f"/api/analyses/{run['analysis_id']}").json()
    assert a["options"]["constructs"] == {
        "F1": {
            "en": "Firm factors",
            "zh": "企业因素",
            "items": {"T11": {}, "T12": {}, "T13": {"reverse": True}},
        },
        "Y": {"items": {"Y1": {}, "Y2": {}, "Y3": {}}},
    }
    # a construct given twice is refused with the rows kept on the page
    dup = rows[:4] + [("c1.name", "F1"), ("c1.items", "T14")]
    bad = client.post(f"/projects/{pid}/analyses", data=_multi(base + dup), follow_redirects=False)
    assert bad.status_code == 400 and "given twice" in bad.text
    assert 'name="c1.name" value="F1"' in bad.text and 'name="c1.items" value="T14" checked' in bad.text
    # an item that is not a column is the spec model's error, shown on the form
    miss = client.post(
        f"/projects/{pid}/analyses",
        data=_multi(base + [("c0.name", "F1"), ("c0.items", "T11"), ("c0.items", "NOPE")]),
        follow_redirects=False,
    )
    assert miss.status_code == 400 and "NOPE" in miss.text


def test_construct_rows_single_and_multiple_values() -> None:
    rows = construct_rows({"c0.name": " A ", "c0.items": "x", "c1.name": "B", "c1.items": ["y", "z"]})
    assert [(r["name"], r["items"]) for r in rows] == [("A", ["x"]), ("B", ["y", "z"])]


def test_preview_detects_title_rows_and_numbers_rows_as_the_file(client: TestClient) -> None:
    pid = _project(client)
    data = "广州市跨境电商面板数据,,,,,\n".encode() + _panel_csv(bad_cell=True)
    ds = _upload(client, pid, data).json()
    pv = client.get(f"/api/datasets/{ds['id']}/preview").json()
    assert pv["header_row"] == 2 and pv["entity"] == "entity"
    assert len(pv["read_notes"]) == 1 and "广州市跨境电商面板数据" in pv["read_notes"][0]
    assert pv["row_numbers"][:3] == [3, 4, 5]  # data starts on file row 3
    assert [(c["row"], c["column"]) for c in pv["cell_issues"]] == [(7, "b")]  # "twelve" is on file row 7
    page = client.get(f"/datasets/{ds['id']}?lang=zh").text
    assert "表头取自文件第 2 行" in page and 'id="read-notes"' in page
