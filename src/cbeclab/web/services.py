"""The workbench's service layer: every page and every API route calls these functions, nothing else.

Datasets are streamed to disk (checked by content, limited in size, hashed); analyses are validated
with the same pydantic spec models the CLI reads; runs execute the same pipeline functions and the
same writers as ``cbeclab run`` / ``survey`` / ``diagnose`` into a folder of their own.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cbeclab.errors import CbecError, DataError, ModelSyntaxError, SpecError
from cbeclab.i18n import pgettext
from cbeclab.io.atomic import atomic_write_bytes, atomic_write_text
from cbeclab.web.db import Store, new_id

__all__ = [
    "KINDS",
    "DEFAULT_MAX_UPLOAD_MB",
    "OneOffSpec",
    "Workbench",
    "check_sem_syntax",
    "neutralise_formula",
    "sniff_kind",
]

DEFAULT_MAX_UPLOAD_MB = 100
CHUNK = 1 << 20
KINDS = ("engine", "weights", "synergy", "coupling", "survey", "diagnosis")
_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "sav": ".sav"}


# ---- content checks ------------------------------------------------------------------------------
def sniff_kind(head: bytes, filename: str = "upload") -> str:
    """The file type from its first bytes (never from its name): ``csv``, ``xlsx`` or ``sav``.

    XLSX is a ZIP (``PK\\x03\\x04``), SPSS system files start with ``$FL2`` / ``$FL3``; anything else
    must be text without NUL bytes that decodes as UTF-8 (with or without BOM), UTF-16 (with BOM) or
    GB18030, i.e. a delimited text table.
    """
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"
    sample = head[:65536]
    if b"\x00" in sample or not sample.strip():
        raise DataError(
            pgettext("web", "the file is neither a CSV text table, an XLSX workbook nor an SPSS .sav file"),
            where=filename,
            fix=pgettext(
                "web", "upload a .csv, .xlsx or .sav file (the type is read from the content, not the name)"
            ),
        )
    for enc in ("utf-8-sig", "gb18030"):
        try:
            # a chunk boundary may cut a multi-byte character: drop up to 3 trailing bytes
            for cut in range(4):
                try:
                    sample[: len(sample) - cut].decode(enc)
                    return "csv"
                except UnicodeDecodeError:
                    continue
        except LookupError:  # pragma: no cover - both codecs ship with Python
            continue
    raise DataError(
        pgettext("web", "the file is not text in a known encoding (UTF-8 or GBK)"),
        where=filename,
        fix=pgettext("web", "save the table as CSV UTF-8 or as .xlsx"),
    )


def _check_xlsx(path: Path, filename: str) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        raise DataError(
            pgettext("web", "the workbook is damaged (not a valid ZIP)"), where=filename
        ) from None
    if "xl/workbook.xml" not in names:
        raise DataError(
            pgettext("web", "the ZIP file is not an Excel workbook (no xl/workbook.xml)"),
            where=filename,
            fix=pgettext("web", "upload an .xlsx saved by Excel, WPS or LibreOffice"),
        )


def neutralise_formula(value: Any) -> Any:
    """Text starting with ``= + - @`` (or a tab / CR) gets a leading apostrophe: never run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def neutralise_xlsx(path: Path) -> int:
    """Rewrite every formula cell (headers included) of ``path`` as inert text; returns how many."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] == "="):
                    cell.value = neutralise_formula(str(cell.value))
                    cell.data_type = "s"
                    n += 1
    if n:
        buf = io.BytesIO()
        wb.save(buf)
        atomic_write_bytes(path, buf.getvalue())
    return n


def check_sem_syntax(syntax: str) -> dict[str, Any] | None:
    """None when ``syntax`` parses; else ``{"message", "line", "column"}`` from cbeclab.sem's error."""
    from cbeclab.sem.syntax import parse_model

    try:
        parse_model(syntax)
    except ModelSyntaxError as exc:
        m = re.search(r"line (\d+), column (\d+)", exc.where or "")
        return {
            "message": str(exc),
            "line": int(m.group(1)) if m else None,
            "column": int(m.group(2)) if m else None,
        }
    return None


# ---- one-off model options (the same names as the CLI's weights / synergy / coupling options) ------
class OneOffSpec(BaseModel):
    """Options of a one-off weights, synergy or coupling analysis (the CLI's flags, as a model)."""

    model_config = ConfigDict(extra="forbid")

    entity: str = "entity"
    period: str = "period"
    impute: Literal["linear", "interpolate"] | None = None
    subsystems: dict[str, dict[str, int | str]] = Field(default_factory=dict)
    method: Literal["entropy", "critic", "cv", "equal"] = "entropy"
    scope: Literal["pooled", "per_entity"] | None = None
    bound_margin: float = Field(0.1, ge=0.0, le=10.0)
    base: Literal["first", "previous"] = "first"
    aggregate: Literal["weighted", "geometric"] = "weighted"
    model: Literal["classical", "modified"] = "classical"
    compat: Literal["spssau"] | None = None


def _validation(exc: ValidationError, where: str) -> SpecError:
    from cbeclab.spec import format_validation_error

    return format_validation_error(exc, where)


def _profiles(kind: str) -> list[str]:
    folder = resources.files("cbeclab.diagnose").joinpath("profiles", kind)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def bundled_profile_text(kind: str, name: str) -> str:
    if name not in _profiles(kind):
        raise SpecError(f"unknown {kind[:-1]} profile {name!r}", fix=", ".join(_profiles(kind)))
    return resources.files("cbeclab.diagnose").joinpath("profiles", kind, name + ".yaml").read_text("utf-8")


# ---- the workbench -------------------------------------------------------------------------------
class Workbench:
    """One data folder: the SQLite store, the kept uploads and the run folders."""

    def __init__(self, data_dir: str | Path, *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "datasets").mkdir(exist_ok=True)
        (self.data_dir / "runs").mkdir(exist_ok=True)
        self.store = Store(self.data_dir / "cbeclab.sqlite")
        self.max_upload = int(max_upload_mb * 1024 * 1024)
        self._done: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    # -- ids ---------------------------------------------------------------------------------------
    @staticmethod
    def check_id(value: str, what: str = "id") -> str:
        if not _ID_RE.match(value or ""):
            raise SpecError(f"{what} {value!r} is not valid", fix="use the id shown in the list")
        return value

    def project(self, pid: str) -> dict[str, Any]:
        p = self.store.project(self.check_id(pid, "project"))
        if p is None:
            raise SpecError(pgettext("web", "no project with id {id}", id=pid))
        return p

    def dataset(self, did: str) -> dict[str, Any]:
        d = self.store.dataset(self.check_id(did, "dataset"))
        if d is None:
            raise SpecError(pgettext("web", "no dataset with id {id}", id=did))
        return d

    def analysis(self, aid: str) -> dict[str, Any]:
        a = self.store.analysis(self.check_id(aid, "analysis"))
        if a is None:
            raise SpecError(pgettext("web", "no analysis with id {id}", id=aid))
        return a

    def run(self, rid: str) -> dict[str, Any]:
        r = self.store.run(self.check_id(rid, "run"))
        if r is None:
            raise SpecError(pgettext("web", "no run with id {id}", id=rid))
        return r

    # -- projects ----------------------------------------------------------------------------------
    def create_project(
        self, name: str, description: str = "", names: dict[str, dict[str, str]] | None = None
    ) -> dict[str, Any]:
        name = (name or "").strip()
        if not name:
            raise SpecError(
                pgettext("web", "a project needs a name"), where="name", fix=pgettext("web", "type a name")
            )
        if len(name) > 200:
            raise SpecError(pgettext("web", "the name is longer than 200 characters"), where="name")
        return self.store.add_project(name, description.strip(), names)

    # -- datasets ----------------------------------------------------------------------------------
    def dataset_path(self, ds: dict[str, Any]) -> Path:
        return self.data_dir / "datasets" / ds["id"] / ("original" + _SUFFIX[ds["kind"]])

    def save_upload(
        self, project_id: str, filename: str, chunks: Iterable[bytes], name: str | None = None
    ) -> dict[str, Any]:
        """Stream ``chunks`` to disk (hashing as it goes), check size and content, record the dataset."""
        self.project(project_id)
        filename = os.path.basename(str(filename or "upload")).strip() or "upload"
        did = new_id()
        folder = self.data_dir / "datasets" / did
        folder.mkdir()
        tmp = folder / ".upload.tmp"
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.max_upload:
                        raise DataError(
                            pgettext(
                                "web",
                                "the file is larger than the upload limit of {mb} MB",
                                mb=f"{self.max_upload / 1024 / 1024:g}",
                            ),
                            where=filename,
                            fix=pgettext(
                                "web", "upload fewer rows or columns, or start the server with a larger limit"
                            ),
                        )
                    if len(head) < 65536:
                        head += chunk[: 65536 - len(head)]
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if size == 0:
                raise DataError(pgettext("web", "the file is empty (0 bytes)"), where=filename)
            kind = sniff_kind(head, filename)
            if kind == "xlsx":
                _check_xlsx(tmp, filename)
            os.replace(tmp, folder / ("original" + _SUFFIX[kind]))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return self.store.add_dataset(
            did, project_id, (name or filename)[:200], filename, kind, size, digest.hexdigest()
        )

    def read_dataset(self, did: str) -> pd.DataFrame:
        ds = self.dataset(did)
        return _read_cached(str(self.dataset_path(ds)), ds["sha256"]).copy()

    def preview(
        self, did: str, entity: str | None = None, period: str | None = None, rows: int = 50
    ) -> dict[str, Any]:
        """First rows, column types and validation messages (the CLI's) placed at their cells."""
        from cbeclab.io.panel import load_panel
        from cbeclab.io.readers import to_number

        ds = self.dataset(did)
        df = self.read_dataset(did)
        cols = [str(c) for c in df.columns]
        ent, per = guess_keys(df)
        entity = entity if entity in cols else ent
        period = period if period in cols else per
        columns = []
        for c in df.columns:
            s = df[c]
            kind = "number" if pd.api.types.is_numeric_dtype(s.dtype) else "text"
            columns.append({"name": str(c), "type": kind, "missing": int(s.isna().sum())})
        messages: list[str] = []
        cells: dict[tuple[int, str], str] = {}
        try:
            load_panel(df, entity=entity or "entity", period=period or "period", name=ds["filename"])
        except CbecError as exc:
            messages.append(str(exc))
            for c in df.columns:
                if str(c) in (entity, period) or pd.api.types.is_numeric_dtype(df[c].dtype):
                    continue
                if f"'{c}'" not in str(exc) and str(c) not in str(exc):
                    continue
                _num, bad = to_number(df[c])
                for pos in bad.to_numpy().nonzero()[0][:200]:
                    cells[(int(pos), str(c))] = str(exc)
        head = df.head(rows)
        body = []
        for i, (_idx, r) in enumerate(head.iterrows()):
            body.append(
                [
                    {"value": "" if pd.isna(v) else str(v), "issue": cells.get((i, str(c)))}
                    for c, v in zip(df.columns, r.tolist())
                ]
            )
        # the row numbers the user sees in the file (title rows above the header are skipped)
        file_rows = list(df.attrs.get("rows") or range(2, len(df) + 2))
        cell_issues = [
            {"row": int(file_rows[i]), "column": c, "message": m} for (i, c), m in sorted(cells.items())
        ]
        return {
            "header_row": int(df.attrs.get("header_row") or 1),
            "read_notes": [str(n) for n in df.attrs.get("skipped_rows") or []],
            "row_numbers": [int(r) for r in file_rows[:rows]],
            "dataset": ds,
            "entity": entity,
            "period": period,
            "n_rows": int(len(df)),
            "columns": columns,
            "rows": body,
            "messages": messages,
            "cell_issues": cell_issues,
        }

    # -- analyses ----------------------------------------------------------------------------------
    def validate_options(self, kind: str, dataset_id: str | None, options: dict[str, Any]) -> dict[str, Any]:
        """Validate ``options`` with the kind's spec model; returns the spec as the CLI would read it."""
        if kind not in KINDS:
            raise SpecError(f"unknown analysis kind {kind!r}", where="kind", fix=", ".join(KINDS))
        if not isinstance(options, dict):
            raise SpecError(pgettext("web", "the options must be a mapping"), where="options")
        ds = self.dataset(dataset_id) if dataset_id else None
        path = str(self.dataset_path(ds)) if ds else None
        if kind == "engine":
            from cbeclab.spec import spec_from_dict

            if ds is None:
                raise SpecError(pgettext("web", "choose a dataset for this analysis"), where="dataset_id")
            raw = dict(options)
            data = {k: v for k, v in dict(raw.get("data") or {}).items() if k not in ("path", "dataset")}
            raw["data"] = {**data, "path": path}
            spec = spec_from_dict(raw, source="analysis options")
            self._check_columns(
                ds,
                [spec.data.entity, spec.data.period]
                + [i for s in (spec.subsystems or {}).values() for i in s],
            )
            return raw
        if kind in ("weights", "synergy", "coupling"):
            if ds is None:
                raise SpecError(pgettext("web", "choose a dataset for this analysis"), where="dataset_id")
            try:
                one = OneOffSpec.model_validate(options)
            except ValidationError as exc:
                raise _validation(exc, "analysis options") from None
            if kind != "weights" and len(one.subsystems) < 2:
                raise SpecError(
                    pgettext("web", "give at least two subsystems"),
                    where="subsystems",
                    fix=pgettext("web", "assign columns to two subsystems"),
                )
            if not one.subsystems:
                raise SpecError(pgettext("web", "pick at least one indicator column"), where="subsystems")
            self._check_columns(
                ds, [one.entity, one.period] + [i for s in one.subsystems.values() for i in s]
            )
            return {**one.model_dump(), "_path": path}
        if kind == "survey":
            from cbeclab.survey.spec import survey_spec_from_dict

            if ds is None:
                raise SpecError(pgettext("web", "choose a dataset for this analysis"), where="dataset_id")
            raw = dict(options)
            raw["data"] = {**dict(raw.get("data") or {}), "path": path}
            model = raw.get("model") or {}
            if isinstance(model, dict) and isinstance(model.get("syntax"), str):
                err = check_sem_syntax(model["syntax"])
                if err is not None:
                    raise SpecError(err["message"], where="model.syntax")
            sspec = survey_spec_from_dict(raw, source="analysis options")
            if not sspec.data.columns:  # items are columns by name (no column mapping given)
                self._check_columns(
                    ds,
                    [it.column or n for c in sspec.constructs.values() for n, it in c.items.items()],
                    items=True,
                )
            return raw
        # diagnosis
        from cbeclab.diagnose.report import DiagnoseSpec

        raw = dict(options)
        if raw.get("panel"):
            if ds is None:
                raise SpecError(pgettext("web", "choose a dataset for the panel part"), where="dataset_id")
            raw["panel"] = {**dict(raw["panel"]), "path": path}
        for k in ("city", "cluster"):
            if isinstance(raw.get(k), dict):  # an edited profile: validated when the run reads it
                raw[k] = dict(raw[k])
        check = {k: v for k, v in raw.items() if k not in ("city", "cluster") or isinstance(v, str)}
        try:
            DiagnoseSpec.model_validate(check)
        except ValidationError as exc:
            raise _validation(exc, "analysis options") from None
        if not any(raw.get(k) for k in ("city", "cluster", "panel", "sem", "synergy")):
            raise SpecError(
                pgettext("web", "the diagnosis names nothing to diagnose"),
                fix=pgettext("web", "give a city or a cluster profile"),
            )
        return raw

    def _check_columns(self, ds: dict[str, Any], needed: list[str], items: bool = False) -> None:
        cols = [str(c) for c in self.read_dataset(ds["id"]).columns]
        missing = [c for c in needed if c not in cols]
        if missing:
            msg = (
                pgettext(
                    "web",
                    "{n} item(s) are not columns of the data: {names}",
                    n=len(missing),
                    names=", ".join(missing),
                )
                if items
                else pgettext(
                    "web",
                    "{n} indicator(s) are not columns of the data: {names}",
                    n=len(missing),
                    names=", ".join(missing),
                )
            )
            raise DataError(
                msg,
                where=ds["filename"],
                fix=pgettext("web", "use column names of the data"),
            )

    def create_analysis(
        self,
        project_id: str,
        kind: str,
        options: dict[str, Any],
        dataset_id: str | None = None,
        name: str = "",
        names: dict[str, dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        self.project(project_id)
        checked = self.validate_options(kind, dataset_id, options)
        title = str(name or checked.get("title") or kind).strip()[:200] or kind
        return self.store.add_analysis(project_id, dataset_id, kind, title, checked, names)

    # -- runs --------------------------------------------------------------------------------------
    def run_dir(self, rid: str) -> Path:
        return self.data_dir / "runs" / self.check_id(rid, "run")

    def new_run(
        self, aid: str, lang: str, scheduler: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Record a queued run with a fresh folder of its own; returns (run, job for the worker)."""
        a = self.analysis(aid)
        run = self.store.add_run(aid, lang)
        out = self.run_dir(run["id"])
        out.mkdir(exist_ok=False)  # ids are fresh: two runs never share a folder
        job = {
            "kind": a["kind"],
            "options": a["options"],
            "out": str(out),
            "lang": lang,
            "scheduler": scheduler,
        }
        return run, job

    def run_view(self, rid: str, lang: str | None = None) -> dict[str, Any]:
        """The run, its registered files and, once done, its results view in ``lang`` (default: the
        run's language; one-off analyses have one language-free view)."""
        done = self._done.get(rid)
        if done is None:
            run = self.run(rid)
            files = self.store.results(rid)
            if run["status"] == "done":  # a finished run never changes: keep its record and files
                if len(self._done) >= 1024:
                    self._done.clear()
                self._done[rid] = done = (run, files)
            else:
                return {"run": run, "files": files, "view": None}
        run, files = done
        return {"run": run, "files": files, "view": _read_view(self.view_path(rid, lang or run["lang"]))}

    def view_path(self, rid: str, lang: str) -> str:
        folder = self.run_dir(rid)
        p = folder / f"view.{lang if lang in VIEW_LANGS else 'en'}.json"
        return str(p if p.exists() else folder / "view.json")

    def result_file(self, rid: str, name: str) -> Path:
        """A file of a finished run, by its registered name only (never a path from the request)."""
        run = self.run(rid)
        names = {r["name"] for r in self.store.results(run["id"])}
        if name not in names:
            raise SpecError(pgettext("web", "this run has no file named {name}", name=name))
        return self.run_dir(rid) / name


@lru_cache(maxsize=8)
def _read_cached(path: str, sha: str) -> pd.DataFrame:
    from cbeclab.io.readers import read_table

    return read_table(path)


@lru_cache(maxsize=64)
def _read_view(path: str) -> dict[str, Any] | None:
    p = Path(path)
    if not p.exists():
        return None
    return dict(json.loads(p.read_text(encoding="utf-8")))


def guess_keys(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """A likely entity and period column: by name first, else the first text / first integer column."""
    cols = [str(c) for c in df.columns]
    low = {c.lower(): c for c in cols}
    period = next((low[k] for k in ("period", "year", "年份", "年", "time") if k in low), None)
    entity = next(
        (low[k] for k in ("entity", "cluster", "city", "region", "name", "地区", "集群") if k in low), None
    )
    if entity is None:
        entity = next((str(c) for c in df.columns if not pd.api.types.is_numeric_dtype(df[c].dtype)), None)
    if period is None:
        period = next(
            (str(c) for c in df.columns if pd.api.types.is_integer_dtype(df[c].dtype) and str(c) != entity),
            None,
        )
    return entity, period


# ---- the worker side -----------------------------------------------------------------------------
Progress = Callable[[float, str], None]


def _records(df: pd.DataFrame, limit: int = 500) -> dict[str, Any]:
    from cbeclab.render.jsonout import records

    return {"columns": [str(c) for c in df.columns], "rows": records(df.head(limit)), "n_rows": int(len(df))}


#: the languages every finished run is viewed in (its tables and charts are written in each at run end)
VIEW_LANGS = ("en", "zh")


def _document_view(doc: Any, lang: str, limit: int = 500) -> dict[str, Any]:
    """The numbered tables and figures of a report Document, as printed: captions, display headers
    (``render/columns.yaml``), formatted cells, the notes under each table, the figures' charts."""
    tables: dict[str, Any] = {}
    for t in doc.tables("html"):
        cols = t.resolved_cols()
        frame = pd.DataFrame(t.text_rows(limit), columns=[c.header(lang) for c in cols])
        entry = _records(frame, limit)
        entry["n_rows"] = int(len(t.data))
        entry["notes"] = list(doc.table_notes(t))
        tables[doc.caption(t)] = entry
    charts = []
    for f in doc.figures():
        c = f.chart
        charts.append(
            {
                "key": c.key,
                "label": doc.label(f) or "",
                "title": f.title,
                "kind": c.kind,
                "spec": c.spec,
                "svg": c.svg,
                "note": c.note,
            }
        )
    return {"tables": tables, "charts": charts}


def _views(out: Path, common: dict[str, Any], build: Callable[[str], Any]) -> None:
    """Write ``view.<lang>.json`` for every language: ``common`` plus the tables and figures of the
    report Document ``build(lang)`` (the same document the HTML and Word reports print)."""
    for lg in VIEW_LANGS:
        _write_view(out, {**common, "lang": lg, **_document_view(build(lg), lg)}, lg)


def _engine(job: dict[str, Any], progress: Progress) -> None:
    """An engine run as ``cbeclab run`` does it; with a scheduler, partitioned by entity on Dask."""
    from cbeclab.pipeline import run_spec
    from cbeclab.render.engine_report import build_engine_document
    from cbeclab.spec import spec_from_dict
    from cbeclab.store import write_run

    out = Path(job["out"])
    raw = {**job["options"], "lang": job["lang"]}
    spec = spec_from_dict(raw, source="analysis options")
    result = run_spec(
        spec, progress=lambda f, s: progress(0.6 * f, s), scheduler=job.get("scheduler") or None
    )
    progress(0.65, "write outputs")
    write_run(result, out)  # the CLI's writer: the run folder is swapped in whole
    _write_spec(out, raw, "run")
    progress(0.85, "results view")
    _views(
        out,
        {
            "kind": "engine",
            "title": spec.title,
            "summary": None,
            "notes": list(result.notes),
            "notes_lang": job["lang"],
        },
        lambda lg: build_engine_document(result, lg),
    )


def _oneoff(job: dict[str, Any], progress: Progress) -> None:
    from cbeclab.directions import parse_direction
    from cbeclab.io.panel import load_panel
    from cbeclab.render.jsonout import records, write_json
    from cbeclab.render.xlsx import write_xlsx

    o = OneOffSpec.model_validate({k: v for k, v in job["options"].items() if k != "_path"})
    kind = job["kind"]
    out = Path(job["out"])
    path = str(job["options"]["_path"])
    panel = load_panel(path, entity=o.entity, period=o.period, impute=o.impute)
    subs = {
        s: {i: parse_direction(d, where=f"subsystems.{s}.{i}") for i, d in inds.items()}
        for s, inds in o.subsystems.items()
    }
    cols = [i for s in subs.values() for i in s]
    panel.require_complete(where=str(path))
    X = panel.data[cols]
    progress(0.3, kind)
    if kind == "weights":
        from cbeclab.evaluate.weights import compute_weights

        dirs = {i: d for s in subs.values() for i, d in s.items()}
        table = compute_weights(X, dirs, o.method, scope=o.scope or "pooled").to_frame()
        cmd = [
            "cbeclab",
            "weights",
            path,
            "--entity",
            o.entity,
            "--period",
            o.period,
            "--method",
            o.method,
            "--scope",
            o.scope or "pooled",
        ]
        costs = [i for i, d in dirs.items() if d < 0]
        cmd += ["--benefit", ",".join(i for i, d in dirs.items() if d > 0)] + (
            ["--cost", ",".join(costs)] if costs else []
        )
    elif kind == "synergy":
        from cbeclab.diagnose.stages import synergy_stage
        from cbeclab.models.synergy import synergy

        res = synergy(
            X,
            subs,
            weights=o.method,
            bound_margin=o.bound_margin,
            base=o.base,
            scope=o.scope or "per_entity",
            aggregate=o.aggregate,
        )
        table = res.to_frame()
        st = synergy_stage(res.synergy)
        table["stage"] = st["stage"].to_numpy() if "stage" in st else None
        cmd = [
            "cbeclab",
            "synergy",
            path,
            "--entity",
            o.entity,
            "--period",
            o.period,
            "--weights",
            o.method,
            "--bound-margin",
            str(o.bound_margin),
            "--base",
            o.base,
            "--scope",
            o.scope or "per_entity",
            "--aggregate",
            o.aggregate,
        ]
    else:
        from cbeclab.models.coupling import coupling_coordination

        res2 = coupling_coordination(
            X, subs, weights=o.method, model=o.model, scope=o.scope or "pooled", compat=o.compat
        )
        table = res2.table
        cmd = [
            "cbeclab",
            "coupling",
            path,
            "--entity",
            o.entity,
            "--period",
            o.period,
            "--weights",
            o.method,
            "--model",
            o.model,
            "--scope",
            o.scope or "pooled",
        ] + (["--compat", o.compat] if o.compat else [])
    if kind != "weights":
        costs = [i for s in subs.values() for i, d in s.items() if d < 0]
        cmd += [a for s, inds in subs.items() for a in ("--subsystem", f"{s}={','.join(inds)}")]
        cmd += ["--cost", ",".join(costs)] if costs else []
    if o.impute:
        cmd += ["--impute", o.impute]
    progress(0.8, "write outputs")
    write_json(out / "result.json", records(table))
    write_xlsx(out / "result.xlsx", {kind: table})
    safe = table.copy()
    safe.columns = [neutralise_formula(str(c)) for c in safe.columns]
    for c in safe.columns:
        if pd.api.types.is_object_dtype(safe[c].dtype) or pd.api.types.is_string_dtype(safe[c].dtype):
            safe[c] = safe[c].map(neutralise_formula)
    atomic_write_text(out / "result.csv", safe.to_csv(index=False), encoding="utf-8-sig")
    import shlex

    atomic_write_text(
        out / "command.sh",
        "# reproduces this run with the CLI\n" + shlex.join(cmd + ["--out", "result.csv"]) + "\n",
    )
    from cbeclab.render.columns import lang_column, table_from_frame
    from cbeclab.render.document import Document, Section

    captions = {
        "weights": "Indicator weights",
        "synergy": "Synergy degree and stage",
        "coupling": "Coupling coordination",
    }
    for lg in VIEW_LANGS:  # the table with the reports' column labels (render/columns.yaml)
        shown = table
        for base in ("stage", "grade"):
            shown = lang_column(shown, base, lg)
        cap = pgettext("web", captions[kind], lang=lg)
        doc = Document(cap, lg, (Section(kind, cap, (table_from_frame(kind, cap, shown, lg),)),))
        view = {"kind": kind, "title": cap, "summary": None, "notes": [], **_document_view(doc, lg)}
        _write_view(out, view, lg)


def _survey(job: dict[str, Any], progress: Progress) -> None:
    from cbeclab.survey.report import build_survey_document, write_survey_outputs
    from cbeclab.survey.spec import survey_spec_from_dict
    from cbeclab.survey.workflow import run_survey

    out = Path(job["out"])
    raw = {**job["options"], "lang": job["lang"]}
    if job.get("scheduler"):
        raw["scheduler"] = job["scheduler"]
    spec = survey_spec_from_dict(raw, source="analysis options")
    _write_spec(out, {k: v for k, v in raw.items() if k != "scheduler"}, "survey")
    progress(0.05, "measurement")
    result = run_survey(spec, progress=lambda d, t: progress(0.1 + 0.8 * d / max(t, 1), f"bootstrap {d}/{t}"))
    progress(0.92, "write outputs")
    write_survey_outputs(result, out, job["lang"])
    _views(
        out,
        {
            "kind": "survey",
            "title": spec.title_in(job["lang"]),
            "summary": None,
            "notes": list(result.warnings),
            "notes_lang": job["lang"],
        },
        lambda lg: build_survey_document(result, lg),
    )


def _diagnosis(job: dict[str, Any], progress: Progress) -> None:
    from cbeclab.diagnose.report import build_diagnosis_document, run_diagnosis, write_diagnosis

    out = Path(job["out"])
    raw = {**job["options"], "lang": job["lang"]}
    spec_raw = dict(raw)
    for k in ("city", "cluster"):
        if isinstance(raw.get(k), dict):  # an edited profile is written next to the spec and named by file
            fname = f"{k}_profile.yaml"
            atomic_write_text(out / fname, yaml.safe_dump(raw[k], allow_unicode=True, sort_keys=False))
            raw[k] = str(out / fname)
            spec_raw[k] = fname
    _write_spec(out, spec_raw, "diagnose")
    progress(0.2, "diagnosis")
    report = run_diagnosis(raw, out)
    progress(0.8, "write outputs")
    write_diagnosis(report, out, job["lang"])
    d = report.to_dict()

    def recs(lg: str) -> list[dict[str, str]]:
        return [
            {
                "text": str(r.get(lg) or r.get("en") or r.get("id", "")),
                "why": str(r.get(f"why_{lg}") or r.get("why_en") or ""),
            }
            for r in d["recommendations"]
        ]

    common = {
        "kind": "diagnosis",
        "title": report.title,
        "summary": None,
        "notes": list(report.notes),
        "notes_lang": job["lang"],  # the notes are written once, in the run's language
    }
    for lg in VIEW_LANGS:
        view = _document_view(build_diagnosis_document(report, lg), lg)
        _write_view(out, {**common, "lang": lg, **view, "recommendations": recs(lg)}, lg)


def _write_spec(out: Path, raw: dict[str, Any], command: str) -> None:
    from cbeclab.jsonsafe import json_safe  # type: ignore[attr-defined]

    header = {
        "run": "# reproduces this run: cbeclab run spec.yaml --out OUT\n",
        "survey": "# reproduces this run: cbeclab survey spec.yaml --out OUT\n",
        "diagnose": "# reproduces this run: cbeclab diagnose spec.yaml --out OUT\n",
    }[command]
    text = yaml.safe_dump(json_safe(raw), allow_unicode=True, sort_keys=False)
    atomic_write_text(out / "spec.yaml", header + text)


def _write_view(out: Path, view: dict[str, Any], lang: str | None = None) -> None:
    """The run's results view (``view.<lang>.json``; one-off analyses: ``view.json``), written once."""
    from cbeclab.jsonsafe import json_safe  # type: ignore[attr-defined]

    name = f"view.{lang}.json" if lang else "view.json"
    atomic_write_text(out / name, json.dumps(json_safe(view), ensure_ascii=False, allow_nan=False))


RUNNERS: dict[str, Callable[[dict[str, Any], Progress], None]] = {
    "engine": _engine,
    "weights": _oneoff,
    "synergy": _oneoff,
    "coupling": _oneoff,
    "survey": _survey,
    "diagnosis": _diagnosis,
}


def run_job(job: dict[str, Any], progress: Progress) -> None:
    """Run one analysis job in this process (the worker calls it)."""
    RUNNERS[job["kind"]](job, progress)


FILE_KINDS = {
    ".html": "html",
    ".xlsx": "xlsx",
    ".docx": "docx",
    ".json": "json",
    ".yaml": "yaml",
    ".csv": "csv",
    ".sh": "text",
}


def register_outputs(store: Store, run_id: str, out: Path) -> None:
    """Neutralise formulas in workbooks, then record every output file with its size and SHA-256."""
    for p in sorted(out.iterdir()):
        if p.name.startswith((".", "view.")) or not p.is_file():
            continue
        if p.suffix == ".xlsx":
            neutralise_xlsx(p)
        data = p.read_bytes()
        store.add_result(
            run_id, p.name, FILE_KINDS.get(p.suffix, "file"), len(data), hashlib.sha256(data).hexdigest()
        )


def iter_file(fh: Any, chunk: int = CHUNK) -> Iterator[bytes]:
    while True:
        b = fh.read(chunk)
        if not b:
            return
        yield b
