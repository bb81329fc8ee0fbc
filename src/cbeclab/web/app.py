"""The workbench ASGI app: server-rendered pages (Jinja2, autoescaped) over the service layer.

``create_app(data_dir)`` builds the app; ``cbeclab serve`` runs it with uvicorn. Pages and the REST API
(:mod:`cbeclab.web.api`) call the same :class:`~cbeclab.web.services.Workbench` methods.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from cbeclab import __version__
from cbeclab.errors import CbecError, SpecError
from cbeclab.i18n import pgettext, resolve_lang
from cbeclab.web.db import display
from cbeclab.web.forms import FormField, form_fields, parse_form
from cbeclab.web.jobs import JobManager
from cbeclab.web.security import CSRF_COOKIE, CSRF_FIELD, Guard, csrf_ok, new_csrf
from cbeclab.web.services import KINDS, OneOffSpec, Workbench, bundled_profile_text, iter_file
from cbeclab.web.views import env, fragment_path, render_results

__all__ = ["create_app", "fields_for", "start"]

log = logging.getLogger("cbeclab.web")
LANG_COOKIE = "cbeclab_lang"

#: content types that are compressed already: never gzipped again
_COMPRESSED_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.apache.parquet",
    "application/octet-stream",
)


class BodyCache:
    """Bodies of finished runs (immutable once done), keyed by run and language: the bytes, their gzip
    and an ETag, made once; the least recently used entry goes when ``size`` are held."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._d: OrderedDict[tuple[str, ...], tuple[bytes, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> tuple[bytes, bytes, str] | None:
        with self._lock:
            hit = self._d.get(key)
            if hit is not None:
                self._d.move_to_end(key)
            return hit

    def put(self, key: tuple[str, ...], body: bytes) -> tuple[bytes, bytes, str]:
        entry = (body, gzip.compress(body, 6, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        with self._lock:
            self._d[key] = entry
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return entry


def cached_response(request: Request, entry: tuple[bytes, bytes, str], media_type: str) -> Response:
    """``entry`` as a response: 304 when the client holds it, gzip when the client accepts it."""
    body, gz, etag = entry
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gz, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media_type, headers=headers)


# ---- forms of each kind ---------------------------------------------------------------------------
def fields_for(kind: str) -> list[FormField]:
    """Form fields of an analysis kind, walked from its pydantic spec model."""
    if kind == "engine":
        from cbeclab.spec import RunSpec

        return form_fields(
            RunSpec, {"data.path", "data.dataset", "base_dir", "lang", "subsystems", "framework"}
        )
    if kind in ("weights", "synergy", "coupling"):
        keep = {
            "weights": {"entity", "period", "impute", "method", "scope"},
            "synergy": {"entity", "period", "impute", "method", "scope", "bound_margin", "base", "aggregate"},
            "coupling": {"entity", "period", "impute", "method", "scope", "model", "compat"},
        }[kind]
        return [f for f in form_fields(OneOffSpec, {"subsystems"}) if f.name in keep]
    if kind == "survey":
        from cbeclab.survey.spec import SurveySpec

        return form_fields(
            SurveySpec,
            {
                "data.path",
                "base_dir",
                "source",
                "lang",
                "scheduler",
                "model.syntax",
                "model.file",
                "model.paths",
                "constructs",
            },
        )
    if kind == "diagnosis":
        from cbeclab.diagnose.report import DiagnoseSpec

        return form_fields(DiagnoseSpec, {"lang", "city", "cluster", "panel.path", "sem"})
    raise SpecError(f"unknown analysis kind {kind!r}", fix=", ".join(KINDS))


def _profiles(kind: str) -> list[str]:
    from cbeclab.web.services import _profiles as names

    return names(kind)


# ---- helpers used by pages and API ------------------------------------------------------------------
def start(app: FastAPI, aid: str, lang: str) -> dict[str, Any]:
    wb: Workbench = app.state.workbench
    run, job = wb.new_run(aid, resolve_lang(lang), app.state.scheduler)
    app.state.jobs.submit(run["id"], job)
    return dict(wb.run(run["id"]))


def file_response(wb: Workbench, rid: str, name: str) -> FileResponse:
    path = wb.result_file(rid, name)
    media = {
        ".html": "text/html; charset=utf-8",
        ".json": "application/json",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".yaml": "text/yaml; charset=utf-8",
        ".csv": "text/csv; charset=utf-8",
    }.get(path.suffix, "application/octet-stream")
    # reports are downloads, never rendered in the workbench's origin
    return FileResponse(path, media_type=media, filename=name, content_disposition_type="attachment")


async def receive_upload(request: Request, pid: str, filename: str, name: str | None) -> dict[str, Any]:
    """Stream an upload to disk: the raw body chunk by chunk, or a multipart ``file`` field."""
    wb: Workbench = request.app.state.workbench
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > wb.max_upload + 64 * 1024:
        raise CbecError(
            pgettext(
                "web",
                "the file is larger than the upload limit of {mb} MB",
                mb=f"{wb.max_upload / 1024 / 1024:g}",
            ),
            where=filename,
        )
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_part_size=wb.max_upload + 1)
        up = form.get("file")
        if up is None or isinstance(up, str):
            raise SpecError(
                pgettext("web", "no file in the form"), where="file", fix=pgettext("web", "choose a file")
            )
        if not csrf_ok(request, str(form.get(CSRF_FIELD, ""))) and not request.url.path.startswith("/api/"):
            raise SpecError(pgettext("web", "the form expired; reload the page and try again"), where="csrf")
        fname = up.filename or filename
        return await _run_sync(
            wb.save_upload, pid, fname, iter_file(up.file), (str(form.get("name") or "") or None)
        )
    # raw body: write each chunk as it arrives, through a queue-less generator on a worker thread
    import queue
    import threading

    q: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    result: dict[str, Any] = {}
    ended = threading.Event()

    def consume() -> None:
        def chunks() -> Any:
            while True:
                item = q.get()
                if item is None:
                    ended.set()
                    return
                yield item

        try:
            result["ds"] = wb.save_upload(pid, filename, chunks(), name)
        except BaseException as exc:  # handed back to the request
            result["error"] = exc
            while not ended.is_set():  # drain so the producer never blocks
                if q.get() is None:
                    ended.set()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    import anyio

    async for chunk in request.stream():
        if "error" in result:
            break
        await anyio.to_thread.run_sync(q.put, chunk)
    await anyio.to_thread.run_sync(q.put, None)
    await anyio.to_thread.run_sync(t.join)
    if "error" in result:
        raise result["error"]
    return dict(result["ds"])


async def _run_sync(fn: Any, *args: Any) -> Any:
    import anyio

    return await anyio.to_thread.run_sync(lambda: fn(*args))


# ---- demo projects -------------------------------------------------------------------------------------
#: the demo projects' and analyses' names and descriptions (msgids; stored in every language)
DEMO_TEXTS = {
    "gz": (
        "Guangzhou clusters (demo)",
        "Seed 001 Table 2 trade of five Guangzhou clusters 2010-2021 (real) with synthetic cluster indicators.",
    ),
    "gz_engine": ("Synergy and coupling (demo)", ""),
    "gz_diagnosis": ("Diagnosis (demo)", ""),
    "yk": ("Yongkang hardware survey (demo)", "Seed 000 model on a SYNTHETIC survey of 233 respondents."),
    "yk_survey": ("Survey, SEM and mediation (demo)", ""),
}


def demo_names(key: str) -> dict[str, dict[str, str]]:
    """A demo text in every language of the catalogue: ``{lang: {"name", "description"}}``."""
    name, desc = DEMO_TEXTS[key]
    return {
        lg: {
            "name": pgettext("web", name, lang=lg),
            "description": pgettext("web", desc, lang=lg) if desc else "",
        }
        for lg in ("en", "zh")
    }


def load_demo_projects(wb: Workbench) -> None:
    """Guangzhou engine demo (bundled data) and Yongkang survey demo, on an empty data folder; their
    names are stored in English and Chinese and shown in the page language."""
    import yaml

    from cbeclab.datasets import guangzhou_demo_with_synthetic

    def project(key: str) -> dict[str, Any]:
        n = demo_names(key)
        return wb.create_project(n["en"]["name"], n["en"]["description"], n)

    def analysis(key: str, pid: str, kind: str, options: dict[str, Any], did: str | None) -> None:
        n = demo_names(key)
        wb.create_analysis(pid, kind, options, did, n["en"]["name"], n)

    gz = project("gz")
    csv = guangzhou_demo_with_synthetic(0).to_csv(index=False).encode("utf-8")
    ds = wb.save_upload(gz["id"], "guangzhou_demo.csv", [csv])
    spec_text = resources.files("cbeclab.examples").joinpath("guangzhou.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(spec_text)
    raw["data"] = {k: v for k, v in raw["data"].items() if k != "dataset"}
    analysis("gz_engine", gz["id"], "engine", raw, ds["id"])
    # no title: the report takes its title in the language of each run
    analysis(
        "gz_diagnosis", gz["id"], "diagnosis", {"city": "guangzhou", "cluster": "guangzhou_leather"}, None
    )
    folder = _examples_dir() / "yongkang"
    if (folder / "survey.yaml").is_file():
        yk = project("yk")
        dsy = wb.save_upload(
            yk["id"],
            "yongkang_survey_SYNTHETIC.csv",
            [(folder / "yongkang_survey_SYNTHETIC.csv").read_bytes()],
        )
        sraw = yaml.safe_load((folder / "survey.yaml").read_text(encoding="utf-8"))
        model = sraw.get("model") or {}
        if model.get("file"):
            sraw["model"] = {"syntax": (folder / model["file"]).read_text(encoding="utf-8")}
        sraw["bootstrap"] = {**dict(sraw.get("bootstrap") or {}), "draws": 1000}
        sraw.pop("data", None)
        analysis("yk_survey", yk["id"], "survey", sraw, dsy["id"])


def name_old_demos(wb: Workbench) -> int:
    """Give demo projects loaded before names were stored per language their names (matched by the
    text they were created with, in either language); returns how many rows were named."""
    texts = {}
    for key in DEMO_TEXTS:
        n = demo_names(key)
        for lg in n:
            texts[n[lg]["name"]] = n
    done = 0
    for p in wb.store.projects():
        if not p["names"] and p["name"] in texts:
            wb.store.set_names("projects", p["id"], texts[p["name"]])
            done += 1
        for a in wb.store.analyses(p["id"]):
            if not a["names"] and a["name"] in texts:
                wb.store.set_names("analyses", a["id"], texts[a["name"]])
                done += 1
    return done


def _examples_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "examples"


# ---- the app ---------------------------------------------------------------------------------------
def create_app(
    data_dir: str | Path,
    *,
    token: str | None = None,
    scheduler: str | None = None,
    max_workers: int = 2,
    max_upload_mb: float = 100,
    demo: bool = True,
) -> FastAPI:
    wb = Workbench(data_dir, max_upload_mb=max_upload_mb)
    failed = wb.store.fail_interrupted(
        pgettext("web", "the server stopped while this run was in progress (interrupted)")
    )
    if failed:
        log.warning("%d interrupted run(s) marked failed", failed)
    if demo and not wb.store.projects() and wb.store.meta("demo_loaded") is None:
        load_demo_projects(wb)
        wb.store.set_meta("demo_loaded", "1")
        wb.store.set_meta("demo_names", "1")
    elif wb.store.meta("demo_loaded") is not None and wb.store.meta("demo_names") is None:
        name_old_demos(wb)
        wb.store.set_meta("demo_names", "1")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        title="cbeclab workbench",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.workbench = wb
    app.state.jobs = JobManager(wb.store, max_workers=max_workers)
    app.state.scheduler = scheduler
    app.state.token = token
    app.state.fragments = {}
    app.state.bodies = BodyCache()
    app.add_middleware(Guard, token=token)
    # pages, fragments and JSON are sent gzip-compressed to browsers that accept it (a result page with
    # its Vega specs shrinks several times); the Office files and Parquet tables are zip/compressed already
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        compresslevel=6,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *_COMPRESSED_TYPES),
    )
    app.mount("/static", StaticFiles(packages=[("cbeclab.web", "static")]), name="static")

    from cbeclab.web.api import router

    app.include_router(router)

    @app.exception_handler(CbecError)
    async def _cbec(request: Request, exc: CbecError) -> Response:
        lang = _lang(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return _page(request, "error.html", {"message": str(exc)}, lang, status=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = ".".join(str(x) for x in first.get("loc", ()))
        return JSONResponse({"error": f"field {loc}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        msg = pgettext(
            "web",
            "Unexpected error ({kind}); the details are in the server log.",
            kind=type(exc).__name__,
            lang=_lang(request),
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": msg}, status_code=500)
        return PlainTextResponse(msg, status_code=500)

    _pages(app)
    return app


def _lang(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in ("en", "zh"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("en", "zh") else resolve_lang(None)


def _csrf(request: Request) -> str:
    tok = request.cookies.get(CSRF_COOKIE)
    if not tok:
        tok = getattr(request.state, "csrf", None) or new_csrf()
        request.state.csrf = tok
    return tok


def _page(
    request: Request, name: str, ctx: dict[str, Any], lang: str | None = None, status: int = 200
) -> HTMLResponse:
    lang = lang or _lang(request)

    def t(msgid: str, **fields: Any) -> str:
        return pgettext("web", msgid, lang=lang, **fields)

    def switch(to: str) -> str:
        items = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", to)]
        return request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in items)

    def tr(row: dict[str, Any], field: str = "name") -> str:
        return display(row, field, lang)

    html = env.get_template(name).render(
        _=t, tr=tr, lang=lang, csrf=_csrf(request), switch=switch, version=__version__, request=request, **ctx
    )
    resp = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in ("en", "zh"):
        resp.set_cookie(LANG_COOKIE, lang, samesite="strict")
    return resp


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    if not csrf_ok(request, str(form.get(CSRF_FIELD, ""))):
        raise SpecError(
            pgettext("web", "the form expired; reload the page and try again", lang=_lang(request)),
            where="csrf",
        )
    out: dict[str, Any] = {}
    for k, v in form.multi_items():
        if not isinstance(v, str):
            continue
        if k in out:  # a multiple select sends its key once per chosen option
            prev = out[k]
            out[k] = [*prev, v] if isinstance(prev, list) else [prev, v]
        else:
            out[k] = v
    return out


def _pages(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        wb: Workbench = request.app.state.workbench
        return _page(request, "home.html", {"projects": wb.store.projects()})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        spec = request.app.openapi()
        routes = [
            {
                "method": m.upper(),
                "path": p,
                "summary": op.get("summary", ""),
                "doc": op.get("description", ""),
            }
            for p, ops in spec["paths"].items()
            for m, op in ops.items()
        ]
        return _page(request, "api_docs.html", {"routes": routes})

    @app.post("/projects", include_in_schema=False)
    async def new_project(request: Request) -> Response:
        form = await _form(request)
        p = request.app.state.workbench.create_project(form.get("name", ""), form.get("description", ""))
        return RedirectResponse(f"/projects/{p['id']}", status_code=303)

    @app.get("/projects/{pid}", response_class=HTMLResponse, include_in_schema=False)
    def project(request: Request, pid: str) -> HTMLResponse:
        wb: Workbench = request.app.state.workbench
        p = wb.project(pid)
        analyses = wb.store.analyses(pid)
        for a in analyses:
            runs = wb.store.runs(a["id"])
            a["last_run"] = runs[0] if runs else None
        datasets = wb.store.datasets(pid)
        names = {d["id"]: d["name"] for d in datasets}
        return _page(
            request,
            "project.html",
            {
                "project": p,
                "datasets": datasets,
                "analyses": analyses,
                "kinds": KINDS,
                "names": names,
                "max_mb": wb.max_upload // (1024 * 1024),
            },
        )

    @app.post("/projects/{pid}/datasets", include_in_schema=False)
    async def upload(request: Request, pid: str) -> Response:
        ds = await receive_upload(request, pid, "upload", None)
        return RedirectResponse(f"/datasets/{ds['id']}", status_code=303)

    @app.get("/datasets/{did}", response_class=HTMLResponse, include_in_schema=False)
    def dataset(
        request: Request, did: str, entity: str | None = None, period: str | None = None
    ) -> HTMLResponse:
        wb: Workbench = request.app.state.workbench
        pv = wb.preview(did, entity, period)
        return _page(
            request,
            "dataset.html",
            {"pv": pv, "project": wb.project(pv["dataset"]["project_id"]), "kinds": KINDS},
        )

    @app.get("/projects/{pid}/analyses/new", response_class=HTMLResponse, include_in_schema=False)
    def new_analysis(
        request: Request, pid: str, kind: str = "engine", dataset: str | None = None
    ) -> HTMLResponse:
        wb: Workbench = request.app.state.workbench
        p = wb.project(pid)
        ctx = _analysis_ctx(wb, kind, dataset)
        if kind == "survey":
            ctx["construct_rows"] = ctx["construct_guess"]
        values: dict[str, str] = {}
        if dataset:
            from cbeclab.web.services import guess_keys

            ent, per = guess_keys(wb.read_dataset(dataset))
            for prefix in ("data.", "", "panel."):
                values.update({prefix + "entity": ent or "", prefix + "period": per or ""})
        return _page(
            request, "analysis.html", {"project": p, **ctx, "values": values, "error": None, "prefill": True}
        )

    @app.post("/projects/{pid}/analyses", include_in_schema=False)
    async def create(request: Request, pid: str) -> Response:
        wb: Workbench = request.app.state.workbench
        form = await _form(request)
        kind = form.get("_kind", "")
        dataset_id = form.get("_dataset") or None
        p = wb.project(pid)
        try:
            options = _options_from_form(wb, kind, dataset_id, form)
            a = wb.create_analysis(pid, kind, options, dataset_id, form.get("_name", ""))
        except CbecError as exc:
            ctx = _analysis_ctx(wb, kind, dataset_id)
            if kind == "survey":
                ctx["construct_rows"] = construct_rows(form)
            return _page(
                request, "analysis.html", {"project": p, **ctx, "values": form, "error": str(exc)}, status=400
            )
        run = start(request.app, a["id"], _lang(request))
        return RedirectResponse(f"/runs/{run['id']}", status_code=303)

    @app.post("/analyses/{aid}/run", include_in_schema=False)
    async def rerun(request: Request, aid: str) -> Response:
        await _form(request)
        run = start(request.app, aid, _lang(request))
        return RedirectResponse(f"/runs/{run['id']}", status_code=303)

    @app.get("/runs/{rid}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, rid: str) -> HTMLResponse:
        wb: Workbench = request.app.state.workbench
        lang = _lang(request)
        v = wb.run_view(rid, lang)
        a = wb.analysis(v["run"]["analysis_id"])
        body = results_fragment(request.app, v, lang) if v["view"] else None
        ctx = {
            **v,
            "analysis": a,
            "project": wb.project(a["project_id"]),
            "results": body,
            "scripts": bool(v["view"] and v["view"]["charts"]),
        }
        return _page(request, "run.html", ctx, lang)

    @app.post("/runs/{rid}/cancel", include_in_schema=False)
    async def cancel(request: Request, rid: str) -> Response:
        await _form(request)
        wb: Workbench = request.app.state.workbench
        wb.run(rid)
        request.app.state.jobs.cancel(rid, pgettext("web", "cancelled by the user", lang=_lang(request)))
        return RedirectResponse(f"/runs/{rid}", status_code=303)

    @app.get("/runs/{rid}/files/{name}", include_in_schema=False)
    def download(request: Request, rid: str, name: str) -> FileResponse:
        return file_response(request.app.state.workbench, rid, name)

    @app.get("/vendor/vega-bundle.min.js", include_in_schema=False)
    def vega() -> Response:
        from cbeclab.render.charts import vendored_scripts

        js = "\n".join(text for _n, text in vendored_scripts())
        return Response(js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


def results_fragment(app: FastAPI, v: dict[str, Any], lang: str) -> Markup:
    """The results fragment of a finished run: written by the worker at run end, read once, kept."""
    rid = v["run"]["id"]
    cache: dict[tuple[str, str], Markup] = app.state.fragments
    body = cache.get((rid, lang))
    if body is None:
        wb: Workbench = app.state.workbench
        path = fragment_path(wb.run_dir(rid), lang)
        text = (
            path.read_text(encoding="utf-8")
            if path.is_file()
            else render_results(v["run"], v["files"], v["view"], lang)  # a run older than the fragments
        )
        body = Markup(text)  # rendered by the autoescaping results template
        if len(cache) >= 256:
            cache.clear()
        cache[(rid, lang)] = body
    return body


def _analysis_ctx(wb: Workbench, kind: str, dataset_id: str | None) -> dict[str, Any]:
    fields = fields_for(kind)
    columns: list[dict[str, str]] = []
    if dataset_id:
        df = wb.read_dataset(dataset_id)
        columns = [
            {"name": str(c), "type": "number" if pd.api.types.is_numeric_dtype(df[c].dtype) else "text"}
            for c in df.columns
        ]
    ctx: dict[str, Any] = {"kind": kind, "fields": fields, "columns": columns, "dataset_id": dataset_id}
    if kind == "engine":
        from cbeclab.frameworks.loader import list_frameworks

        ctx["frameworks"] = list_frameworks()
    if kind == "diagnosis":
        ctx["cities"] = _profiles("cities")
        ctx["clusters"] = _profiles("clusters")
    if kind == "survey":
        ctx.update(construct_form(columns))
    return ctx


_CONSTRUCT_RE = re.compile(r"^c(\d+)\.name$")


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def construct_form(columns: list[dict[str, str]]) -> dict[str, Any]:
    """The constructs editor of the survey form: one row a construct (its name, the text fields of
    ``ConstructSpec`` and an item picker over the dataset's columns, with ``ItemSpec.reverse`` as a
    second picker), walked from the spec models; ``guess`` groups columns by name (T11..T15 -> T1)."""
    from cbeclab.survey.spec import ConstructSpec, ItemSpec

    fields = form_fields(ConstructSpec, {"items"})
    item_fields = {f.name: f for f in form_fields(ItemSpec)}
    groups: dict[str, list[str]] = {}
    for c in columns:
        if c["type"] == "number":
            m = re.match(r"^([A-Za-z_]+\d*?)\d$", c["name"])
            if m:
                groups.setdefault(m.group(1), []).append(c["name"])
    guess: list[dict[str, Any]] = [
        {"name": k, "items": v, "reverse": []} for k, v in groups.items() if len(v) >= 2
    ]
    names = [str(g["name"]) for g in guess]
    example = (
        f"{names[-1]} ~ {' + '.join(names[:-1])}\n"
        if len(names) >= 2
        else "Y ~ F1 + F2 + F3 + M\nM ~ F1 + F2 + F3\n"
    )
    return {
        "construct_fields": fields,
        "construct_reverse": "reverse" in item_fields and item_fields["reverse"].kind == "checkbox",
        "construct_guess": guess,
        "example_model": example,
    }


def construct_rows(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a submitted constructs editor, in row order (rows without a name are dropped)."""
    rows = []
    for key in sorted((k for k in form if _CONSTRUCT_RE.match(k)), key=lambda k: int(k[1:].split(".")[0])):
        i = key[: key.index(".")]
        name = str(form.get(key) or "").strip()
        if not name:
            continue
        rows.append(
            {
                "name": name,
                "items": _as_list(form.get(f"{i}.items")),
                "reverse": _as_list(form.get(f"{i}.reverse")),
                **{k: str(form.get(f"{i}.{k}") or "").strip() for k in ("en", "zh")},
            }
        )
    return rows


def constructs_from_rows(rows: list[dict[str, Any]], fields: list[FormField]) -> dict[str, Any]:
    """``SurveySpec.constructs`` from the editor's rows (the mapping the YAML spec would hold)."""
    out: dict[str, Any] = {}
    for r in rows:
        if r["name"] in out:
            raise SpecError(
                f"construct {r['name']!r} is given twice",
                where="constructs",
                fix="give each construct one row",
            )
        entry: dict[str, Any] = {f.name: r[f.name] for f in fields if r.get(f.name)}
        rev = set(r["reverse"])
        entry["items"] = {item: ({"reverse": True} if item in rev else {}) for item in r["items"]}
        out[r["name"]] = entry
    return out


def _options_from_form(
    wb: Workbench, kind: str, dataset_id: str | None, form: dict[str, Any]
) -> dict[str, Any]:
    import yaml

    options = parse_form(fields_for(kind), form)
    if kind in ("engine", "weights", "synergy", "coupling"):
        subs: dict[str, dict[str, str]] = {}
        for key, val in form.items():
            if key.startswith("sub:") and val.strip():
                col = key[4:]
                direction = form.get("dir:" + col, "+")
                subs.setdefault(val.strip(), {})[col] = "-" if direction == "-" else "+"
        if kind == "engine" and form.get("framework"):
            options["framework"] = form["framework"]
        if subs or kind != "engine":
            options["subsystems"] = subs
    if kind == "survey":
        options["model"] = {"syntax": form.get("model_syntax", "")}
        from cbeclab.survey.spec import ConstructSpec

        options["constructs"] = constructs_from_rows(
            construct_rows(form), form_fields(ConstructSpec, {"items"})
        )
    if kind == "diagnosis":
        for part in ("city", "cluster"):
            edited = (form.get(f"{part}_yaml") or "").strip()
            name = form.get(part) or ""
            folder = "cities" if part == "city" else "clusters"
            if edited and name and edited != bundled_profile_text(folder, name).strip():
                try:
                    options[part] = yaml.safe_load(edited)
                except yaml.YAMLError as exc:
                    raise SpecError(
                        f"the {part} profile is not valid YAML: {exc}", where=f"{part} profile"
                    ) from None
            elif name:
                options[part] = name
        if not form.get("use_panel"):
            options.pop("panel", None)
    return options
