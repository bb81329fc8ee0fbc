"""The REST API under ``/api`` (OpenAPI at ``/api/openapi.json``); it calls the same services as the pages."""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from cbeclab.web.security import CSRF_COOKIE, new_csrf

router = APIRouter(prefix="/api")


class ProjectIn(BaseModel):
    name: str = Field(..., max_length=200)
    description: str = ""


class AnalysisIn(BaseModel):
    kind: Literal["engine", "weights", "synergy", "coupling", "survey", "diagnosis"]
    dataset_id: str | None = None
    name: str = ""
    options: dict[str, Any]


class RunIn(BaseModel):
    lang: Literal["en", "zh"] = "en"


class SyntaxIn(BaseModel):
    syntax: str


def _wb(request: Request) -> Any:
    return request.app.state.workbench


@router.get("/csrf")
def csrf(request: Request) -> dict[str, str]:
    """The CSRF token to send as header ``X-CSRF-Token`` with every POST (also set as a cookie)."""
    tok = request.cookies.get(CSRF_COOKIE) or new_csrf()
    request.state.csrf = tok
    return {"csrf_token": tok}


@router.get("/projects")
def list_projects(request: Request) -> list[dict[str, Any]]:
    return list(_wb(request).store.projects())


@router.post("/projects", status_code=201)
def create_project(request: Request, body: ProjectIn) -> dict[str, Any]:
    return dict(_wb(request).create_project(body.name, body.description))


@router.get("/projects/{pid}")
def get_project(request: Request, pid: str) -> dict[str, Any]:
    wb = _wb(request)
    p = wb.project(pid)
    return {**p, "datasets": wb.store.datasets(pid), "analyses": wb.store.analyses(pid)}


@router.post("/projects/{pid}/datasets", status_code=201)
async def upload_dataset(
    request: Request, pid: str, filename: str = "upload", name: str | None = None
) -> dict[str, Any]:
    """Upload a CSV / XLSX / SAV file as the raw request body (streamed to disk) or as multipart ``file``."""
    from cbeclab.web.app import receive_upload

    return await receive_upload(request, pid, filename, name)


@router.get("/datasets/{did}/preview")
def preview(
    request: Request, did: str, entity: str | None = None, period: str | None = None
) -> dict[str, Any]:
    return dict(_wb(request).preview(did, entity, period))


@router.get("/forms/{kind}")
def form(request: Request, kind: str) -> list[dict[str, Any]]:
    """The fields of an analysis form, generated from the kind's spec model."""
    from dataclasses import asdict

    from cbeclab.web.app import fields_for

    return [asdict(f) for f in fields_for(kind)]


@router.post("/projects/{pid}/analyses", status_code=201)
def create_analysis(request: Request, pid: str, body: AnalysisIn) -> dict[str, Any]:
    return dict(_wb(request).create_analysis(pid, body.kind, body.options, body.dataset_id, body.name))


@router.get("/analyses/{aid}")
def get_analysis(request: Request, aid: str) -> dict[str, Any]:
    wb = _wb(request)
    return {**wb.analysis(aid), "runs": wb.store.runs(wb.check_id(aid))}


@router.post("/analyses/{aid}/runs", status_code=202)
def start_run(request: Request, aid: str, body: RunIn) -> dict[str, Any]:
    from cbeclab.web.app import start

    return dict(start(request.app, aid, body.lang))


@router.get("/runs/{rid}")
def get_run(request: Request, rid: str) -> dict[str, Any]:
    return dict(_wb(request).run(rid))


@router.post("/runs/{rid}/cancel")
def cancel_run(request: Request, rid: str) -> dict[str, Any]:
    wb = _wb(request)
    wb.run(rid)
    request.app.state.jobs.cancel(rid, "cancelled by the user")
    return dict(wb.run(rid))


@router.get("/runs/{rid}/result", response_model=None)
def get_result(request: Request, rid: str, lang: Literal["en", "zh"] | None = None) -> Response:
    """The run, its files (name, size, SHA-256) and, once done, its tables and charts in ``lang``
    (default: the run's language). A finished run's body is the view JSON written at run end,
    spliced in as stored (never parsed and re-serialised), cached, gzip-compressed and ETag-ged."""
    from cbeclab.web.app import cached_response

    wb = _wb(request)
    run = wb.run(rid)
    if run["status"] != "done":
        v = wb.run_view(rid, lang)
        return Response(json.dumps(v, ensure_ascii=False, allow_nan=False), media_type="application/json")
    key = (run["id"], lang or run["lang"])
    entry = request.app.state.bodies.get(key)
    if entry is None:
        head = json.dumps({"run": run, "files": wb.store.results(rid)}, ensure_ascii=False)
        path = wb.view_path(rid, key[1])
        view = open(path, "rb").read() if os.path.exists(path) else b"null"  # noqa: SIM115
        entry = request.app.state.bodies.put(key, head[:-1].encode("utf-8") + b', "view": ' + view + b"}")
    return cached_response(request, entry, "application/json")


@router.get("/runs/{rid}/files/{name}")
def get_file(request: Request, rid: str, name: str) -> FileResponse:
    from cbeclab.web.app import file_response

    return file_response(_wb(request), rid, name)


@router.post("/sem/check")
def sem_check(body: SyntaxIn) -> dict[str, Any]:
    """Parse lavaan model syntax; returns ``{"ok": true}`` or the error with its line and column."""
    from cbeclab.web.services import check_sem_syntax

    err = check_sem_syntax(body.syntax)
    return {"ok": err is None, "error": err}


@router.get("/profiles/{kind}/{name}")
def profile(kind: Literal["cities", "clusters"], name: str) -> dict[str, str]:
    """The YAML text of a bundled city or cluster profile (the diagnosis form's starting values)."""
    from cbeclab.web.services import bundled_profile_text

    return {"name": name, "text": bundled_profile_text(kind, name)}
