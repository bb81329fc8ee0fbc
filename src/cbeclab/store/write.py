"""Write a run: every table once into the store, then result.json, result.xlsx, report.html, manifest.

:func:`write_run` is what ``cbeclab run`` and ``cbeclab demo`` call. Everything goes into a staging
folder that replaces the output folder in one swap (:func:`cbeclab.store.folder.run_folder`), so a
reader never sees a mix of two runs. The JSON and XLSX writers take their tables from the store
(:class:`~cbeclab.store.runstore.RunStore`), the same reader the web workbench uses.
"""

from __future__ import annotations

import contextlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from cbeclab.jsonsafe import json_safe, records
from cbeclab.store.folder import run_folder
from cbeclab.store.runstore import MANIFEST, SCHEMA_VERSION, RunStore, StoreWriter

__all__ = ["INLINE_ROWS", "XLSX_MAX_CELLS", "result_document", "write_run"]

#: tables up to this many rows are written into result.json as well; longer ones only by file name
INLINE_ROWS = 2_000
#: cells (rows x columns) result.xlsx holds at most, besides the summary and contents sheets; tables
#: are taken whole in the report's order while they fit, the contents sheet names the file of the rest
XLSX_MAX_CELLS = 50_000
#: result.json is indented up to this size of the inline content (rows of all inline tables)
PRETTY_JSON_ROWS = 20_000


def _ref(store: RunStore, name: str, frame: pd.DataFrame | None = None) -> Any:
    """Rows of table ``name`` when short (``INLINE_ROWS``), else ``{"file", "rows", "columns"}``."""
    if name not in store.tables:
        return None
    info = store.info(name)
    if info["rows"] <= INLINE_ROWS:
        return records(frame if frame is not None else store.table(name, verify=False))
    return {"file": info["file"], "rows": info["rows"], "columns": info["columns"]}


def result_document(
    result: Any, store: RunStore, frames: dict[str, pd.DataFrame] | None = None
) -> dict[str, Any]:
    """``result.json`` (schema 2, docs/result-schema.md): metadata, summary, small tables, file names.

    ``frames`` are the run's tables already in memory (``result.tables()``); the rest is read from
    ``store``.
    """
    from cbeclab import __version__
    from cbeclab.models.coupling import grade_scale

    p = result.panel
    frames = frames if frames is not None else result.tables()
    ref = lambda name: _ref(store, name, frames.get(name))  # noqa: E731
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "cbeclab_version": __version__,
        "title": result.spec.title,
        "manifest": MANIFEST,
        "data": {
            "source": p.source,
            "entity": p.entity,
            "period": p.period,
            "n_entities": len(p.entities),
            "n_periods": len(p.periods),
            "entities": json_safe(list(p.entities)),
            "periods": json_safe(list(p.periods)),
            "indicators": list(p.indicators),
            "imputed_cells": ref("imputed_cells") or [],
            "missing_cells": ref("missing_cells") or [],
            "notes": list(p.notes),
        },
        "subsystems": result.subsystems,
        "options": json_safe(result.spec.model_dump(exclude={"base_dir"})),
        "summary": records(frames["summary"]),
    }
    syn = result.synergy
    doc["synergy"] = (
        None
        if syn is None
        else {
            "model": "composite-system synergy",
            "options": json_safe(syn.options),
            "subsystems": json_safe(syn.subsystems),
            "index_names": list(syn.index_names),
            "weights": ref("weights_synergy"),
            "bounds": ref("bounds"),
            "order_degree": ref("order_degree"),
            "subsystem_order": ref("subsystem_order"),
            "synergy": ref("synergy"),
            "notes": list(syn.notes),
        }
    )
    doc["stages"] = ref("stages")
    cpl = result.coupling
    doc["coupling"] = (
        None
        if cpl is None
        else {
            "model": f"coupling coordination ({cpl.model})",
            "subsystems": list(cpl.subsystems),
            "contribution": json_safe(cpl.contribution),
            "compat": cpl.compat,
            "options": json_safe(cpl.options),
            "weights": ref("weights_coupling"),
            "grades": records(grade_scale()),
            "table": ref("coupling"),
            "notes": list(cpl.notes),
        }
    )
    obs = result.obstacles
    doc["obstacles"] = (
        None
        if obs is None
        else {
            "model": "obstacle degree",
            "options": json_safe(obs.options),
            "indicator": ref("obstacles_indicator"),
            "subsystem": ref("obstacles_subsystem"),
            "top": ref("obstacles_top"),
            "notes": list(obs.notes),
        }
    )
    doc["forecasts"] = {
        name: {
            "model": "GM(1,1)",
            "h": fc.h,
            "params": ref(f"forecast_{name}_params"),
            "values": ref(f"forecast_{name}"),
            "notes": list(fc.notes),
        }
        for name, fc in result.forecasts.items()
    }
    sens = getattr(result, "sensitivity", None)
    doc["sensitivity"] = None if sens is None else records(frames["sensitivity"])
    doc["sensitivity_options"] = None if sens is None else json_safe(sens.options)
    doc["tables"] = {
        name: {k: store.info(name)[k] for k in ("file", "rows", "columns")} for name in store.tables
    }
    doc["notes"] = list(result.notes)
    return doc


def write_run(
    result: Any, out: str | os.PathLike[str], *, lang: str | None = None, pngs: Any = None
) -> dict[str, Path]:
    """Write every output of ``result`` into the run folder ``out``, replacing the previous run whole.

    Order: every table as Parquet under ``tables/``, then ``result.json``, ``result.xlsx`` (the report's
    XLSX view, :func:`cbeclab.render.xlsx.xlsx_bytes`),
    ``report.html``, ``report.docx``, and ``manifest.json`` last, all in a staging folder swapped in at the end.
    Returns the final paths (``json``, ``xlsx``, ``html``, ``manifest``, ``tables``).
    ``pngs``: a :class:`~cbeclab.render.pngjobs.PngJobs` the caller started early (``cbeclab run``
    starts it before reading the data, so the helper is warm) and closes; default: one started here.
    """
    from cbeclab.render.docx import docx_bytes
    from cbeclab.render.engine_report import build_engine_document
    from cbeclab.render.html import render_html
    from cbeclab.render.pngjobs import PngJobs
    from cbeclab.render.xlsx import render_xlsx

    lang = lang or result.spec.lang
    target = Path(out).absolute()
    with run_folder(target) as stage, contextlib.ExitStack() as stack:
        if pngs is None:
            pngs = stack.enter_context(PngJobs())
        # one document, three views: the workbook (every table with display names, the long ones named
        # by their Parquet file), the HTML page and the Word file. It is built first: its figures are
        # drawn in a second process while the store, result.json, result.xlsx and report.html are
        # written here (render/pngjobs.py)
        #
        # The Parquet tables are written by a second thread meanwhile: arrow converts, encodes and
        # compresses without holding the interpreter, so this overlaps with the (Python-bound) report
        # building. Leaving the ``with`` block waits for the thread even when the report fails, so
        # nothing writes into the staging folder after it is removed.
        writer = StoreWriter(stage)
        frames = result.tables()
        with ThreadPoolExecutor(1, thread_name_prefix="cbeclab-store") as pool:
            tables_done = pool.submit(_write_tables, writer, frames)
            report = build_engine_document(result, lang, on_figures=pngs.submit)
            tables_done.result()
        store = writer.pending()
        doc = result_document(result, store, frames)
        del frames
        inline = sum(len(v) for v in doc.values() if isinstance(v, list))
        indent = 2 if inline <= PRETTY_JSON_ROWS else None
        sep = (",", ": ") if indent is not None else (",", ":")
        text = json.dumps(json_safe(doc), ensure_ascii=False, indent=indent, separators=sep, allow_nan=False)
        writer.add_file("result.json", (text + "\n").encode("utf-8"))
        from cbeclab.store.folder import _hook

        _hook("result.xlsx")
        stored = {n: store.info(n)["file"] for n in store.tables}
        render_xlsx(report, stage / "result.xlsx", max_cells=XLSX_MAX_CELLS, stored=stored, keep=("summary",))
        writer.files["result.xlsx"] = _file_entry(stage / "result.xlsx")
        writer.add_file("report.html", render_html(report).encode("utf-8"))
        # the Word file's text and tables are built while the helper still draws its last figures:
        # each figure is waited for where the document reaches it
        writer.add_file("report.docx", docx_bytes(report, pngs.pending()))
        writer.finish(json_safe(result.spec.model_dump(exclude={"base_dir"})))
    return {
        "json": target / "result.json",
        "xlsx": target / "result.xlsx",
        "html": target / "report.html",
        "docx": target / "report.docx",
        "manifest": target / MANIFEST,
        "tables": target / "tables",
    }


def _write_tables(writer: StoreWriter, frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        writer.add_table(name, frame)


def _file_entry(path: Path) -> dict[str, Any]:
    from cbeclab.store.runstore import sha256_file

    return {"sha256": sha256_file(path), "bytes": path.stat().st_size}
