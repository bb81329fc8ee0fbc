"""Security points of issue 9 item 6 not covered in test_web_api.py: where the server listens by
default, the token from the environment, the cookies and headers every response carries, and that
an upload that breaks off or fails at the end leaves nothing behind (atomic writes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cbeclab.cli import main as cli
from cbeclab.errors import CbecError
from cbeclab.web.app import create_app
from cbeclab.web.services import Workbench


def _fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def run(app: Any, **kw: Any) -> None:
        seen.update(kw, app=app)
        app.state.jobs.shutdown()

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", run)
    return seen


def test_serve_listens_on_loopback_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake_uvicorn(monkeypatch)
    env = {k: v for k, v in os.environ.items() if k != "CBECLAB_TOKEN"}
    r = CliRunner(env=env).invoke(cli, ["serve", "--data", str(tmp_path / "d"), "--no-browser", "--no-demo"])
    assert r.exit_code == 0, r.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8321
    assert "http://127.0.0.1:8321/" in r.output and "token=" not in r.output
    assert seen["app"].state.token is None


def test_token_from_the_environment_allows_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _fake_uvicorn(monkeypatch)
    env = {**os.environ, "CBECLAB_TOKEN": "env-token-123"}
    r = CliRunner(env=env).invoke(
        cli, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d"), "--no-browser", "--no-demo"]
    )
    assert r.exit_code == 0, r.output
    assert seen["host"] == "0.0.0.0" and seen["app"].state.token == "env-token-123"
    with TestClient(seen["app"]) as c:  # and the token is then required
        assert c.get("/api/projects", headers={"Host": "10.0.0.5:8321"}).status_code == 401
        ok = c.get(
            "/api/projects", headers={"Host": "10.0.0.5:8321", "Authorization": "Bearer env-token-123"}
        )
        assert ok.status_code == 200


def test_every_response_sets_a_strict_csrf_cookie_and_safe_headers(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d", demo=False)
    with TestClient(app) as c:
        r = c.get("/")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("cbeclab_csrf=") and "SameSite=strict" in cookie and "Path=/" in cookie
        token = cookie.split(";")[0].split("=", 1)[1]
        assert f'name="csrf_token" value="{token}"' in r.text  # the forms carry the cookie's value
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "SAMEORIGIN" and r.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in c.get("/").headers  # set once
        refused = c.get("/", headers={"Host": "evil.example"})
        assert refused.status_code == 421  # refused before any page code runs


def test_an_upload_that_breaks_off_leaves_nothing(tmp_path: Path) -> None:
    wb = Workbench(tmp_path / "d")
    pid = wb.create_project("p")["id"]

    def broken() -> Any:
        yield b"a,b\n1,2\n"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        wb.save_upload(pid, "x.csv", broken())
    assert list((wb.data_dir / "datasets").iterdir()) == [] and wb.store.datasets(pid) == []


def test_an_upload_failing_at_the_final_rename_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb = Workbench(tmp_path / "d")
    pid = wb.create_project("p")["id"]

    def fail(*_a: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        wb.save_upload(pid, "x.csv", [b"a,b\n1,2\n"])
    monkeypatch.undo()
    assert list((wb.data_dir / "datasets").iterdir()) == [] and wb.store.datasets(pid) == []
    with pytest.raises(CbecError, match="empty"):  # and an empty body is refused the same way
        wb.save_upload(pid, "x.csv", [b""])
    assert list((wb.data_dir / "datasets").iterdir()) == []


def test_pages_are_gzipped_for_browsers_that_accept_it(tmp_path: Path) -> None:
    app = create_app(tmp_path / "d", demo=False)
    with TestClient(app) as c:
        packed = c.get("/", headers={"Accept-Encoding": "gzip"})
        plain = c.get("/", headers={"Accept-Encoding": "identity"})
        assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert packed.text == plain.text  # the client undoes the gzip
        assert packed.headers["x-content-type-options"] == "nosniff"  # the guard's headers survive
        assert int(packed.headers["content-length"]) < len(plain.content)
