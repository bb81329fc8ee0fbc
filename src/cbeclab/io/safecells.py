"""Formula-injection guard for tables written to CSV/XLSX.

A spreadsheet evaluates a cell that starts with ``=``, ``+``, ``-``, ``@`` (and, in some programs, a
tab or carriage return) as a formula; a region name such as ``=HYPERLINK(...)`` in a user's file
would run when the result is opened. Text cells and column headers starting with one of these are
prefixed with an apostrophe, as OWASP's CSV-injection advice describes. Numbers are left alone
(``-0.5`` stays a number).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_START", "guard_cell", "guard_frame"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> Any:
    """``"'=1+1"`` for ``"=1+1"``; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def guard_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column headers cannot be read as formulas."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if (
            s.dtype == object
            or pd.api.types.is_string_dtype(s.dtype)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            out[col] = s.astype(object).map(guard_cell)
    out.columns = pd.Index([guard_cell(str(c)) if isinstance(c, str) else c for c in out.columns])
    if out.index.dtype == object:
        out.index = pd.Index([guard_cell(i) for i in out.index], name=out.index.name)
    return out
