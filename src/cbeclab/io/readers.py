"""Read a user's table (CSV, XLSX, SPSS .sav) into a DataFrame, with clear errors.

Chinese users typically hand over files saved by Excel or WPS: CSV in GB18030/GBK or UTF-8 with a BOM,
tab- or semicolon-separated exports, headers with stray spaces, numbers with thousands separators
("1,234" in quoted cells). :func:`read_table` handles these cases and records what it detected in
``df.attrs`` so a report can state it.

``df.attrs`` keys set here:

``source``
    The path as given (or ``"DataFrame"``).
``format``
    ``"csv"``, ``"xlsx"``, ``"sav"`` or ``"frame"``.
``encoding``, ``delimiter``
    CSV only: the encoding used to decode the bytes and the field separator.
``sheet``
    XLSX only: the sheet that was read.
``value_labels``, ``column_labels``
    SPSS only: ``{column: {code: label}}`` and ``{column: variable label}``.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _

__all__ = [
    "read_table",
    "read_text",
    "DEFAULT_MAX_MB",
    "MISSING_MARKERS",
    "MAX_ECHO",
    "apply_value_labels",
    "clip",
    "column_letter",
    "py_value",
    "show",
    "to_number",
    "units_of",
]

#: Default size limit for files read by :func:`read_table`, in megabytes.
DEFAULT_MAX_MB = 200.0

#: Cell texts read as "missing" (besides an empty cell). Chinese yearbooks print "—" or "…" for n/a.
MISSING_MARKERS = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "——",
        "–",
        "…",
        "...",
        "..",
        "na",
        "n/a",
        "nan",
        "null",
        "none",
        "#n/a",
        "缺失",
        "无",
    }
)

_CSV_EXT = {".csv", ".tsv", ".txt"}
_XLSX_EXT = {".xlsx", ".xlsm"}
_SAV_EXT = {".sav", ".zsav"}
_DELIMITERS = (",", "\t", ";")
_DELIM_NAMES = {",": "','", "\t": "tab", ";": "';'", "|": "'|'"}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# thousands groups never start with 0 ("0,100" is a decimal comma, not one hundred)
_THOUSANDS_RE = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
_DOT_THOUSANDS_COMMA_RE = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+,\d+$")
_PERCENT_RE = re.compile(r"^(.*?)\s*%$")
#: rows above the header scanned for a title, and how many characters of a cell a message echoes
_MAX_TITLE_ROWS = 20
MAX_ECHO = 200
#: whole numbers are kept as integers only up to 2**53 (larger ones are floats, never wrapped)
_MAX_EXACT_INT = 2**53
_NOTE_RE = re.compile(
    r"^\s*(?:[*※＊#]|注|说明|备注|资料来源|数据来源|来源|单位|notes?\b|sources?\b|remarks?\b)", re.IGNORECASE
)
# a unit in parentheses at the end of a header: "出口额（亿元）", "exports (万美元)", "share (%)"
_UNIT_RE = re.compile(r"^(?P<name>.*?\S)\s*[（(]\s*(?P<unit>[^()（）]{1,16}?)\s*[)）]\s*$")
_UNIT_WORDS = re.compile(
    r"(元|美元|吨|人|个|家|户|件|台|辆|亩|公顷|平方|米|公里|千瓦|度|小时|天|次|万|亿|千|百|%|‰|"
    r"usd|cny|rmb|yuan|dollars?|tons?|tonnes?|km|kg|kwh|mw|persons?|people|firms?|units?|hours?|days?|per|/)",
    re.IGNORECASE,
)


def show(value: Any, limit: int = MAX_ECHO) -> str:
    """A cell as a message shows it: Python repr of plain values (never ``np.int64(...)``), at most
    ``limit`` characters."""
    if isinstance(value, tuple):  # a row key (entity, period): "A / 2018"
        return " / ".join(show(v, limit) if not isinstance(v, str) else clip(v, limit) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…" + _(" ({n} characters)", n=len(str(value)))
    return text


def py_value(value: Any) -> Any:
    """A numpy scalar as the plain Python value (so a message never shows ``np.int64(2018)``)."""
    return value.item() if isinstance(value, np.generic) else value


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    return isinstance(v, str) and v.strip() == ""


def column_letter(k: int) -> str:
    """Spreadsheet letter of the 0-based column ``k`` (0 -> A, 26 -> AA)."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


#: :data:`_NUMBER_RE` for ASCII text in RE2 syntax (Python's ``\\d`` is ``[0-9]`` on ASCII)
_NUMBER_RE2 = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _to_number_ascii(text: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """:func:`to_number` of stripped text whose every cell is ASCII without ``%`` or ``,``; else ``None``.

    On such cells the cell-by-cell steps change nothing (NFKC and the minus-sign fix leave ASCII as
    it is; no percent or thousands cell can occur), so only the missing markers and the number
    pattern are left, and arrow checks those on the whole column at once (issue 8: a column with a
    few empty cells took 0.3 s through Python regexes). The numbers come from the same
    ``pd.to_numeric`` call on the same cells as the general route.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    if not (isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow"):
        return None
    arr = text.array.__arrow_array__()
    if arr.null_count == len(arr):
        return None
    if not pc.all(pc.string_is_ascii(arr)).as_py():
        return None
    if pc.any(pc.match_substring(arr, "%")).as_py() or pc.any(pc.match_substring(arr, ",")).as_py():
        return None
    markers = pa.array(sorted(MISSING_MARKERS), pa.string())
    missing_a = np.asarray(
        pc.or_(pc.is_null(arr), pc.fill_null(pc.is_in(pc.ascii_lower(arr), markers), False))
    )
    ok_a = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _NUMBER_RE2), False))
    missing = pd.Series(missing_a, index=text.index, name=text.name)
    ok = pd.Series(ok_a, index=text.index, name=text.name)
    num = pd.to_numeric(text.where(ok & ~missing), errors="coerce").astype(float)
    num = num.where(np.isfinite(num.to_numpy(dtype=float, na_value=np.nan)))  # overflow to inf: not a number
    bad = ~missing & num.isna()
    return num, bad.astype(bool)


def to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column cell by cell into floats.

    Plain numbers, numbers with thousands separators (``"1,234.5"``), full-width digits
    (``"１２"``), percentages (``"12%"`` is 0.12, when every number of the column is a percentage),
    text with surrounding spaces and the :data:`MISSING_MARKERS` are accepted. A number too large
    for a float is not a number.

    Returns
    -------
    (numbers, bad)
        ``numbers`` is a float Series (NaN for missing and unparseable cells); ``bad`` is a boolean
        Series marking cells that are neither a number nor a missing marker.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        bad = values.notna().astype(bool)
        return pd.Series(float("nan"), index=values.index, dtype=float), bad
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        # a plain numpy number column: to_numeric would hand it back as it is
        return values.astype(float), pd.Series(False, index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        num = pd.to_numeric(values, errors="coerce").astype(float)
        return num, pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    quick = _to_number_ascii(text)
    if quick is not None:
        return quick
    text = text.map(lambda t: unicodedata.normalize("NFKC", t) if isinstance(t, str) else t).astype("string")
    missing = text.isna() | text.str.lower().isin(MISSING_MARKERS)
    plain = text.str.replace("\u2212", "-", regex=False)  # unicode minus sign
    pct = plain.str.fullmatch(_PERCENT_RE.pattern).fillna(False).astype(bool) & ~missing
    plain = plain.where(~pct, plain.str.replace(r"\s*%$", "", regex=True))
    thousands = plain.str.fullmatch(_THOUSANDS_RE.pattern).fillna(False).astype(bool)
    plain = plain.where(~thousands, plain.str.replace(",", "", regex=False))
    ok = plain.str.fullmatch(_NUMBER_RE.pattern).fillna(False).astype(bool)
    num = pd.to_numeric(plain.where(ok & ~missing), errors="coerce").astype(float)
    num = num.where(np.isfinite(num.to_numpy(dtype=float, na_value=np.nan)))  # overflow to inf: not a number
    if bool(pct.any()):
        plain_numbers = ok & ~pct & ~missing
        if bool(plain_numbers.any()):  # "12%" next to "0.15": which scale? refuse the percentages
            num = num.where(~pct)
        else:
            num = num.where(~pct, num / 100.0)
    bad = ~missing & num.isna()
    return num, bad.astype(bool)


def _decimal_comma_columns(df: pd.DataFrame, delimiter: str, decimal: str | None, where: str) -> pd.DataFrame:
    """Read decimal commas ("0,100" = 0.1) where the file's dialect says so; refuse ambiguous columns."""
    rows = df.attrs.get("rows")
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s.dtype):
            continue
        text = s.astype("string").str.strip()
        has_comma = text.str.contains(",", regex=False).fillna(False).astype(bool)
        if not bool(has_comma.any()):
            continue
        cells = text[has_comma]
        dec = cells.str.fullmatch(_DECIMAL_COMMA_RE.pattern).fillna(False).astype(bool)
        dot_th = cells.str.fullmatch(_DOT_THOUSANDS_COMMA_RE.pattern).fillna(False).astype(bool)
        if not bool((dec | dot_th).all()):
            continue  # text with commas, or "1,234.5" thousands: to_number decides
        th = cells.str.fullmatch(_THOUSANDS_RE.pattern).fillna(False).astype(bool)
        use = decimal
        if use is None:
            if delimiter == ",":
                continue  # quoted "1,234" in a comma file: thousands (as Chinese Excel writes them)
            if bool((~th).any()) or bool(dot_th.any()):
                use = ","
            else:
                pos = int(np.flatnonzero(has_comma.to_numpy())[0])
                row = rows[pos] if rows is not None else pos + 2
                raise DataError(
                    _(
                        "the cell {cell} could be a decimal comma or a thousands separator",
                        cell=show(cells.iloc[0]),
                    ),
                    where=_("{where} row {row} column {col}", where=where, row=row, col=show(col)),
                    fix=_(
                        "say which: decimal: ',' in the spec's data section (command line: --decimal ,) "
                        "for 1,5 = 1.5, or decimal: '.' for 1,234 = 1234"
                    ),
                )
        if use != ",":
            continue
        fixed = text.str.replace(".", "", regex=False).where(
            dot_th.reindex(text.index, fill_value=False), text
        )
        fixed = fixed.str.replace(",", ".", regex=False)
        df[col] = fixed.where(has_comma, s).astype(object)
    return df


#: cells of a text column :func:`_has_text_cell` looks at before the whole column is parsed
_TEXT_PROBE = 16


def _has_text_cell(s: pd.Series) -> bool:
    """True when one of the first cells of ``s`` is, by itself, neither a number nor a missing marker.

    Such a cell is "bad" for :func:`to_number` on the whole column as well (a cell's verdict only
    depends on the rest of its column through the percent rule, which can turn a percentage into a
    bad cell, never the reverse), so the column stays text: a column of names or codes ("E0001") is
    recognised from a few cells instead of parsing every one (issue 8: 0.35 s of a 60,000-row read).
    """
    if len(s) <= _TEXT_PROBE:
        return False  # the whole column is parsed anyway
    _num, bad = to_number(s.iloc[:_TEXT_PROBE])
    return bool(bad.any())


def _convert_numeric_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Turn text columns whose every non-missing cell is a number into numeric columns.

    Columns of codes with leading zeros (``"001"``, region codes) stay text, and blank-headed
    columns without any value (trailing delimiters, empty Excel columns) are dropped. Whole numbers
    become integers only while they are exact (up to 2**53); larger ones stay floats (never wrap).
    """
    empty_auto = [c for c in df.columns if str(c).startswith("column_") and df[c].isna().all()]
    if empty_auto:
        df = df.drop(columns=empty_auto)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            continue
        if _has_text_cell(s):
            continue
        text = s.astype("string").str.strip()
        if bool(text.str.match(r"^0\d").fillna(False).any()):
            continue
        num, bad = to_number(s)
        if bool(bad.any()) or not bool(num.notna().any()):
            continue
        whole = bool(((num % 1) == 0).where(num.notna(), True).all()) and not bool(num.isna().any())
        if whole and float(num.abs().max()) <= _MAX_EXACT_INT:
            df[col] = num.astype("int64")
        else:
            df[col] = num
    return df


def _clean_headers(raw: Sequence[Any], where: str, row: int = 1) -> list[str]:
    """Strip header names, name blank ones ``column_<k>``, and refuse duplicates (before pandas mangles them)."""
    names = []
    for i, c in enumerate(raw):
        name = "" if _blank(c) else str(c.item() if isinstance(c, np.generic) else c)
        name = name.replace("\ufeff", "").strip()
        if name == "" or name.startswith("Unnamed: "):
            name = f"column_{i + 1}"
        names.append(name)
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    dup = sorted(n for n, k in seen.items() if k > 1)
    if dup:
        raise DataError(
            _(
                "duplicate column names after trimming spaces: {names}",
                names=", ".join(show(d) for d in dup),
            ),
            where=_("{where} header (row {row})", where=where, row=row),
            fix=_("give every column a distinct name in the header row"),
        )
    return names


def apply_value_labels(df: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Turn coded columns into labelled categories using ``df.attrs["value_labels"]`` (SPSS).

    ``columns`` limits which columns are converted (default: every labelled column). A code without a
    label stays visible as its number (as text), so nothing is dropped. Likert items should keep their
    codes: pass only the categorical columns (gender, region, firm size...).

    Examples
    --------
    >>> d = pd.DataFrame({"gender": [1, 2, 1, 3]})
    >>> d.attrs["value_labels"] = {"gender": {1: "男", 2: "女"}}
    >>> apply_value_labels(d)["gender"].tolist()
    ['男', '女', '男', '3']
    """
    labels = df.attrs.get("value_labels") or {}
    out = df.copy()
    for col in columns if columns is not None else list(labels):
        if col not in out.columns or col not in labels:
            continue
        mapping = labels[col]

        def name(v: Any, mapping: Mapping[Any, str] = mapping) -> Any:
            if _blank(v):
                return None
            key = int(v) if isinstance(v, float) and float(v).is_integer() else v
            return mapping.get(key, str(key))

        values = out[col].map(name)
        cats = list(dict.fromkeys([*mapping.values(), *[v for v in values if v is not None]]))
        out[col] = pd.Categorical(values, categories=cats)
    return out


def units_of(headers: Sequence[str]) -> dict[str, str]:
    """Units written in parentheses at the end of headers: ``{"出口额（亿元）": "亿元"}``.

    Only parentheses holding a unit word (元, 万, 亿, 吨, %, USD, km, per, ...) count, so
    ``"GDP (nominal)"`` has no unit.
    """
    out: dict[str, str] = {}
    for h in headers:
        m = _UNIT_RE.match(str(h))
        if m and _UNIT_WORDS.search(m.group("unit")):
            out[str(h)] = m.group("unit").strip()
    return out


def _is_number_text(v: Any) -> bool:
    if isinstance(v, int | float | np.number) and not isinstance(v, bool):
        return True
    if not isinstance(v, str):
        return False
    t = unicodedata.normalize("NFKC", v).strip().replace(",", "").rstrip("%")
    return bool(_NUMBER_RE.match(t))


def _grid_to_frame(
    cells: list[list[Any]],
    rownums: list[int],
    where: str,
    *,
    header_row: int | None,
    skip_footer: int | None,
    letters: bool,
) -> pd.DataFrame:
    """Find the header (title rows above it skipped), merge a two-row header, drop note rows below the
    data, and build a text DataFrame whose ``attrs["rows"]`` are the row numbers the user sees."""
    skipped: list[str] = []
    nonempty = [sum(1 for v in r if not _blank(v)) for r in cells]
    filled = [i for i, k in enumerate(nonempty) if k]
    if not filled:
        raise DataError(
            _("the file is empty"), where=where, fix=_("export the table again with its header row")
        )
    if header_row is not None:
        if header_row not in rownums or nonempty[rownums.index(header_row)] == 0:
            raise DataError(
                _("header_row {n} is not a filled row of the file", n=header_row),
                where=where,
                fix=_(
                    "give the row number (as the spreadsheet shows it) of the row holding the column names"
                ),
            )
        h = rownums.index(header_row)
    else:
        h = filled[0]
        wide = [i for i in filled[:_MAX_TITLE_ROWS] if nonempty[i] >= 2]
        if wide and nonempty[h] == 1 and wide[0] > h:
            h = wide[0]
    for i in filled:
        if i >= h:
            break
        first = next(v for v in cells[i] if not _blank(v))
        skipped.append(_("row {row} above the header skipped: {text}", row=rownums[i], text=show(first, 60)))
    header = list(cells[h])
    body_start = h + 1
    # a two-row header: a merged top cell over blank cells, a text row below naming the parts
    if body_start < len(cells):
        sub = list(cells[body_start])
        gaps = [
            j
            for j in range(1, min(len(header), len(sub)))
            if _blank(header[j]) and not _blank(sub[j]) and any(not _blank(header[k]) for k in range(j))
        ]
        sub_text = [v for v in sub if not _blank(v)]
        below = cells[body_start + 1] if body_start + 1 < len(cells) else []
        if (
            gaps
            and len(sub_text) >= 2
            and not any(_is_number_text(v) for v in sub_text)
            and any(_is_number_text(v) for v in below)
        ):
            merged: list[Any] = []
            carry = ""
            for j in range(max(len(header), len(sub))):
                t_ = "" if j >= len(header) or _blank(header[j]) else str(header[j]).strip()
                s_ = "" if j >= len(sub) or _blank(sub[j]) else str(sub[j]).strip()
                if t_:
                    carry = t_
                elif s_:
                    t_ = carry  # under a merged top cell
                merged.append(f"{t_}_{s_}" if t_ and s_ and t_ != s_ else (t_ or s_))
            header = merged
            skipped.append(
                _("rows {a} and {b} read as one two-row header", a=rownums[h], b=rownums[body_start])
            )
            body_start += 1
    names = _clean_headers(header, where, rownums[h])
    body = list(range(body_start, len(cells)))
    while body and nonempty[body[-1]] == 0:
        body.pop()
    if skip_footer:
        if skip_footer >= len(body):
            raise DataError(
                _("skip_footer {n} would drop every data row", n=skip_footer),
                where=where,
                fix=_("give the number of note rows at the end of the table"),
            )
        for i in body[-skip_footer:]:
            first = next((v for v in cells[i] if not _blank(v)), "")
            skipped.append(
                _("row {row} below the data skipped: {text}", row=rownums[i], text=show(first, 60))
            )
        body = body[:-skip_footer]
    elif len(names) >= 2:
        while body:
            i = body[-1]
            vals = [v for v in cells[i] if not _blank(v)]
            if nonempty[i] == 0:
                body.pop()
                continue
            if len(vals) == 1 and isinstance(vals[0], str) and _NOTE_RE.match(vals[0]):
                skipped.append(
                    _("note row {row} below the data skipped: {text}", row=rownums[i], text=show(vals[0], 60))
                )
                body.pop()
                continue
            break
    width = len(names)
    data: list[list[Any]] = []
    for i in body:
        r = list(cells[i])
        extra = [j for j in range(width, len(r)) if not _blank(r[j])]
        if extra:
            j = extra[0]
            col = column_letter(j) if letters else str(j + 1)
            raise DataError(
                _(
                    "row {row} has a value ({cell}) in column {col}, right of the last named column",
                    row=rownums[i],
                    cell=show(r[j]),
                    col=col,
                ),
                where=where,
                fix=_("give that column a name in the header row, or delete the stray value"),
            )
        r = r[:width] + [None] * (width - len(r))
        data.append([None if _blank(v) else v for v in r])
    df = pd.DataFrame(data, columns=pd.Index(names), dtype=object)
    df.attrs["rows"] = [rownums[i] for i in body]
    df.attrs["header_row"] = rownums[h]
    df.attrs["skipped_rows"] = skipped
    units = units_of(names)
    if units:
        df.attrs["units"] = units
    if letters:
        df.attrs["letters"] = {n: column_letter(j) for j, n in enumerate(names)}
    return df


def _decode(data: bytes, encoding: str | None, where: str) -> tuple[str, str]:
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise DataError(
                _("cannot decode the file as {enc} ({reason})", enc=show(encoding), reason=clip(reason, 80)),
                where=where,
                fix=_(
                    "leave encoding unset to auto-detect (UTF-8, UTF-8 with BOM, GB18030/GBK), "
                    "or name the encoding the file was saved in"
                ),
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    body, bom = (data[3:], True) if data.startswith(b"\xef\xbb\xbf") else (data, False)
    try:
        return body.decode("utf-8", errors="strict"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # a UTF-8 BOM in front of GBK bytes (a tool added the BOM, the text stayed GBK): read the GBK
        return body.decode("gb18030", errors="strict"), "gb18030 (after a UTF-8 BOM)" if bom else "gb18030"
    except UnicodeDecodeError:
        raise DataError(
            _("the file is neither UTF-8 nor GB18030/GBK text"),
            where=where,
            fix=_("save the file as 'CSV UTF-8' in Excel/WPS, or name the encoding the file was saved in"),
        ) from None


def read_text(path: str | os.PathLike[str], *, encoding: str | None = None, max_mb: float = 5.0) -> str:
    """Read a small text file (a model or spec) with the same decoding as CSV tables: BOM, UTF-8,
    then GB18030/GBK (files saved by Chinese Windows editors), or the ``encoding`` named.

    Raises :class:`DataError` naming the file when it is too large or cannot be decoded.
    """
    p = Path(path)
    size = p.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise DataError(
            _(
                "the file is {size:.1f} MB, more than the {limit} MB allowed",
                size=size / 1024 / 1024,
                limit=max_mb,
            ),
            where=str(p),
            fix=_("check that this is the right file"),
        )
    text, _enc = _decode(p.read_bytes(), encoding, str(p))
    return text


def _split(lines: list[str], delim: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=delim))


def _sniff_delimiter(lines: list[str], suffix: str, where: str) -> str:
    """The delimiter giving the most rows with the header's field count; refuse a tie between two."""
    sample = [ln for ln in lines[:200] if ln.strip()]
    scores: dict[str, tuple[int, float, int]] = {}
    for d in _DELIMITERS:
        try:
            counts = [len(r) for r in _split(sample, d)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        scores[d] = (int(mode > 1), counts.count(mode) / len(counts), mode)
    if not scores:
        return "\t" if suffix == ".tsv" else ","
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, sb = ranked[0]
    if sb[0] == 0:
        return "\t" if suffix == ".tsv" else ","
    if len(ranked) > 1:
        second, s2 = ranked[1]
        if s2[0] == 1 and s2[1] == sb[1] == 1.0 and len(sample) > 1:
            raise DataError(
                _(
                    "the delimiter is ambiguous: every row splits evenly at {a} ({na} columns) and at {b} "
                    "({nb} columns)",
                    a=_DELIM_NAMES[best],
                    na=sb[2],
                    b=_DELIM_NAMES[second],
                    nb=s2[2],
                ),
                where=where,
                fix=_("name it: delimiter: ';' in the spec's data section (command line: --delimiter ';')"),
            )
    return best


_BLANK_LINE = re.compile(rb"\n[ \t]*\n")
_BLANK_ROW = re.compile(rb"[ \t]*")
#: ASCII text that ``str.strip()`` empties (its whitespace includes ``\x1c``-``\x1f``)
_ASCII_BLANK = re.compile(rb"[ \t\n\r\x0b\x0c\x1c-\x1f]*")
#: lines the delimiter sniffer looks at (see :func:`_sniff_delimiter`)
_SNIFF_LINES = 200


def _head_lines(buf: bytes, k: int) -> list[str]:
    """The first ``k`` lines of UTF-8 ``buf`` (LF line ends), decoded, as ``buf.decode().split("\\n")[:k]``
    gives them without decoding or splitting the whole buffer."""
    out: list[str] = []
    pos = 0
    while len(out) < k:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            out.append(buf[pos:].decode("utf-8"))
            break
        out.append(buf[pos:nl].decode("utf-8"))
        pos = nl + 1
    return out


def _numbers_with_gaps(raw: Any) -> np.ndarray | None:
    """The float column the general path makes of a column of numbers with missing cells, or ``None``.

    A yearbook column with a few empty cells (or ``"-"``, ``"NA"``) failed arrow's float
    cast and went through :func:`_decimal_comma_columns`, :func:`_has_text_cell` and
    :func:`to_number` (``pd.to_numeric`` on 60,000 strings, about 0.06 s a column). Here arrow checks
    the whole column at once. Taken only when, after trimming ASCII whitespace, every cell is either
    one of :data:`MISSING_MARKERS` (compared ASCII-lower-cased, as :func:`_to_number_ascii` does) or
    ASCII text matching the number pattern, at least one cell is missing and at least one is a number,
    no number starts like a code (``"0\\d"``), and every number is finite and not ``-0``. On such a
    column the general path's whole-column rules do nothing (no ``%``, no comma, no full-width or
    non-ASCII digit in a number), the missing cells make the column float, and its numbers are the
    cells as ``pd.to_numeric`` parses them, which arrow's cast gives as well -- except the sign of a
    ``"-0"``, which ``pd.to_numeric`` drops in an all-integer column, so a negative zero leaves the
    column to the general path. Every other column returns ``None`` (the general path decides).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if raw.null_count:
        return None
    trimmed = pc.ascii_trim_whitespace(raw)
    markers = pa.array(sorted(MISSING_MARKERS), pa.string())
    missing = pc.is_in(pc.ascii_lower(trimmed), markers)
    n_missing = pc.sum(missing).as_py() or 0
    if n_missing == 0 or n_missing == len(trimmed):
        return None
    cells = pc.if_else(missing, pa.scalar(None, pa.string()), trimmed)
    ok = pc.match_substring_regex(cells, _NUMBER_RE2)  # null where missing
    if not pc.all(ok).as_py():  # (all() skips the nulls)
        return None
    if (
        pc.any(pc.starts_with(cells, "0")).as_py()
        and pc.any(pc.match_substring_regex(cells, r"^0[0-9]")).as_py()
    ):
        return None  # codes with leading zeros: the general path keeps them as text
    try:
        num = pc.cast(cells, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = num.to_numpy(zero_copy_only=False)
    values = out[~np.isnan(out)]
    if not bool(np.isfinite(values).all()) or bool((np.signbit(values) & (values == 0)).any()):
        return None  # an overflow ("1e999") is a bad cell; "-0" may lose its sign in pd.to_numeric
    return out.astype(float)


def _read_csv_arrow(buf: bytes, first_line: str, delim: str, where: str) -> pd.DataFrame | None:
    """Fast path of :func:`_read_csv` for a plain table, parsed with pyarrow (about 10x faster).

    Taken only when the file is a plain grid: the first line is the header with every column named,
    every other line is one row of the header's width (no blank lines, no quoted line breaks, no
    title, footer or note rows). Then it gives what the general path gives: cells stripped, blanks
    missing, columns whose every cell arrow casts to a finite float already numeric (leading-zero
    codes stay text; numbers with missing cells are checked by :func:`_numbers_with_gaps`; the rest is left to :func:`_convert_numeric_columns`); row numbers are the
    default ones (first data row = file row 2), so ``attrs["rows"]`` is not set. Anything else returns ``None`` and the general path reads the file.

    ``buf`` is the file as UTF-8 bytes with LF line ends (the file's own bytes when it is plain UTF-8
    without a BOM and without CR, so a large file is neither decoded, split into lines, joined nor
    re-encoded here); ``first_line`` is its first line, decoded. A column arrow casts to float as read
    is not trimmed first (the cast refuses surrounding whitespace, so trimming could change nothing).
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    # the lines of the text as the general path splits them: one final LF ends the last line, and
    # ``buf[:end]`` is those lines joined (sliced by position, never copied)
    end = len(buf) - 1 if buf.endswith(b"\n") else len(buf)
    n_lines = buf.count(b"\n", 0, end) + 1
    if n_lines < 2:
        return None
    first_nl, last_nl = buf.find(b"\n", 0, end), buf.rfind(b"\n", 0, end)
    if _BLANK_ROW.fullmatch(buf, 0, first_nl) or _BLANK_ROW.fullmatch(buf, last_nl + 1, end):
        return None  # a blank first or last line
    header = [c.strip() for c in next(csv.reader([first_line], delimiter=delim))]
    if len(header) < 2 or any(not h for h in header):
        return None
    try:
        names = _clean_headers(header, where, 1)
    except DataError:
        if _BLANK_LINE.search(buf, 0, end):
            return None  # a file with a blank line is the general path's, and so is its error
        raise
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(buf).slice(0, end)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    n = table.num_rows
    if n != n_lines - 1:
        # a quoted line break (the general path numbers the rows), or a blank line inside the file:
        # arrow skips an empty line, and a line of spaces is a one-field row it refuses (above), so
        # a blank line never leaves one row per line
        return None
    last = [table[c][n - 1].as_py().strip() for c in names]
    if sum(1 for v in last if v) <= 1:
        return None  # maybe a note row below the data
    cols: dict[str, Any] = {}
    for name in names:
        raw = table[name]
        try:  # no surrounding whitespace in any cell when the cast takes the cells as read
            num = pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False)
            stripped = raw
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # numbers with some missing cells: checked before the (slower) Unicode trim below
            gaps = _numbers_with_gaps(raw)
            if gaps is not None:
                cols[name] = gaps
                continue
            stripped = pc.utf8_trim_whitespace(raw)
            try:
                num = pc.cast(stripped, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                num = None
        # arrow's cast also takes "nan"/"inf": finite only; "001"-style codes stay text
        if (
            num is not None
            and bool(np.isfinite(num).all())
            and not (
                bool(pc.any(pc.starts_with(stripped, "0")).as_py())
                and bool(pc.any(pc.match_substring_regex(stripped, r"^0\d")).as_py())
            )
        ):
            # (the cells are finite here, where floor(x) == x is x % 1 == 0 without the slow fmod)
            whole = bool((np.floor(num) == num).all()) and float(np.abs(num).max()) <= _MAX_EXACT_INT
            cols[name] = num.astype("int64") if whole else num
            continue
        blank = pc.equal(stripped, "")
        text = pc.if_else(blank, pa.scalar(None, pa.string()), stripped).to_numpy(zero_copy_only=False)
        cols[name] = text.astype(object)
    df = pd.DataFrame(cols, columns=pd.Index(names))
    # no attrs["rows"]: data row k is file row k + 2, the readers' default; a 60,000-item list there
    # would be deep-copied by pandas at every column access
    df.attrs["header_row"] = 1
    df.attrs["skipped_rows"] = []
    units = units_of(names)
    if units:
        df.attrs["units"] = units
    return df


def _text_lines(text: str) -> list[str]:
    """``text`` (LF line ends) split into lines; a final line end does not start an empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_csv(
    path: Path,
    encoding: str | None,
    where: str,
    *,
    header_row: int | None = None,
    skip_footer: int | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(
            _("cannot read the file ({reason})", reason=exc.strerror or str(exc)),
            where=where,
            fix=_("check that the file exists and that you may read it"),
        ) from None
    text: str | None
    if encoding is None and data.isascii():
        # what _decode gives (no BOM can be ASCII; ASCII is UTF-8), without decoding a large file yet
        text, enc = None, "utf-8"
        empty = _ASCII_BLANK.fullmatch(data) is not None  # (data.strip() would copy the file)
    else:
        text, enc = _decode(data, encoding, where)
        empty = not text.strip()
    if empty:
        raise DataError(
            _("the file is empty"), where=where, fix=_("export the table again with its header row")
        )
    # the fast path reads the file's own bytes when they are the LF-ended UTF-8 text the general
    # path would build; CR-only (old Mac Excel) and CRLF line endings read like LF
    buf = data if enc == "utf-8" and b"\r" not in data else None
    lines: list[str] | None = None
    if buf is None:
        if text is None:
            text = data.decode("utf-8")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = _text_lines(text)
        head = lines
    else:
        head = _head_lines(buf, _SNIFF_LINES + 1)
    if delimiter is not None and delimiter not in ("\\t", "tab"):
        delim = delimiter
    elif delimiter is not None:
        delim = "\t"
    else:
        delim = None
    old_limit = csv.field_size_limit()
    # a long cell is data, not an error (a cell is never longer than the file's bytes)
    csv.field_size_limit(max(old_limit, (len(text) if text is not None else len(data)) + 1))
    try:
        if delim is None:
            delim = _sniff_delimiter(head, path.suffix.lower(), where)
        fast = None
        if header_row is None and skip_footer is None and head:
            if buf is None:
                buf = "".join(f"{ln}\n" for ln in head).encode("utf-8")
            fast = _read_csv_arrow(buf, head[0], delim, where)
        if fast is not None:
            fast = _decimal_comma_columns(fast, delim, decimal, where)
            attrs = dict(fast.attrs)
            fast = _convert_numeric_columns(fast)
            fast.attrs.update(attrs)
            fast.attrs.update({"encoding": enc, "delimiter": delim, "format": "csv"})
            return fast
        if lines is None:
            lines = _text_lines(data.decode("utf-8") if text is None else text)
        cells: list[list[Any]] = []
        rownums: list[int] = []
        reader = csv.reader(lines, delimiter=delim)
        start = 1
        try:
            for rec in reader:
                cells.append([c.strip() for c in rec])
                rownums.append(start)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(
                _(
                    "the CSV cannot be parsed near row {row} ({reason})",
                    row=reader.line_num,
                    reason=clip(str(exc), 120),
                ),
                where=where,
                fix=_("check that quotes are closed and every row has the same number of fields"),
            ) from None
    finally:
        csv.field_size_limit(old_limit)
    # mixed delimiters: a row that splits into the header's width at another delimiter
    header_idx = next((i for i, r in enumerate(cells) if sum(1 for v in r if v) >= 2), None)
    if header_idx is not None:
        width = len(cells[header_idx])
        for i in range(header_idx + 1, len(cells)):
            row = cells[i]
            if len(row) == width or not any(row):
                continue
            raw = lines[rownums[i] - 1] if rownums[i] - 1 < len(lines) else ""
            for other in _DELIMITERS:
                if other != delim and other in raw and len(_split([raw], other)[0]) == width:
                    raise DataError(
                        _(
                            "row {row} is separated by {other} while the header uses {delim}",
                            row=rownums[i],
                            other=_DELIM_NAMES[other],
                            delim=_DELIM_NAMES[delim],
                        ),
                        where=where,
                        fix=_("save the file again so every row uses one delimiter"),
                    )
    df = _grid_to_frame(cells, rownums, where, header_row=header_row, skip_footer=skip_footer, letters=False)
    df = _decimal_comma_columns(df, delim, decimal, where)
    attrs = dict(df.attrs)
    df = _convert_numeric_columns(df)
    df.attrs.update(attrs)
    df.attrs.update({"encoding": enc, "delimiter": delim, "format": "csv"})
    return df


def _read_xlsx(
    path: Path,
    sheet: str | int | None,
    where: str,
    *,
    header_row: int | None = None,
    skip_footer: int | None = None,
) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataError(
            _("cannot open the workbook ({reason})", reason=clip(f"{type(exc).__name__}: {exc}", 160)),
            where=where,
            fix=_("open and re-save the file in Excel/WPS as .xlsx"),
        ) from None
    try:
        names = list(wb.sheetnames)
    finally:
        wb.close()
    if not names:
        raise DataError(
            _("the workbook has no readable sheet (a sheet part is missing or damaged)"),
            where=where,
            fix=_("open and re-save the file in Excel/WPS as .xlsx"),
        )
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataError(
                _(
                    "sheet index {i} is out of range; the workbook has {n} sheet(s): {names}",
                    i=sheet,
                    n=len(names),
                    names=", ".join(names),
                ),
                where=where,
                fix=_("give a sheet name or a 0-based index from that list"),
            )
        chosen = names[sheet]
    else:
        if str(sheet) not in names:
            raise DataError(
                _("no sheet named {s}; sheets are: {names}", s=show(sheet), names=", ".join(names)),
                where=where,
                fix=_("give one of the sheet names above (or its 0-based index)"),
            )
        chosen = str(sheet)
    try:
        raw = pd.read_excel(path, sheet_name=chosen, engine="openpyxl", header=None)
    except Exception as exc:  # a damaged or missing sheet part: KeyError, BadZipFile, XML errors...
        raise DataError(
            _(
                "sheet {s} cannot be read; the workbook is damaged ({reason})",
                s=show(chosen),
                reason=clip(f"{type(exc).__name__}: {exc}", 160),
            ),
            where=where,
            fix=_("open and re-save the file in Excel/WPS as .xlsx"),
        ) from None
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        raise DataError(
            _("sheet {s} is empty", s=show(chosen)),
            where=where,
            fix=_("put the header in row 1 and data below it"),
        )
    cells = [list(r) for r in raw.itertuples(index=False, name=None)]
    where_s = _("{where} sheet {s}", where=where, s=show(chosen))
    df = _grid_to_frame(
        cells,
        list(range(1, len(cells) + 1)),
        where_s,
        header_row=header_row,
        skip_footer=skip_footer,
        letters=True,
    )
    attrs = dict(df.attrs)
    df = df.infer_objects()
    df = _convert_numeric_columns(df)
    df.attrs.update(attrs)
    df.attrs.update({"sheet": chosen, "format": "xlsx"})
    return df


def _read_sav(path: Path, encoding: str | None, where: str) -> pd.DataFrame:
    import pyreadstat

    kwargs: dict[str, Any] = {}
    if encoding:
        kwargs["encoding"] = encoding
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, **kwargs)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(
            _("cannot read the SPSS file ({reason})", reason=clip(f"{type(exc).__name__}: {exc}", 160)),
            where=where,
            fix=_("re-save it from SPSS as .sav, or export it as CSV/XLSX"),
        ) from None
    df.columns = pd.Index(_clean_headers(list(df.columns), where))
    value_labels = {
        str(k).strip(): {
            (int(c) if isinstance(c, int | float) and float(c).is_integer() else c): str(lab)
            for c, lab in v.items()
        }
        for k, v in meta.variable_value_labels.items()
    }
    column_labels = {
        str(n).strip(): (lab if lab is not None else "")
        for n, lab in zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names))
    }
    df.attrs.update({"value_labels": value_labels, "column_labels": column_labels, "format": "sav"})
    label_units = units_of(list(column_labels.values()))  # "出口额（万美元）" as a variable label
    units = {c: label_units[lab] for c, lab in column_labels.items() if lab in label_units}
    if units:
        df.attrs["units"] = units
    df.attrs["rows"] = list(range(1, len(df) + 1))  # SPSS cases are numbered from 1
    return df


def read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    max_mb: float = DEFAULT_MAX_MB,
    header_row: int | None = None,
    skip_footer: int | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Read a CSV, XLSX or SPSS ``.sav`` table (or copy a DataFrame).

    Parameters
    ----------
    source
        Path to ``.csv``/``.tsv``/``.txt``, ``.xlsx``/``.xlsm`` or ``.sav``; or a DataFrame (a copy is
        returned, ``attrs["format"] = "frame"``).
    sheet
        XLSX only: sheet name or 0-based index (default: the first sheet).
    encoding
        Text encoding (CSV) or SPSS encoding override. Default: detect. CSV detection order: BOM
        (UTF-8-sig / UTF-16), strict UTF-8, then GB18030 (a superset of GBK/GB2312, as Chinese Excel
        saves "CSV"). The codec used is stored in ``df.attrs["encoding"]``.
    max_mb
        Refuse files larger than this many megabytes (default 200).
    header_row
        CSV/XLSX: the row (numbered as the spreadsheet shows it, from 1) holding the column names.
        Default: detected -- leading rows with a single filled cell (a title such as "广州市跨境电商
        面板数据") are skipped. A header whose merged top cells span a second row of names is read as
        one header (``"进出口_出口"``).
    skip_footer
        CSV/XLSX: the number of rows below the data to drop. Default: detected -- trailing rows with
        one filled cell that starts like a note ("注：", "资料来源", "Note", "*") are dropped.
    delimiter
        CSV: ``","``, ``";"`` or ``"\\t"``. Default: sniffed; a file that splits evenly at two
        delimiters is refused (never guessed).
    decimal
        CSV: ``"."`` or ``","``. Default: ``","`` in cells of a ``;``/tab file when a cell can only
        be a decimal comma (``"0,100"``); a cell that could be either (``"1,234"``) is refused.

    Returns
    -------
    DataFrame
        Headers stripped of surrounding whitespace; text columns in which every non-missing cell is a
        number (thousands separators allowed) converted to numbers. Chinese column names are kept.

    Raises
    ------
    DataError
        Missing, empty, too large, undecodable or unparseable file; unknown extension; absent sheet.

    Examples
    --------
    >>> import pandas as pd
    >>> read_table(pd.DataFrame({"年份": [2010]})).columns.tolist()
    ['年份']
    """
    if isinstance(source, pd.DataFrame):
        out = source.copy()
        out.attrs = dict(source.attrs)
        out.attrs.setdefault("source", "DataFrame")
        out.attrs["format"] = "frame"
        return out
    path = Path(source)
    where = str(source)
    if not path.exists():
        raise DataError(
            "file not found",
            where=where,
            fix=f"check the path (looked in {path.resolve().parent}); paths in a spec are relative to the spec file",
        )
    if path.is_dir():
        raise DataError("this is a folder, not a file", where=where, fix="give the path of a table file")
    suffix = path.suffix.lower()
    if suffix not in _CSV_EXT | _XLSX_EXT | _SAV_EXT:
        hint = " (old .xls: open it and save as .xlsx)" if suffix == ".xls" else ""
        raise DataError(
            f"unknown file type {suffix or '(no extension)'!r}{hint}",
            where=where,
            fix="use .csv, .tsv, .txt, .xlsx or .sav",
        )
    size = path.stat().st_size
    if size == 0:
        raise DataError("the file is empty (0 bytes)", where=where, fix="export the table again")
    if size > max_mb * 1024 * 1024:
        raise DataError(
            f"the file is {size / 1024 / 1024:.1f} MB, over the {max_mb:g} MB limit",
            where=where,
            fix="keep only the needed columns/rows, or raise the limit (max_mb=...)",
        )
    for name, val in (("header_row", header_row), ("skip_footer", skip_footer)):
        if val is not None and (
            isinstance(val, bool) or not isinstance(val, int) or val < (1 if name == "header_row" else 0)
        ):
            raise DataError(
                _("{name} must be a whole number of rows, got {v}", name=name, v=show(val)),
                where=where,
                fix=_("e.g. header_row: 2 (the row with the column names, as the spreadsheet numbers it)"),
            )
    if delimiter is not None and delimiter not in (",", ";", "\t", "\\t", "tab", "|"):
        raise DataError(
            _("unknown delimiter {d}", d=show(delimiter)), where=where, fix=_("use ',', ';', 'tab' or '|'")
        )
    if decimal is not None and decimal not in (".", ","):
        raise DataError(_("unknown decimal mark {d}", d=show(decimal)), where=where, fix=_("use '.' or ','"))
    if suffix in _CSV_EXT:
        df = _read_csv(
            path,
            encoding,
            where,
            header_row=header_row,
            skip_footer=skip_footer,
            delimiter=delimiter,
            decimal=decimal,
        )
    elif suffix in _XLSX_EXT:
        df = _read_xlsx(path, sheet, where, header_row=header_row, skip_footer=skip_footer)
    else:
        df = _read_sav(path, encoding, where)
    if df.shape[0] == 0:
        raise DataError(
            "the table has a header but no data rows", where=where, fix="add data rows below the header"
        )
    df.attrs["source"] = where
    return df
