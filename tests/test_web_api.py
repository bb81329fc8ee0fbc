"""The workbench through FastAPI's TestClient: store, uploads, forms, runs, security (issue 9)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import sqlite3
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cbeclab.cli import main as cli
from cbeclab.errors import SpecError
from cbeclab.web.app import create_app, fields_for
from cbeclab.web.db import MIGRATIONS, Store
from cbeclab.web.forms import parse_form
from cbeclab.web.security import check_host_allowed
from cbeclab.web.services import neutralise_formula, sniff_kind

XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x")'


def _panel_csv(bad_cell: bool = False) -> bytes:
    rows = []
    for e in (XSS, "beta", "gamma"):
        for t in range(2015, 2021):
            k = t - 2014 + (3 if e == "beta" else 0) + (7 if e == "gamma" else 0)
            rows.append(
                {
                    "entity": e,
                    "period": t,
                    FORMULA: 10 + k,
                    "b": 5 + k * 0.7,
                    "c": 20 - k * 0.3,
                    "d": 3 + k * 1.1,
                }
            )
    df = pd.DataFrame(rows)
    if bad_cell:
        df["b"] = df["b"].astype(object)
        df.loc[4, "b"] = "twelve"
    return df.to_csv(index=False).encode("utf-8")


def _wait(c: TestClient, rid: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(f"/api/runs/{rid}").json()
        if r["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


@pytest.fixture()
def client(tmp_path: Path):
    app = create_app(tmp_path / "data", demo=False)
    with TestClient(app) as c:
        tok = c.get("/api/csrf").json()["csrf_token"]
        c.headers["X-CSRF-Token"] = tok
        c.csrf = tok  # type: ignore[attr-defined]
        yield c


def _project(c: TestClient) -> str:
    r = c.post("/api/projects", json={"name": XSS})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _upload(c: TestClient, pid: str, data: bytes, filename: str = "panel.csv") -> dict:
    return c.post(f"/api/projects/{pid}/datasets", params={"filename": filename}, content=data)  # type: ignore[return-value]


def _engine_options() -> dict:
    return {
        "data": {"entity": "entity", "period": "period"},
        "subsystems": {"trade": {FORMULA: "+", "b": "+"}, "cluster": {"c": "-", "d": "+"}},
        "forecast": {"enabled": False},
    }


# ---- store ------------------------------------------------------------------------------------------
def test_migrations_apply_once_and_upgrade_an_old_store(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    con = sqlite3.connect(path)  # a store made by the first schema only
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for stmt in MIGRATIONS[0].split(";"):
        if stmt.strip():
            con.execute(stmt)
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.execute("INSERT INTO projects VALUES ('a', 'kept', '', 0)")
    con.commit()
    con.close()
    s = Store(path)
    assert s.version() == len(MIGRATIONS) == 3
    assert [(p["name"], p["names"]) for p in s.projects()] == [("kept", {})]
    s.set_meta("k", "v")
    assert Store(path).version() == 3 and Store(path).meta("k") == "v"


def test_demo_projects_load_once(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d")
    names = [p["name"] for p in app.state.workbench.store.projects()]
    assert names == ["Guangzhou clusters (demo)", "Yongkang hardware survey (demo)"]
    app.state.jobs.shutdown()
    app2 = create_app(tmp_path / "d")
    assert len(app2.state.workbench.store.projects()) == 2
    kinds = [
        a["kind"]
        for p in app2.state.workbench.store.projects()
        for a in app2.state.workbench.store.analyses(p["id"])
    ]
    assert sorted(kinds) == ["diagnosis", "engine", "survey"]
    app2.state.jobs.shutdown()


def test_demo_names_follow_the_page_language(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d")
    with TestClient(app) as c:
        zh, en = c.get("/?lang=zh").text, c.get("/?lang=en").text
        assert (
            "广州产业集群（示例）" in zh and "永康五金问卷（示例）" in zh and "Guangzhou clusters" not in zh
        )
        assert "Guangzhou clusters (demo)" in en and "广州产业集群" not in en
        gz = app.state.workbench.store.projects()[0]
        page = c.get(f"/projects/{gz['id']}?lang=zh").text
        assert "协同与耦合协调（示例）" in page and "诊断（示例）" in page
        assert "Synergy and coupling (demo)" in c.get(f"/projects/{gz['id']}?lang=en").text
    # a data folder whose demos were loaded before names were stored per language gets them on start
    con = sqlite3.connect(tmp_path / "d" / "cbeclab.sqlite")
    con.execute("UPDATE projects SET names = NULL")
    con.execute("UPDATE analyses SET names = NULL")
    con.execute("DELETE FROM meta WHERE key = 'demo_names'")
    con.commit()
    con.close()
    app2 = create_app(tmp_path / "d")
    with TestClient(app2) as c2:
        assert "永康五金问卷（示例）" in c2.get("/?lang=zh").text
    assert all(p["names"]["zh"]["name"] for p in app2.state.workbench.store.projects())


# ---- uploads ----------------------------------------------------------------------------------------
def test_upload_streams_keeps_bytes_and_checksum(client: TestClient, tmp_path: Path) -> None:
    pid = _project(client)
    data = _panel_csv()
    r = _upload(client, pid, data)
    assert r.status_code == 201, r.text
    ds = r.json()
    assert (
        ds["sha256"] == hashlib.sha256(data).hexdigest() and ds["size"] == len(data) and ds["kind"] == "csv"
    )
    kept = client.app.state.workbench.dataset_path(ds)  # type: ignore[attr-defined]
    assert kept.read_bytes() == data
    # multipart works too and gives the same checksum
    r2 = client.post(f"/api/projects/{pid}/datasets", files={"file": ("again.csv", data, "text/csv")})
    assert r2.status_code == 201 and r2.json()["sha256"] == ds["sha256"]


def test_upload_type_is_read_from_content_not_name(client: TestClient) -> None:
    pid = _project(client)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    r = _upload(client, pid, png, "table.csv")
    assert r.status_code == 400 and "neither a CSV" in r.json()["error"]
    # a CSV named .xlsx is a CSV
    r = _upload(client, pid, _panel_csv(), "looks_like.xlsx")
    assert r.status_code == 201 and r.json()["kind"] == "csv"
    # a ZIP that is not a workbook
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    r = _upload(client, pid, buf.getvalue(), "book.xlsx")
    assert r.status_code == 400 and "xl/workbook.xml" in r.json()["error"]
    # a real xlsx
    xb = io.BytesIO()
    pd.read_csv(io.BytesIO(_panel_csv())).to_excel(xb, index=False)
    r = _upload(client, pid, xb.getvalue(), "data.bin")
    assert r.status_code == 201 and r.json()["kind"] == "xlsx"
    folders = list((client.app.state.workbench.data_dir / "datasets").iterdir())  # type: ignore[attr-defined]
    assert len(folders) == 2  # refused uploads leave nothing behind


def test_upload_size_limit(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d", demo=False, max_upload_mb=0.01)
    with TestClient(app) as c:
        c.headers["X-CSRF-Token"] = c.get("/api/csrf").json()["csrf_token"]
        pid = _project(c)
        big = b"a,b\n" + b"1,2\n" * 5000  # 20 kB > 10 kB
        r = _upload(c, pid, big)
        assert r.status_code == 400 and "upload limit" in r.json()["error"]

        def gen():  # no Content-Length: the limit is enforced while streaming
            for _ in range(10):
                yield b"1,2\n" * 500

        r = c.post(f"/api/projects/{pid}/datasets", content=gen())
        assert r.status_code == 400 and "upload limit" in r.json()["error"]
        assert list((app.state.workbench.data_dir / "datasets").iterdir()) == []


def test_preview_marks_the_cells_with_the_cli_message(client: TestClient, tmp_path: Path) -> None:
    from cbeclab.errors import DataError
    from cbeclab.io.panel import load_panel

    pid = _project(client)
    data = _panel_csv(bad_cell=True)
    ds = _upload(client, pid, data).json()
    pv = client.get(f"/api/datasets/{ds['id']}/preview").json()
    assert pv["entity"] == "entity" and pv["period"] == "period"
    p = tmp_path / "panel.csv"
    p.write_bytes(data)
    with pytest.raises(DataError) as cli_err:
        load_panel(pd.read_csv(p), entity="entity", period="period", name="panel.csv")
    assert pv["messages"] == [str(cli_err.value)]
    assert pv["cell_issues"] == [{"row": 6, "column": "b", "message": str(cli_err.value)}]
    page = client.get(f"/datasets/{ds['id']}").text
    assert 'class="bad"' in page and "twelve" in page
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---- forms ------------------------------------------------------------------------------------------
def test_forms_are_walked_from_the_spec_models() -> None:
    from cbeclab.spec import RunSpec

    fields = {f.name: f for f in fields_for("engine")}
    assert fields["weights.method"].options == tuple(
        RunSpec.model_json_schema()["$defs"]["WeightsSpec"]["properties"]["method"]["enum"]
    )
    assert fields["synergy.bound_margin"].minimum == 0.0 and fields["synergy.bound_margin"].maximum == 10.0
    assert fields["synergy.enabled"].kind == "checkbox" and fields["coupling.contribution"].kind == "yaml"
    opts = parse_form(
        list(fields.values()),
        {
            "weights.method": "critic",
            "synergy.bound_margin": "0.2",
            "synergy.enabled": "on",
            "coupling.enabled": "",
            "stages.thresholds": "{mature: 0.6}",
        },
    )
    assert opts["weights"]["method"] == "critic" and opts["synergy"] == {
        "bound_margin": 0.2,
        "enabled": True,
        **{k: v for k, v in opts["synergy"].items() if k not in ("bound_margin", "enabled")},
    }
    assert opts["coupling"]["enabled"] is False and opts["stages"]["thresholds"] == {"mature": 0.6}
    with pytest.raises(SpecError, match="line 1, column"):
        parse_form(list(fields.values()), {"stages.thresholds": "{a: [1"})
    survey = {f.name for f in fields_for("survey")}
    assert {"bootstrap.draws", "bootstrap.ci", "efa.rotation", "mediation"} <= survey
    assert "constructs" not in survey  # edited as rows (construct_form, tested in test_web_results.py)


def test_api_rejects_options_the_cli_rejects(client: TestClient) -> None:
    pid = _project(client)
    ds = _upload(client, pid, _panel_csv()).json()
    bad = {**_engine_options(), "synergy": {"base": "last"}}
    r = client.post(
        f"/api/projects/{pid}/analyses", json={"kind": "engine", "dataset_id": ds["id"], "options": bad}
    )
    assert r.status_code == 400 and "synergy.base" in r.json()["error"] and "first" in r.json()["error"]
    r = client.post(
        f"/api/projects/{pid}/analyses",
        json={
            "kind": "engine",
            "dataset_id": ds["id"],
            "options": {**_engine_options(), "subsystems": {"a": {"nope": "+"}, "b": {"c": "+"}}},
        },
    )
    assert r.status_code == 400 and "nope" in r.json()["error"]


def test_sem_syntax_errors_carry_line_and_column(client: TestClient) -> None:
    r = client.post("/api/sem/check", json={"syntax": "Y ~ F1 + F2\nM ~ F1 +\n"})
    body = r.json()
    assert body["ok"] is False and body["error"]["line"] == 2 and body["error"]["column"] >= 1
    assert client.post("/api/sem/check", json={"syntax": "Y ~ F1 + F2\n"}).json() == {
        "ok": True,
        "error": None,
    }


# ---- runs -------------------------------------------------------------------------------------------
def test_engine_run_writes_cli_outputs_that_the_spec_reproduces(client: TestClient, tmp_path: Path) -> None:
    pid = _project(client)
    ds = _upload(client, pid, _panel_csv()).json()
    a = client.post(
        f"/api/projects/{pid}/analyses",
        json={"kind": "engine", "dataset_id": ds["id"], "name": FORMULA, "options": _engine_options()},
    ).json()
    r1 = client.post(f"/api/analyses/{a['id']}/runs", json={"lang": "en"}).json()
    r2 = client.post(f"/api/analyses/{a['id']}/runs", json={"lang": "zh"}).json()  # two at once
    assert r1["id"] != r2["id"]
    done1, done2 = _wait(client, r1["id"]), _wait(client, r2["id"])
    assert done1["status"] == "done" and done2["status"] == "done", (done1, done2)
    res = client.get(f"/api/runs/{r1['id']}/result").json()
    names = {f["name"] for f in res["files"]}
    assert {"result.json", "result.xlsx", "report.html", "spec.yaml"} <= names
    wb = client.app.state.workbench  # type: ignore[attr-defined]
    assert wb.run_dir(r1["id"]) != wb.run_dir(r2["id"])
    for f in res["files"]:
        body = client.get(f"/api/runs/{r1['id']}/files/{f['name']}")
        assert body.status_code == 200 and hashlib.sha256(body.content).hexdigest() == f["sha256"]
    # the spec.yaml reproduces the run with the CLI
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(client.get(f"/api/runs/{r1['id']}/files/spec.yaml").content)
    out = tmp_path / "cli"
    cr = CliRunner().invoke(cli, ["run", str(spec), "--out", str(out), "--quiet"])
    assert cr.exit_code == 0, cr.output
    web = json.loads(client.get(f"/api/runs/{r1['id']}/files/result.json").content)
    mine = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert web["summary"] == mine["summary"] and web["coupling"] == mine["coupling"]
    # escaped page, inert workbook
    page = client.get(f"/runs/{r1['id']}").text
    assert 'id="downloads"' in page and 'class="chart' in page  # results, charts and downloads shown
    assert XSS not in page and "&lt;script&gt;" in page
    from openpyxl import load_workbook

    xl = client.get(f"/api/runs/{r1['id']}/files/result.xlsx").content
    wbk = load_workbook(io.BytesIO(xl))
    cells = [c for ws in wbk.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "'" + FORMULA for c in cells)  # the header is kept, as text


def test_oneoff_export_neutralises_formulas(client: TestClient) -> None:
    pid = _project(client)
    ds = _upload(client, pid, _panel_csv()).json()
    opts = {"subsystems": {"all": {FORMULA: "+", "b": "+", "c": "-"}}, "method": "entropy"}
    a = client.post(
        f"/api/projects/{pid}/analyses", json={"kind": "weights", "dataset_id": ds["id"], "options": opts}
    ).json()
    run = _wait(client, client.post(f"/api/analyses/{a['id']}/runs", json={}).json()["id"])
    assert run["status"] == "done", run
    csv = client.get(f"/api/runs/{run['id']}/files/result.csv").content.decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in csv or "'" + FORMULA in csv
    assert "\n=" not in csv and not csv.startswith("=")
    cmd = client.get(f"/api/runs/{run['id']}/files/command.sh").text
    assert "cbeclab weights" in cmd and "--cost c" in cmd


def test_failed_run_shows_the_error_and_killed_worker_is_reported(client: TestClient) -> None:
    pid = _project(client)
    ds = _upload(client, pid, _panel_csv(bad_cell=True)).json()
    a = client.post(
        f"/api/projects/{pid}/analyses",
        json={"kind": "engine", "dataset_id": ds["id"], "options": _engine_options()},
    ).json()
    run = _wait(client, client.post(f"/api/analyses/{a['id']}/runs", json={}).json()["id"])
    assert run["status"] == "failed" and "twelve" in run["error"] and "Traceback" not in run["error"]
    page = client.get(f"/runs/{run['id']}").text
    assert 'id="run-error"' in page
    # a worker killed from outside: the reaper records the exit code
    yk = {"kind": "survey"}
    del yk
    good = _upload(client, pid, _panel_csv()).json()
    a2 = client.post(
        f"/api/projects/{pid}/analyses",
        json={"kind": "engine", "dataset_id": good["id"], "options": _engine_options()},
    ).json()
    rid = client.post(f"/api/analyses/{a2['id']}/runs", json={}).json()["id"]
    deadline = time.monotonic() + 60
    while client.get(f"/api/runs/{rid}").json()["pid"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    info = client.get(f"/api/runs/{rid}").json()
    if info["status"] == "running":
        os.kill(info["pid"], signal.SIGKILL)
        end = _wait(client, rid)
        assert end["status"] == "failed" and "exit code -9" in end["error"]


def test_cancel_stops_a_running_survey(client: TestClient) -> None:
    from cbeclab.datasets.survey import synthetic_yongkang_survey

    pid = _project(client)
    data = synthetic_yongkang_survey(233, 0).to_csv(index=False).encode()
    ds = _upload(client, pid, data).json()
    import yaml

    raw = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "examples/yongkang/survey.yaml").read_text(encoding="utf-8")
    )
    raw.pop("data")
    for key in ("sem", "profile"):  # the generated frame holds the items only
        raw.pop(key, None)
    raw["model"] = {
        "syntax": (Path(__file__).resolve().parents[1] / "examples/yongkang/model.lav").read_text(
            encoding="utf-8"
        )
    }
    raw["bootstrap"]["draws"] = 200000
    a = client.post(
        f"/api/projects/{pid}/analyses", json={"kind": "survey", "dataset_id": ds["id"], "options": raw}
    )
    assert a.status_code == 201, a.text
    rid = client.post(f"/api/analyses/{a.json()['id']}/runs", json={}).json()["id"]
    time.sleep(2)
    r = client.post(f"/api/runs/{rid}/cancel").json()
    assert r["status"] == "cancelled"
    time.sleep(1)
    assert _wait(client, rid)["status"] == "cancelled"
    assert client.app.state.jobs.active() == 0  # type: ignore[attr-defined]


def test_restart_keeps_finished_results_and_fails_interrupted_runs(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d", demo=False)
    with TestClient(app) as c:
        c.headers["X-CSRF-Token"] = c.get("/api/csrf").json()["csrf_token"]
        pid = _project(c)
        ds = _upload(c, pid, _panel_csv()).json()
        a = c.post(
            f"/api/projects/{pid}/analyses",
            json={"kind": "engine", "dataset_id": ds["id"], "options": _engine_options()},
        ).json()
        done = _wait(c, c.post(f"/api/analyses/{a['id']}/runs", json={}).json()["id"])
        assert done["status"] == "done"
    store = app.state.workbench.store
    stuck = store.add_run(a["id"], "en")
    store.start_run(stuck["id"], 999999)
    app2 = create_app(tmp_path / "d", demo=False)
    with TestClient(app2) as c2:
        s = c2.get(f"/api/runs/{stuck['id']}").json()
        assert s["status"] == "failed" and "interrupted" in s["error"]
        res = c2.get(f"/api/runs/{done['id']}/result").json()
        assert res["run"]["status"] == "done"
        latest = next(iter(res["view"]["tables"].values()))  # Table 1: latest period of each entity
        assert latest["n_rows"] == 3
        assert c2.get(f"/api/runs/{done['id']}/files/result.json").status_code == 200


# ---- security ---------------------------------------------------------------------------------------
def test_ids_never_paths(client: TestClient) -> None:
    pid = _project(client)
    for url in (
        "/api/runs/..%2F..%2Fcbeclab.sqlite",
        f"/api/projects/{pid}/../../etc/passwd",
        "/api/runs/" + "0" * 32 + "/files/..%2Fcbeclab.sqlite",
        "/api/datasets/..%2Fdatasets/preview",
    ):
        r = client.get(url)
        assert r.status_code in (400, 404), (url, r.status_code)
        assert b"SQLite" not in r.content


def test_csrf_required_on_state_changes(client: TestClient) -> None:
    tok = client.headers.pop("X-CSRF-Token")
    assert client.post("/api/projects", json={"name": "x"}).status_code == 403
    assert (
        client.post("/api/projects", json={"name": "x"}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    )
    r = client.post("/projects", data={"name": "x"}, follow_redirects=False)
    assert r.status_code == 400 and "form expired" in r.text
    r = client.post("/projects", data={"name": "x", "csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303


def test_token_on_every_request(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d", demo=False, token="s3cret-token")
    with TestClient(app) as c:
        assert c.get("/").status_code == 401
        assert c.get("/api/projects").status_code == 401
        assert c.get("/static/style.css").status_code == 401
        assert c.get("/?token=wrong").status_code == 401
        r = c.get("/?token=s3cret-token&lang=zh", follow_redirects=False)
        assert (
            r.status_code == 303
            and r.headers["location"] == "/?lang=zh"
            and "cbeclab_token" in r.headers["set-cookie"]
        )
        assert c.get("/").status_code == 200  # cookie from the login
    with TestClient(app) as c:
        h = {"Authorization": "Bearer s3cret-token"}
        assert c.get("/api/projects", headers=h).status_code == 200
        assert (
            c.post("/api/projects", json={"name": "p"}, headers=h).status_code == 201
        )  # header auth: no CSRF needed
        assert c.get("/api/projects", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_non_loopback_host_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="token"):
        check_host_allowed("0.0.0.0", None)
    check_host_allowed("127.0.0.1", None)
    check_host_allowed("::1", None)
    check_host_allowed("0.0.0.0", "t")
    env = {k: v for k, v in os.environ.items() if k != "CBECLAB_TOKEN"}
    r = CliRunner(env=env).invoke(
        cli, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d"), "--no-browser"]
    )
    assert r.exit_code == 2 and "--token" in r.output and not (tmp_path / "d").exists()


def test_foreign_host_header_refused_without_token(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "evil.example:8321"}).status_code == 421
    assert client.get("/", headers={"Host": "127.0.0.1:8321"}).status_code == 200


def test_formula_guard_and_sniffing_units() -> None:
    assert neutralise_formula("=1+1") == "'=1+1" and neutralise_formula("@x") == "'@x"
    assert (
        neutralise_formula("-3") == "'-3"
        and neutralise_formula(-3) == -3
        and neutralise_formula("ok") == "ok"
    )
    assert sniff_kind("年份,地区\n2020,广州\n".encode("gbk")) == "csv"
    assert sniff_kind(b"$FL2@(#) SPSS") == "sav"
    with pytest.raises(Exception, match="neither"):
        sniff_kind(b"MZ\x00\x00")


def test_pages_switch_language_and_api_docs(client: TestClient) -> None:
    r = client.get("/?lang=zh")
    assert "项目" in r.text and "cbeclab_lang=zh" in r.headers["set-cookie"]
    assert "项目" in client.get("/").text  # remembered
    assert "Projects" in client.get("/?lang=en").text
    spec = client.get("/api/openapi.json").json()
    assert "/api/projects/{pid}/analyses" in spec["paths"] and "/api/runs/{rid}/cancel" in spec["paths"]
    assert "/api/openapi.json" in client.get("/api/docs").text
    assert client.get("/vendor/vega-bundle.min.js").status_code == 200
