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
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError

__all__ = ["read_table", "DEFAULT_MAX_MB", "MISSING_MARKERS", "to_number"]

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
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column cell by cell into floats.

    Plain numbers, numbers with thousands separators (``"1,234.5"``), percent-free text with
    surrounding spaces and the :data:`MISSING_MARKERS` are accepted.

    Returns
    -------
    (numbers, bad)
        ``numbers`` is a float Series (NaN for missing and unparseable cells); ``bad`` is a boolean
        Series marking cells that are neither a number nor a missing marker.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        bad = values.notna().astype(bool)
        return pd.Series(float("nan"), index=values.index, dtype=float), bad
    if pd.api.types.is_numeric_dtype(values.dtype):
        num = pd.to_numeric(values, errors="coerce").astype(float)
        return num, pd.Series(False, index=values.index)
    text = values.astype("string").str.strip()
    missing = text.isna() | text.str.lower().isin(MISSING_MARKERS)
    plain = text.str.replace("\u2212", "-", regex=False)  # unicode minus sign
    thousands = plain.str.fullmatch(_THOUSANDS_RE.pattern).fillna(False).astype(bool)
    plain = plain.where(~thousands, plain.str.replace(",", "", regex=False))
    ok = plain.str.fullmatch(_NUMBER_RE.pattern).fillna(False).astype(bool)
    num = pd.to_numeric(plain.where(ok & ~missing), errors="coerce").astype(float)
    bad = ~missing & num.isna()
    return num, bad.astype(bool)


_LEADING_ZERO_LINE = re.compile(r"(?m)^\s*0\d")


def _plain_numbers(s: pd.Series) -> pd.Series | None:
    """Fast path of :func:`_convert_numeric_columns` for a text column of plain, complete numbers.

    Returns the converted column when every cell is a finite number written plainly (what
    :data:`_NUMBER_RE` accepts, possibly with surrounding spaces), else ``None`` so the cell-by-cell
    path decides (missing markers, thousands separators, codes with leading zeros, text).
    """
    arr = s.to_numpy(dtype=object)
    if len(arr) == 0:
        return None
    try:
        num = arr.astype(float)
    except (TypeError, ValueError):
        return None
    if not bool(np.isfinite(num).all()):
        return None
    joined = "\n".join(arr)
    # float() also takes "1_000", "nan", "inf", "infinity": leave those to the strict path
    if "_" in joined or "n" in joined or "N" in joined or _LEADING_ZERO_LINE.search(joined):
        return None
    if bool((num % 1 == 0).all()):
        return pd.Series(num.astype("int64"), index=s.index)
    return pd.Series(num, index=s.index)


def _convert_numeric_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Turn text columns whose every non-missing cell is a number into numeric columns.

    Columns of codes with leading zeros (``"001"``, region codes) stay text, and blank-headed
    columns without any value (trailing delimiters, empty Excel columns) are dropped.
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
        fast = _plain_numbers(s)
        if fast is not None:
            df[col] = fast
            continue
        text = s.astype("string").str.strip()
        if bool(text.str.match(r"^0\d").fillna(False).any()):
            continue
        num, bad = to_number(s)
        if bool(bad.any()) or not bool(num.notna().any()):
            continue
        if bool(((num % 1) == 0).where(num.notna(), True).all()) and not bool(num.isna().any()):
            df[col] = num.astype("int64")
        else:
            df[col] = num
    return df


def _clean_headers(raw: Sequence[Any], where: str) -> list[str]:
    """Strip header names, name blank ones ``column_<k>``, and refuse duplicates (before pandas mangles them)."""
    names = []
    for i, c in enumerate(raw):
        name = "" if c is None or (isinstance(c, float) and c != c) else str(c)
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
            f"duplicate column names after trimming spaces: {', '.join(repr(d) for d in dup)}",
            where=f"{where} header (row 1)",
            fix="give every column a distinct name in the header row",
        )
    return names


def _drop_trailing_blank(df: pd.DataFrame) -> pd.DataFrame:
    """Drop empty rows at the end only, so row numbers keep matching the spreadsheet."""
    filled = df.notna().to_numpy().any(axis=1)
    last = int(np.flatnonzero(filled).max()) + 1 if filled.any() else 0
    return df.iloc[:last].reset_index(drop=True)


def _decode(data: bytes, encoding: str | None, where: str) -> tuple[str, str]:
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError(
                f"cannot decode the file as {encoding!r} ({exc})",
                where=where,
                fix="leave encoding unset to auto-detect (UTF-8, UTF-8 with BOM, GB18030/GBK), "
                "or name the encoding the file was saved in",
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8", errors="strict"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030", errors="strict"), "gb18030"
    except UnicodeDecodeError:
        raise DataError(
            "the file is neither UTF-8 nor GB18030/GBK text",
            where=where,
            fix="save the file as 'CSV UTF-8' in Excel/WPS, or pass encoding='...' with the right codec",
        ) from None


def _sniff_delimiter(text: str, suffix: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    best, best_score = ("\t" if suffix == ".tsv" else ","), (-1, -1, -1)
    for d in _DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        if not counts:
            continue
        n_head = counts[0]
        consistent = sum(1 for c in counts if c == n_head)
        score = (int(n_head > 1), consistent, n_head)
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv_arrow(text: str, delim: str, names: list[str]) -> pd.DataFrame | None:
    """Fast path of :func:`_read_csv` with pyarrow's CSV parser (the same rules, about 10x faster).

    Every cell is read as text; a column whose cells are all finite numbers (arrow's strict string to
    float cast, no blanks, no leading-zero codes) becomes numeric here, the rest are handed to
    :func:`_convert_numeric_columns` as text with blanks as missing. Returns ``None`` when pyarrow
    cannot parse the text the way pandas would (ragged rows and the like); the caller then takes
    the pandas path, which also writes the error message.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    cols: dict[str, Any] = {}
    for name in names:
        raw = table[name]
        stripped = pc.utf8_trim_whitespace(raw)
        try:
            num = pc.cast(stripped, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            num = None
        # arrow's cast also takes "nan"/"inf": finite only; "001"-style codes stay text
        if (
            num is not None
            and len(num)
            and bool(np.isfinite(num).all())
            and not (
                bool(pc.any(pc.starts_with(stripped, "0")).as_py())
                and bool(pc.any(pc.match_substring_regex(stripped, r"^0\d")).as_py())
            )
        ):
            cols[name] = num.astype("int64") if bool((num % 1 == 0).all()) else num
            continue
        col = pc.utf8_ltrim(raw, characters=" ")
        blank = pc.equal(col, "")
        obj = pc.if_else(blank, pa.scalar(None, pa.string()), col).to_numpy(zero_copy_only=False)
        cols[name] = obj.astype(object)
    return pd.DataFrame(cols, columns=names)


def _read_csv(path: Path, encoding: str | None, where: str) -> pd.DataFrame:
    data = path.read_bytes()
    text, enc = _decode(data, encoding, where)
    if not text.strip():
        raise DataError("the file is empty", where=where, fix="export the table again with its header row")
    delim = _sniff_delimiter(text, path.suffix.lower())
    header = next(csv.reader(io.StringIO(text), delimiter=delim))
    names = _clean_headers(header, where)
    fast = _read_csv_arrow(text, delim, names)
    if fast is not None:
        df = _convert_numeric_columns(_drop_trailing_blank(fast))
        df.attrs.update({"encoding": enc, "delimiter": delim, "format": "csv"})
        return df
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            header=0,
            names=names,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise DataError(
            f"the CSV cannot be parsed ({exc})",
            where=where,
            fix="check that every row has the same number of fields and that quotes are closed",
        ) from None
    df = _drop_trailing_blank(df.replace({"": None}))
    df = _convert_numeric_columns(df)
    df.attrs.update({"encoding": enc, "delimiter": delim, "format": "csv"})
    return df


def _read_xlsx(path: Path, sheet: str | int | None, where: str) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataError(
            f"cannot open the workbook ({type(exc).__name__}: {exc})",
            where=where,
            fix="open and re-save the file in Excel/WPS as .xlsx",
        ) from None
    try:
        names = list(wb.sheetnames)
    finally:
        wb.close()
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataError(
                f"sheet index {sheet} is out of range; the workbook has {len(names)} sheet(s): {names}",
                where=where,
                fix="give a sheet name or a 0-based index from that list",
            )
        chosen = names[sheet]
    else:
        if str(sheet) not in names:
            raise DataError(
                f"no sheet named {sheet!r}; sheets are: {names}",
                where=where,
                fix="give one of the sheet names above (or its 0-based index)",
            )
        chosen = str(sheet)
    raw = pd.read_excel(path, sheet_name=chosen, engine="openpyxl", header=None)
    if raw.shape[0] == 0 or raw.shape[1] == 0:
        raise DataError(
            f"sheet {chosen!r} is empty", where=where, fix="put the header in row 1 and data below it"
        )
    names = _clean_headers(list(raw.iloc[0]), f"{where} sheet {chosen!r}")
    df = raw.iloc[1:].copy()
    df.columns = pd.Index(names)
    df = _drop_trailing_blank(df.reset_index(drop=True)).infer_objects()
    df = _convert_numeric_columns(df)
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
            f"cannot read the SPSS file ({type(exc).__name__}: {exc})",
            where=where,
            fix="re-save it from SPSS as .sav, or export it as CSV/XLSX",
        ) from None
    df.columns = pd.Index(_clean_headers(list(df.columns), where))
    value_labels = {
        str(k).strip(): {(int(c) if float(c).is_integer() else c): str(lab) for c, lab in v.items()}
        for k, v in meta.variable_value_labels.items()
    }
    column_labels = {
        str(n).strip(): (lab if lab is not None else "")
        for n, lab in zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names))
    }
    df.attrs.update({"value_labels": value_labels, "column_labels": column_labels, "format": "sav"})
    return df


def read_table(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    max_mb: float = DEFAULT_MAX_MB,
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
    if suffix in _CSV_EXT:
        df = _read_csv(path, encoding, where)
    elif suffix in _XLSX_EXT:
        df = _read_xlsx(path, sheet, where)
    else:
        df = _read_sav(path, encoding, where)
    if df.shape[0] == 0:
        raise DataError(
            "the table has a header but no data rows", where=where, fix="add data rows below the header"
        )
    df.attrs["source"] = where
    return df
