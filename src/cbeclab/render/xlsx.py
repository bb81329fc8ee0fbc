"""The XLSX view of a :class:`~cbeclab.render.document.Document`, and a plain table-per-sheet writer.

:func:`render_xlsx` writes a first "contents" sheet (which sheet holds which numbered table, its rows
and notes) and then one table a sheet: translated sheet names, headers with units, real numbers with
Excel number formats (3 decimals, integers, thousands separators), column widths fitted to the text
and a frozen header row. Every row of every table is written; a table longer than Excel's row limit
continues on further sheets. Text cells that start with ``=``, ``+``, ``-`` or ``@`` get a leading
apostrophe so a spreadsheet never runs them as formulas. Files are written atomically.
Uses XlsxWriter (constant-memory friendly and several times faster than openpyxl for large sheets).
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from cbeclab.i18n import _
from cbeclab.io.atomic import atomic_write_bytes
from cbeclab.io.safecells import guard_cell
from cbeclab.render.document import Column, Document, Table
from cbeclab.render.numbers import excel_format, frame_formats, plain, star_legend

__all__ = ["MAX_ROWS", "render_xlsx", "write_xlsx", "xlsx_bytes"]

_BAD = re.compile(r"[\[\]\*\?/\\:]")
#: rows of data per sheet: Excel's limit (1,048,576) less the header row
MAX_ROWS = 1_048_575
_WIDTH_SAMPLE = 200


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD.sub("_", name).strip("'")[:31] or "sheet"
    cand, i = base, 1
    while cand.lower() in used:
        suffix = f"_{i}"
        cand = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(cand.lower())
    return cand


def _guard(v: Any) -> Any:
    """Formula-injection guard and plain Python values (NaN -> empty cell)."""
    v = guard_cell(plain(v))
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, list | tuple | dict | set):
        from cbeclab.render.numbers import fmt_value

        return fmt_value(v)
    return v


def _text_width(s: str) -> int:
    # CJK characters take about two Latin widths
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def _write_sheet(
    wb: Any, name: str, frame: pd.DataFrame, headers: Sequence[str], formats: Sequence[str | None]
) -> None:
    ws = wb.add_worksheet(name)
    head_fmt = wb.add_format({"bold": True, "top": 2, "bottom": 1, "text_wrap": True, "valign": "top"})
    cell_fmts = [wb.add_format({"num_format": f}) if f else None for f in formats]
    for j, h in enumerate(headers):
        ws.write_string(0, j, str(guard_cell(str(h))), head_fmt)
    cols = [frame.iloc[:, j].to_numpy(dtype=object) for j in range(frame.shape[1])]
    for j, col in enumerate(cols):
        fmt = cell_fmts[j]
        s = frame.iloc[:, j]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            # numbers need no formula guard: write the finite ones, leave NaN/inf cells empty
            vals = s.to_numpy(dtype=float, na_value=np.nan)
            for i in np.flatnonzero(np.isfinite(vals)).tolist():
                ws.write_number(i + 1, j, vals[i], fmt)
            continue
        seen: dict[Any, Any] = {}  # a text column repeats its values (names, stages): guard each once
        for i, v in enumerate(col, start=1):
            key = (type(v), v)  # 1, 1.0 and True are equal keys but different cells
            try:
                g = seen[key]
            except KeyError:
                g = seen[key] = _guard(v)
            except TypeError:  # unhashable (a list cell)
                g = _guard(v)
            if g is None:
                continue
            if isinstance(g, int | float | np.integer | np.floating):
                ws.write_number(i, j, float(g), fmt)
            else:
                ws.write_string(i, j, str(g))
    for j, h in enumerate(headers):
        sample = [str(_guard(v) if _guard(v) is not None else "") for v in cols[j][:_WIDTH_SAMPLE]]
        width = max([_text_width(str(h))] + [_text_width(s) for s in sample])
        ws.set_column(j, j, min(max(width + 2, 8), 60))
    ws.freeze_panes(1, 0)


def _chunks(frame: pd.DataFrame, max_rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[s : s + max_rows] for s in range(0, max(len(frame), 1), max_rows)]


def _workbook(buf: io.BytesIO) -> Any:
    return xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )


def write_xlsx(
    path: str | os.PathLike[str], sheets: Mapping[str, pd.DataFrame], *, max_rows: int = MAX_ROWS
) -> None:
    """Write ``sheets`` (name -> table) to ``path``: one sheet a table, headers as the column names.

    Sheet names are made Excel-safe and unique; a table longer than ``max_rows`` continues on further
    sheets (``name``, ``name_2``, ...), so no row is dropped; formula-like text is defused.
    """

    buf = io.BytesIO()
    wb = _workbook(buf)
    used: set[str] = set()
    for name, df in sheets.items():
        fmts = frame_formats(df)
        xf = [excel_format(fmts.get(str(c), "text")) for c in df.columns]
        for k, part in enumerate(_chunks(df, max_rows)):
            label = str(name) if k == 0 else f"{name}_{k + 1}"
            _write_sheet(wb, _sheet_name(label, used), part, [str(c) for c in df.columns], xf)
    wb.close()
    atomic_write_bytes(path, buf.getvalue())


def _col_format(t: Table, c: Column) -> str | None:
    return excel_format(c.fmt, c.digits if c.digits is not None else t.digits)


def _plan(
    doc: Document, used: set[str], max_rows: int, max_cells: int | None, keep: Sequence[str]
) -> list[tuple[str | None, Table, pd.DataFrame, int]]:
    """Sheets to write in reading order: (name, table, rows, part); name None: left out by ``max_cells``.

    Tables are taken whole in reading order while their cells fit the budget (``keep`` tables always);
    a table that does not fit is left out, later smaller ones are still taken.
    """
    plan: list[tuple[str | None, Table, pd.DataFrame, int]] = []
    cells = 0
    for t in doc.tables("xlsx"):
        size = len(t.data) * max(1, len(t.cols()))
        if max_cells is not None and t.key not in keep:
            if cells + size > max_cells:
                plan.append((None, t, t.data, 0))
                continue
            cells += size
        for k, part in enumerate(_chunks(t.data, max_rows)):
            base = t.sheet or doc.label(t) or t.key
            label = base if k == 0 else f"{base}_{k + 1}"
            plan.append((_sheet_name(label, used), t, part, k))
    return plan


def xlsx_bytes(
    doc: Document,
    *,
    max_rows: int = MAX_ROWS,
    max_cells: int | None = None,
    stored: Mapping[str, str] | None = None,
    keep: Sequence[str] = (),
) -> bytes:
    """The workbook of ``doc`` as bytes (contents sheet, then one sheet per table).

    ``max_cells`` caps the cells (rows x columns) of the tables written (``keep`` ones always are);
    ``stored`` maps a table's ``source`` to the file that holds it whole (``tables/x.parquet``): the
    contents sheet names that file for every table, and says so for a table left out by the cap.
    """
    buf = io.BytesIO()
    wb = _workbook(buf)
    used: set[str] = set()
    contents_name = _sheet_name(_("Contents", lang=doc.lang), used)
    plan = _plan(doc, used, max_rows, max_cells, keep)
    ws = wb.add_worksheet(contents_name)
    bold = wb.add_format({"bold": True, "top": 2, "bottom": 1})
    heads = [
        _("Sheet", lang=doc.lang),
        _("Table", lang=doc.lang),
        _("What it holds", lang=doc.lang),
        _("Rows", lang=doc.lang),
        _("Notes", lang=doc.lang),
    ]
    if stored is not None:
        heads.append(_("Data file", lang=doc.lang))
    ws.write_string(0, 0, doc.title, wb.add_format({"bold": True, "font_size": 13}))
    for j, h in enumerate(heads):
        ws.write_string(2, j, h, bold)
    for i, (sheet, t, part, k) in enumerate(plan, start=3):
        notes = list(t.notes) + ([star_legend(doc.lang)] if t.significance else [])
        if sheet is None:
            ws.write_string(i, 0, _("not in this workbook (too long)", lang=doc.lang))
        else:
            ws.write_url(i, 0, f"internal:'{sheet}'!A1", string=sheet)
        ws.write_string(i, 1, doc.label(t) or "")
        ws.write_string(i, 2, str(_guard(t.caption)) + (f" ({k + 1})" if k else ""))
        ws.write_number(i, 3, len(part))
        ws.write_string(i, 4, str(_guard(" ".join(notes))) if notes else "")
        if stored is not None and t.source and t.source in stored:
            ws.write_string(i, 5, stored[t.source])
    for j, w in enumerate((22, 10, 60, 8, 80, 32)[: len(heads)]):
        ws.set_column(j, j, w)
    ws.freeze_panes(3, 0)
    for sheet, t, part, _k in plan:
        if sheet is None:
            continue
        cols = t.resolved_cols()
        frame = part[[c.key for c in cols]] if cols else part
        _write_sheet(wb, sheet, frame, [c.header(doc.lang) for c in cols], [_col_format(t, c) for c in cols])
    wb.close()
    return buf.getvalue()


def render_xlsx(doc: Document, path: str | os.PathLike[str], *, max_rows: int = MAX_ROWS, **kw: Any) -> None:
    """Write the XLSX view of ``doc`` to ``path`` atomically (``kw``: see :func:`xlsx_bytes`)."""
    atomic_write_bytes(path, xlsx_bytes(doc, max_rows=max_rows, **kw))
