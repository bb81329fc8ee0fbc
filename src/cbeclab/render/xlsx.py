"""Write several tables to one .xlsx workbook, atomically (temp file + rename)."""

from __future__ import annotations

import datetime
import io
import os
import re
from collections.abc import Mapping

import pandas as pd

from cbeclab.io.atomic import atomic_write_bytes
from cbeclab.io.safecells import guard_frame

__all__ = ["write_xlsx"]

_BAD = re.compile(r"[\[\]\*\?/\\:]")
#: rows of data per sheet: Excel's limit (1,048,576) less the header row
MAX_ROWS = 1_048_575


def _sheet_name(name: str, used: set[str]) -> str:
    base = _BAD.sub("_", name)[:31] or "sheet"
    cand, i = base, 1
    while cand.lower() in used:
        suffix = f"_{i}"
        cand = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(cand.lower())
    return cand


def _cell(v: object) -> object:
    """A value openpyxl can store: numpy scalars to Python, NaN/NA to an empty cell."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()  # type: ignore[attr-defined]
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, int | float | str | bool | datetime.date | datetime.time):
        return v
    return str(v)


def write_xlsx(
    path: str | os.PathLike[str], sheets: Mapping[str, pd.DataFrame], *, max_rows: int = MAX_ROWS
) -> None:
    """Write ``sheets`` (name → table) to ``path``; sheet names are made Excel-safe and unique.

    A table longer than Excel's row limit continues on further sheets (``name``, ``name_2``, ...), so no
    row is dropped.

    Cells that start with ``=``, ``+``, ``-`` or ``@`` and are text are prefixed with an apostrophe so a
    spreadsheet never evaluates them as formulas (CSV/formula injection).
    """
    from openpyxl import Workbook

    buf = io.BytesIO()
    used: set[str] = set()
    # write-only mode streams rows (several times faster than pandas.to_excel's cell objects)
    wb = Workbook(write_only=True)
    for name, df in sheets.items():
        frame = guard_frame(df)  # cells and headers (formula injection)
        header = [str(c) for c in frame.columns]
        for start in range(0, max(len(frame), 1), max_rows):
            part = frame.iloc[start : start + max_rows]
            label = str(name) if start == 0 else f"{name}_{start // max_rows + 1}"
            ws = wb.create_sheet(_sheet_name(label, used))
            ws.append(header)
            for row in part.astype(object).where(part.notna(), None).itertuples(index=False, name=None):
                ws.append([_cell(v) for v in row])
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
