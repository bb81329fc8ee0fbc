"""Numbers as journals print them: one module every view (HTML, XLSX, DOCX) formats with.

Conventions (APA 7th ed. §6.36 and the habits of Chinese management journals, e.g. seed 000's tables):

* decimals: 3 by default, configurable per table or column (``digits``);
* p values: ``< 0.001`` below one in a thousand, else three decimals (never ``p = 0``);
* counts, years and other integer-valued columns print as integers (``5``, not ``5.000``);
* money and other large amounts: thousands separators (``12,345.6``) with the unit in the header;
* significance stars ``***`` p < 0.001, ``**`` p < 0.01, ``*`` p < 0.05, explained by :func:`star_legend`;
* missing values print as an en dash; no Python repr (``nan``, ``np.int64(2018)``, ``{...}``) reaches a page.

The matching Excel number formats come from :func:`excel_format`, so a spreadsheet keeps real numbers.

>>> fmt_value(0.4829216011898503)
'0.483'
>>> fmt_value(0.0, "p"), fmt_value(0.0004, "p"), fmt_value(0.0312, "p")
('< 0.001', '< 0.001', '0.031')
>>> fmt_value(5.0), fmt_value(12345.678, "money", digits=1)
('5', '12,345.7')
>>> stars(0.004), stars(0.2)
('**', '')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.i18n import _

__all__ = [
    "DEFAULT_DIGITS",
    "Format",
    "MISSING",
    "column_format",
    "excel_format",
    "fmt_p",
    "fmt_value",
    "frame_formats",
    "header_with_unit",
    "is_missing",
    "p_clause",
    "plain",
    "star_legend",
    "stars",
]

#: decimals shown when a table or column does not say otherwise
DEFAULT_DIGITS = 3
#: what a missing cell prints as
MISSING = "–"

#: how a column is printed; "auto" picks int for integer-valued numbers and float otherwise
#: and "cell" decides per cell (whole numbers as integers, others with ``digits`` decimals; mixed columns)
Format = Literal["auto", "cell", "float", "int", "p", "money", "pct", "text", "period"]


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, list | tuple | dict | set) else False
    except (TypeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.int64(2018)`` -> ``2018``); NaN -> None."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def stars(p: Any) -> str:
    """``***`` p < 0.001, ``**`` p < 0.01, ``*`` p < 0.05, else ``""`` (also for a missing p)."""
    v = _as_float(p)
    if v is None:
        return ""
    return "***" if v < 0.001 else "**" if v < 0.01 else "*" if v < 0.05 else ""


def star_legend(lang: str | None = None) -> str:
    """The note under a table that uses :func:`stars`."""
    return _("*** p < 0.001, ** p < 0.01, * p < 0.05.", lang=lang)


def fmt_p(p: Any, digits: int = DEFAULT_DIGITS) -> str:
    """A p value: ``< 0.001`` (or ``< 10^-digits``) when it rounds to zero, else ``digits`` decimals."""
    v = _as_float(p)
    if v is None:
        return MISSING
    floor = 10.0 ** (-digits)
    if v < floor:
        return f"< {floor:.{digits}f}"
    return f"{v:.{digits}f}"


def p_clause(p: Any, digits: int = DEFAULT_DIGITS) -> str:
    """``= 0.031`` or ``< 0.001``: what follows "p" in running text."""
    t = fmt_p(p, digits)
    return t if t.startswith("<") or t == MISSING else f"= {t}"


def _as_float(value: Any) -> float | None:
    if is_missing(value) or isinstance(value, bool | str):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _text(value: Any) -> str:
    """Any non-number as readable text: lists joined, mappings as ``key: value``; never a repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if isinstance(value, Mapping):
        return "; ".join(f"{_text(k)}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | np.ndarray):
        return ", ".join(_text(v) for v in value)
    v = plain(value)
    if v is None:
        return MISSING
    if isinstance(v, float):
        return fmt_value(v)
    return str(v)


def fmt_value(value: Any, fmt: Format = "auto", digits: int = DEFAULT_DIGITS) -> str:
    """One cell as printed text (see the module docstring for the conventions)."""
    if is_missing(value):
        return MISSING
    if fmt == "text" or isinstance(value, str | bool | np.bool_ | Mapping | list | tuple | set):
        return _text(value)
    if fmt == "p":
        return fmt_p(value, digits)
    f = _as_float(value)
    if f is None:
        return MISSING if isinstance(value, float | np.floating) else _text(value)
    if fmt == "period":
        return f"{f:.0f}" if f.is_integer() else f"{f:g}"
    if fmt == "pct":
        return f"{f:.{min(digits, 2)}f}%"
    if fmt == "money":
        return f"{f:,.0f}" if f.is_integer() else f"{f:,.{digits}f}"
    if fmt == "int" or (fmt == "auto" and isinstance(value, int | np.integer)):
        return f"{f:.0f}"
    if fmt in ("auto", "cell") and f.is_integer() and abs(f) < 1e15:
        return f"{f:.0f}"
    out = f"{f:.{digits}f}"
    if fmt == "cell" and "." in out:
        out = out.rstrip("0").rstrip(".")  # a mixed column (profile values): 1873.4, not 1873.400
    if out.lstrip("-").strip("0.") == "" and out.startswith("-"):
        out = out[1:]  # no "-0.000"
    return out


def column_format(values: Iterable[Any]) -> Format:
    """The format a column of values wants under "auto": ``int`` if every number is whole, else ``float``."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        # numeric arrays in one vectorised pass (same rule as the cell loop below: finite values only)
        arr = values.astype(float, copy=False)
        finite_arr = arr[np.isfinite(arr)]
        if finite_arr.size == 0:
            return "text"
        return "int" if bool(np.all(finite_arr == np.floor(finite_arr))) else "float"
    nums = [_as_float(v) for v in values]
    finite = [v for v in nums if v is not None]
    if not finite:
        return "text"
    return "int" if all(v.is_integer() for v in finite) else "float"


def excel_format(fmt: Format, digits: int = DEFAULT_DIGITS) -> str | None:
    """The Excel number format of a column (``None``: leave the cell as it is)."""
    dec = "." + "0" * digits if digits > 0 else ""
    if fmt in ("float", "p"):
        return "0" + dec
    if fmt == "int":
        return "0"
    if fmt == "cell":
        return "General"
    if fmt == "period":
        return "0"
    if fmt == "money":
        return "#,##0" + dec
    if fmt == "pct":
        return "0.00"
    return None


def header_with_unit(label: str, unit: str | None, lang: str | None = None) -> str:
    """A column header with its unit: ``进出口额（万美元）`` in zh, ``Trade (10k USD)`` in en."""
    if not unit:
        return label
    return _("{label} ({unit})", label=label, unit=unit, lang=lang)


def frame_formats(df: pd.DataFrame, columns: Iterable[Any] | None = None) -> dict[str, Format]:
    """The "auto" format of each column of ``df`` (used when a builder gives none).

    ``columns``: only these columns (without copying them out of ``df``); default every column.
    """
    out: dict[str, Format] = {}
    for c in df.columns if columns is None else columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            out[str(c)] = "text"
        elif pd.api.types.is_numeric_dtype(s):
            out[str(c)] = column_format(s.to_numpy())
        else:
            out[str(c)] = "text"
    return out
