"""Panel data: load, validate, report and (on request) impute an entity × period × indicator table.

A :class:`Panel` is the validated input of every evaluation and model (architecture.md, "Data
conventions"): a wide float DataFrame indexed by ``MultiIndex([entity, period])`` with one column per
indicator, sorted, on the full entity × period grid. Bad input stops here with a
:class:`~cbeclab.errors.DataError` naming the file, the spreadsheet row (header = row 1), the column
and the fix.

Missing values are never filled silently. They are listed in ``Panel.missing`` and ``Panel.notes``;
with ``impute="linear"`` each entity-indicator series is completed from its own least-squares linear
trend on the period (the "simple regression" gap filling of seed 001, §3.2), with
``impute="interpolate"`` by linear interpolation between the neighbouring observed periods (the trend
at the ends). Imputed cells are flagged in ``Panel.imputed``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.io.readers import read_table, show, to_number, units_of
from cbeclab.jsonsafe import json_safe

__all__ = ["Panel", "load_panel", "panel_from_frame", "parse_periods", "impute_linear", "impute_interpolate"]

_ROW_OFFSET = 2  # DataFrame position 0 is spreadsheet row 2 (header is row 1), unless attrs["rows"] says
_MAX_PERIOD = 10**9  # a period is a year or a small integer; larger values are refused, never rounded
_MAX_LISTED = 10
_PERIOD_ACCEPTED = (
    "write periods as whole years: 2010, 2010.0, '2010', '2010年', '2010-01', '2010/01/01' "
    "(date-like text and dates are read as their year)"
)
_YEAR_RE = re.compile(r"^\s*([+-]?\d+)\s*(?:年(?:度)?)?\s*$")
_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.]|年)\s*\d{1,2}\s*(?:月)?(?:\s*(?:[-/.])\s*\d{1,2}\s*(?:日)?)?\s*$"
)

ImputeMethod = Literal["linear", "interpolate"]

#: how a fix names each option; the command line passes its own flags (``--entity``) instead
_SPEC_OPTIONS = {
    "entity": "data.entity",
    "period": "data.period",
    "indicator_col": "data.indicator_col",
    "value_col": "data.value_col",
    "allow_constant": "drop these indicators, or set `allow_constant: true` (Python: allow_constant=True) "
    "if you use fixed weights",
    "empty": "fill the columns, or leave them out of the subsystems / indicators",
}


@dataclass(frozen=True, eq=False)
class Panel:
    """A validated entity × period × indicator panel.

    Attributes
    ----------
    data
        Wide float DataFrame, index ``MultiIndex([entity, period])`` (level names = the entity and
        period column names of the source), sorted, one column per indicator, full grid.
    imputed
        Boolean DataFrame of the same shape: True where the value was imputed.
    entity, period
        Names of the entity and period columns (= index level names).
    source
        Where the data came from (file path, name given by the caller, or ``"DataFrame"``).
    notes
        Plain-language remarks (missing cells, imputation, periods read as years...).
    missing
        The cells that were missing before imputation: columns ``entity, period, indicator``.
    """

    data: pd.DataFrame
    imputed: pd.DataFrame
    entity: str
    period: str
    source: str = "DataFrame"
    notes: tuple[str, ...] = ()
    missing: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"entity": [], "period": [], "indicator": []})
    )
    units: dict[str, str] = field(default_factory=dict)
    #: True when some or all of the values are generated, not observed (reports say so in a banner)
    synthetic: bool = False

    @property
    def indicators(self) -> list[str]:
        """Indicator names in column order."""
        return [str(c) for c in self.data.columns]

    @property
    def entities(self) -> list[Any]:
        """Entity labels in sorted order."""
        return list(self.data.index.get_level_values(0).unique())

    @property
    def periods(self) -> list[int]:
        """Period labels (ints) in sorted order."""
        return sorted(int(p) for p in self.data.index.get_level_values(1).unique())

    @property
    def is_complete(self) -> bool:
        """True when no cell is NaN."""
        return not bool(self.data.isna().to_numpy().any())

    def select(self, indicators: Sequence[str]) -> Panel:
        """Panel restricted to ``indicators`` (in that order)."""
        cols = list(indicators)
        absent = [c for c in cols if c not in self.data.columns]
        if absent:
            raise DataError(
                f"indicators not in the panel: {absent}",
                where=self.source,
                fix=f"use names from {self.indicators}",
            )
        miss = self.missing[self.missing["indicator"].isin(cols)].reset_index(drop=True)
        return Panel(
            self.data[cols].copy(),
            self.imputed[cols].copy(),
            self.entity,
            self.period,
            self.source,
            self.notes,
            miss,
            {c: u for c, u in self.units.items() if c in cols},
            self.synthetic,
        )

    def require_complete(self, where: str | None = None, fix: str | None = None) -> None:
        """Raise :class:`DataError` if any cell is still missing (lists up to 10 cells)."""
        mask = self.data.isna()
        if not bool(mask.to_numpy().any()):
            return
        r_i, c_i = np.nonzero(mask.to_numpy())
        idx = self.data.index
        cells = [(idx[int(r)][0], idx[int(r)][1], self.indicators[int(c)]) for r, c in zip(r_i, c_i)]
        shown = "; ".join(f"{e} / {p} / {ind}" for e, p, ind in cells[:_MAX_LISTED])
        more = f" (and {len(cells) - _MAX_LISTED} more)" if len(cells) > _MAX_LISTED else ""
        raise DataError(
            f"{len(cells)} missing value(s) (entity / period / indicator): {shown}{more}",
            where=where or self.source,
            fix=fix
            or _(
                "fill them in the data, or add `impute: linear` (or `impute: interpolate`) to the spec's "
                "data section (Python: load_panel(..., impute='linear'))"
            ),
        )

    def to_frame(self) -> pd.DataFrame:
        """Long table: ``entity, period, indicator, value, imputed``."""
        n_ind = self.data.shape[1]
        idx = self.data.index
        out = pd.DataFrame(
            {
                "entity": np.repeat(idx.get_level_values(0).to_numpy(), n_ind),
                "period": np.repeat(idx.get_level_values(1).to_numpy(), n_ind),
                "indicator": np.tile(np.asarray(self.indicators, dtype=object), len(idx)),
                "value": self.data.to_numpy(dtype=float).ravel(),
                "imputed": self.imputed.to_numpy(dtype=bool).ravel(),
            }
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (NaN → None)."""
        long = self.to_frame()
        return {
            "entity": self.entity,
            "period": self.period,
            "source": self.source,
            "indicators": self.indicators,
            "entities": [json_safe(e) for e in self.entities],
            "periods": self.periods,
            "notes": list(self.notes),
            "units": dict(self.units),
            "missing": [
                {"entity": json_safe(r[0]), "period": json_safe(r[1]), "indicator": str(r[2])}
                for r in self.missing[["entity", "period", "indicator"]].itertuples(index=False)
            ],
            "values": [
                {
                    "entity": json_safe(e),
                    "period": json_safe(p),
                    "indicator": str(i),
                    "value": json_safe(v),
                    "imputed": bool(m),
                }
                for e, p, i, v, m in long.itertuples(index=False)
            ],
        }


# ----------------------------------------------------------------------------------------------------
# helpers


def _isna(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.5)
    if not close:
        low = {o.lower(): o for o in options}
        close = [low[name.lower()]] if name.lower() in low else []
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _rows_text(rows: Sequence[int] | np.ndarray) -> str:
    rows = sorted(int(r) for r in rows if r > 0)
    if not rows:
        return "no row (absent from the table)"
    shown = ", ".join(str(r) for r in rows[:_MAX_LISTED])
    return ("row " if len(rows) == 1 else "rows ") + shown + (" ..." if len(rows) > _MAX_LISTED else "")


def _header_where(df: pd.DataFrame, where: str) -> str:
    return _("{where} header (row {row})", where=where, row=int(df.attrs.get("header_row", 1)))


def _looks_like_year(name: Any) -> bool:
    m = _YEAR_RE.match(str(name))
    return m is not None and 1000 <= int(m.group(1)) <= 9999


def _require_column(df: pd.DataFrame, col: str, role: str, where: str, param: str) -> None:
    if col not in df.columns:
        cols = [str(c) for c in df.columns]
        listed = ", ".join(cols[:30]) + (" ..." if len(cols) > 30 else "")
        years = [c for c in cols if _looks_like_year(c)]
        fix = _("set {param} to one of the column names above", param=param)
        if role == "period" and len(years) >= 2:
            fix = _(
                "the years are columns ({a} ... {b}): set layout: years (command line: --layout years)",
                a=years[0],
                b=years[-1],
            )
        raise DataError(
            _(
                "the {role} column {col} is not in the table{hint}; columns are: {cols}",
                role=_(role),
                col=show(col),
                hint=_suggest(col, cols),
                cols=listed,
            ),
            where=_header_where(df, where),
            fix=fix,
        )


def _years_to_long(
    df: pd.DataFrame,
    entity: str,
    indicator_col: str | None,
    value_col: str | None,
    period: str,
    where: str,
    opt: Mapping[str, str],
) -> tuple[pd.DataFrame, str]:
    """Melt a table with one column per year ("2014", "2014年") into one row per entity-year(-indicator)."""
    _require_column(df, entity, "entity", where, opt["entity"])
    if indicator_col:
        _require_column(df, indicator_col, "indicator", where, opt["indicator_col"])
    years = [c for c in df.columns if _looks_like_year(c)]
    if len(years) < 2:
        raise DataError(
            _("layout 'years' needs two or more columns named by a year (2014 or 2014年)"),
            where=_header_where(df, where),
            fix=_("use layout: wide (one row per entity and period) or rename the year columns"),
        )
    ids = [entity] + ([indicator_col] if indicator_col else [])
    rows = df.attrs.get("rows") or list(range(_ROW_OFFSET, df.shape[0] + _ROW_OFFSET))
    base = df[ids].copy()
    base["__row"] = rows
    parts = []
    for y in years:
        part = base.copy()
        part[period] = int(_YEAR_RE.match(str(y)).group(1))  # type: ignore[union-attr]
        part[value_col or "value"] = df[y].to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    out = long.drop(columns="__row")
    out.attrs = {k: v for k, v in df.attrs.items() if k not in ("rows", "letters")}
    out.attrs["rows"] = long["__row"].tolist()
    return out, value_col or "value"


def _period_of(v: Any) -> tuple[float | None, bool]:
    """One period cell: ``(year, date_like)``, or ``(None, False)`` when it cannot be read as a year."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None, False
    if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "year") and not isinstance(v, str):
        return pd.Timestamp(v).year, True
    if isinstance(v, bool | np.bool_):
        return None, False
    if isinstance(v, int | np.integer):
        if abs(int(v)) >= _MAX_PERIOD:
            return None, False
        return int(v), False
    if isinstance(v, float | np.floating):
        if float(v).is_integer() and abs(float(v)) < _MAX_PERIOD:
            return int(v), False
        return None, False
    text = str(v)
    m = _YEAR_RE.match(text)
    if m:
        if len(m.group(1).lstrip("+-")) > 9:  # "9999999999年": too large for a period
            return None, False
        return int(m.group(1)), False
    try:
        f = float(text)
        if f.is_integer() and abs(f) < _MAX_PERIOD:
            return int(f), False
    except (ValueError, OverflowError):
        pass
    m = _DATE_RE.match(text)
    if m:
        return int(m.group(1)), True
    return None, False


def parse_periods(values: pd.Series, *, where: str, column: str, rows: np.ndarray) -> tuple[pd.Series, bool]:
    """Parse a period column into integers.

    Accepted: integers, integral floats, ``"2010"``, ``"2010年"``, ``"2010-01"``, ``"2010/1/1"``,
    dates (read as their year).

    Returns
    -------
    (periods, date_like)
        Int64 Series and whether any value was date-like (read as its year).

    Raises
    ------
    DataError
        Naming the first unparseable cells with their spreadsheet rows.

    A plain numpy integer or float column (what a CSV reader gives for years) is checked with array
    operations, and a text period is parsed once however many rows repeat it (issue 8: the cell loop
    took 0.3 s on a 60,000-row panel); the rules, results and messages are the cell-by-cell ones
    (:func:`_period_of`).
    """
    date_like = False
    bad: list[tuple[int, Any]] = []
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        # a plain integer or float column, as a CSV reads years: the cell rules below, on arrays
        num = values.to_numpy()
        if dtype.kind == "f":
            f64 = num.astype(np.float64)
            with np.errstate(invalid="ignore"):
                good = np.isfinite(f64) & (np.floor(f64) == f64) & (np.abs(f64) < _MAX_PERIOD)
            out = np.where(good, f64, np.nan)
        else:
            good = (num < _MAX_PERIOD) if dtype.kind == "u" else (num < _MAX_PERIOD) & (num > -_MAX_PERIOD)
            out = np.where(good, num, 0).astype(np.float64)
        if not bool(good.all()):
            objs = values.to_numpy(dtype=object)
            bad = [(int(rows[i]), objs[i]) for i in np.flatnonzero(~good)]
    else:
        out = np.full(len(values), np.nan)
        vals = values.to_numpy(dtype=object)
        # a text period is read once, however many rows repeat it
        seen: dict[str, tuple[float | None, bool]] = {}
        for i, v in enumerate(vals):
            if type(v) is str:
                got = seen.get(v)
                if got is None:
                    got = seen[v] = _period_of(v)
            else:
                got = _period_of(v)
            if got[0] is None:
                bad.append((int(rows[i]), v))
            else:
                out[i] = got[0]
                date_like = date_like or got[1]
    if bad:
        shown = "; ".join(
            _("row {row}: {value}", row=r, value=show(v) if not _isna(v) else _("(empty)"))
            for r, v in bad[:_MAX_LISTED]
        )
        raise DataError(
            _("{n} period value(s) cannot be read as a year: {shown}", n=len(bad), shown=shown),
            where=_("{where} column {col}", where=where, col=show(column)),
            fix=_(_PERIOD_ACCEPTED),
        )
    return pd.Series(out.astype(np.int64), index=values.index), date_like


def _col_label(df: pd.DataFrame, col: str) -> str:
    """``'exports'``, or ``'exports' (C)`` when the table came from a spreadsheet with column letters."""
    letter = df.attrs.get("letters", {}).get(col)
    return f"{show(col)} ({letter})" if letter else show(col)


def _holds_number(s: pd.Series) -> bool:
    """Whether :func:`to_number` finds at least one number in ``s`` (numpy number columns: any non-NaN
    cell, checked on the array instead of through a parsed copy)."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf":
        return bool((~np.isnan(s.to_numpy(dtype=float))).any())
    num, _bad = to_number(s)
    return bool(num.notna().any())


def _parse_indicator(
    s: pd.Series, *, where: str, column: str, rows: np.ndarray, layout: str, label: str | None = None
) -> pd.Series:
    num, bad = to_number(s)
    if bool(bad.any()):
        pos = np.flatnonzero(bad.to_numpy())
        shown = "; ".join(
            _("row {row}: {value}", row=int(rows[p]), value=show(s.iloc[p])) for p in pos[:_MAX_LISTED]
        )
        more = _(" (and {n} more)", n=len(pos) - _MAX_LISTED) if len(pos) > _MAX_LISTED else ""
        pct = bool(s.astype("string").str.strip().str.endswith("%").fillna(False).any())
        raise DataError(
            _("{n} cell(s) are not numbers: {shown}{more}", n=len(pos), shown=shown, more=more),
            where=_("{where} column {col}", where=where, col=label or show(column)),
            fix=(
                _("write every number of the column the same way: all as percentages (12%) or none")
                if pct
                else _(
                    "replace the text with a number (thousands separators like 1,234 are fine) or leave "
                    "the cell empty for a missing value"
                )
            ),
        )
    return num


def _trend_fit(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-series OLS line through the observed values.

    ``t`` has shape ``(T,)``, ``y`` shape ``(S, T)`` with NaN for missing. Returns intercept, slope and
    the observed count per series (shape ``(S,)``).
    """
    m = ~np.isnan(y)
    n = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tt = np.broadcast_to(t, y.shape)
        tbar = np.where(m, tt, 0.0).sum(axis=1) / n
        ybar = np.where(m, y, 0.0).sum(axis=1) / n
        dt = np.where(m, tt - tbar[:, None], 0.0)
        dy = np.where(m, y - ybar[:, None], 0.0)
        sxx = (dt * dt).sum(axis=1)
        slope = (dt * dy).sum(axis=1) / sxx
        intercept = ybar - slope * tbar
    return intercept, slope, n


def impute_linear(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fill NaNs of each row of ``y`` from that row's OLS linear trend on ``t``.

    For series :math:`s` with observed periods :math:`O_s`,
    :math:`\\hat y_{st} = a_s + b_s t` with :math:`b_s = \\sum_{O_s}(t-\\bar t)(y-\\bar y)/\\sum_{O_s}(t-\\bar t)^2`
    and :math:`a_s = \\bar y - b_s \\bar t`. Observed values are left unchanged. Source: seed 001, §3.2
    ("in the absence of data, a simple regression method is used to supplement").
    Checked against: hand calculation (y = 2, 4, NaN, 8 at t = 1..4 gives 6.0).

    Series with fewer than 2 observed values are returned unchanged (the caller reports them).
    """
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    a, b, n = _trend_fit(t, y)
    fitted = a[:, None] + b[:, None] * t[None, :]
    ok = (n >= 2)[:, None]
    return np.where(np.isnan(y) & ok, fitted, y)


def impute_interpolate(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fill NaNs by linear interpolation between the nearest observed periods; ends from the OLS trend.

    Checked against: hand calculation (y = 1, NaN, 2, 6 at t = 0..3 gives 1.5 inside; the end value of
    y = NaN, 2, 4, 5 at t = 0..3 is the trend value 2/3).
    """
    y = np.asarray(y, dtype=float)
    t = np.asarray(t, dtype=float)
    out = impute_linear(t, y)  # ends (and everything) from the trend first
    m = ~np.isnan(y)
    todo = np.flatnonzero((~m).any(axis=1) & (m.sum(axis=1) >= 2))
    for s in todo:  # only series with gaps; np.interp is vectorised within a series
        obs = m[s]
        to, yo = t[obs], y[s, obs]
        inside = ~obs & (t > to[0]) & (t < to[-1])
        if inside.any():
            out[s, inside] = np.interp(t[inside], to, yo)
    return out


# ----------------------------------------------------------------------------------------------------
# main entry points


def panel_from_frame(
    df: pd.DataFrame,
    *,
    entity: str,
    period: str,
    indicators: Sequence[str] | None = None,
    layout: Literal["wide", "long", "years"] | str = "wide",
    indicator_col: str | None = None,
    value_col: str | None = None,
    impute: ImputeMethod | str | None = None,
    nonnegative: bool = False,
    allow_constant: bool = False,
    name: str | None = None,
    options: Mapping[str, str] | None = None,
) -> Panel:
    """Validate a DataFrame and build a :class:`Panel` (see :func:`load_panel` for the parameters)."""
    where = name or str(df.attrs.get("source", "DataFrame"))
    opt = {**_SPEC_OPTIONS, **(options or {})}
    notes: list[str] = [str(n) for n in df.attrs.get("skipped_rows", [])]
    units = {str(k): str(v) for k, v in df.attrs.get("units", {}).items()}
    if layout == "years":
        if df.shape[0] == 0:
            raise DataError(
                _("the table has no data rows"), where=where, fix=_("add data rows below the header")
            )
        df, value_col = _years_to_long(df, entity, indicator_col, value_col, period, where, opt)
        notes.append(_("years read from the column headers (layout: years)"))
        layout = "long" if indicator_col else "wide"
    synthetic = False
    if df.attrs.get("synthetic_columns"):
        cols_s = ", ".join(map(str, df.attrs["synthetic_columns"]))
        notes.append(_("synthetic columns (generated numbers, not observations): {cols}", cols=cols_s))
        synthetic = True
    elif df.attrs.get("synthetic") or str(df.attrs.get("source", "")).lower() == "synthetic":
        notes.append(_("synthetic data: generated numbers, not observations"))
        synthetic = True
    if df.shape[0] == 0:
        raise DataError("the table has no data rows", where=where, fix="add data rows below the header")
    # a new frame for the renamed columns; the cells are only read below, so they are not copied
    df = df.copy(deep=False)
    df.columns = pd.Index([str(c).strip() for c in df.columns])
    if layout not in ("wide", "long"):
        raise DataError(
            _("unknown layout {layout}", layout=show(layout)),
            where=where,
            fix=_("use layout wide, long or years"),
        )
    if impute not in (None, "linear", "interpolate"):
        raise DataError(
            f"unknown impute method {impute!r}",
            where=where,
            fix="use impute: linear, interpolate or leave it out",
        )
    _require_column(df, entity, "entity", where, opt["entity"])
    _require_column(df, period, "period", where, opt["period"])
    if entity == period:
        raise DataError(
            "entity and period name the same column", where=where, fix="give two different columns"
        )
    given_rows = df.attrs.get("rows")
    if given_rows is not None and len(given_rows) == df.shape[0]:
        rows = np.asarray(given_rows, dtype=np.int64)
    else:
        rows = np.arange(df.shape[0]) + _ROW_OFFSET

    ent = df[entity]
    ent_text = ent.astype("string").str.strip()  # converted and stripped once, for the check and the labels
    ent_missing = ent.isna() | (ent_text == "")
    if bool(ent_missing.any()):
        raise DataError(
            f"empty entity cell(s) at {_rows_text(rows[ent_missing.to_numpy()])}",
            where=f"{where} column {entity!r}",
            fix="fill in the entity name or delete the row",
        )
    ent_labels = ent_text.astype(object)
    per, date_like = parse_periods(df[period], where=where, column=period, rows=rows)
    if date_like:
        notes.append(_("period column {col!r} contained dates or year-month text; read as years", col=period))

    # ---- reshape to wide values + per-cell row numbers -----------------------------------------
    if layout == "long":
        if not indicator_col or not value_col:
            raise DataError(
                "layout 'long' needs indicator_col and value_col",
                where=where,
                fix="name the column holding indicator names (indicator_col) and the one holding values "
                "(value_col), or use layout 'wide'",
            )
        _require_column(df, indicator_col, "indicator", where, opt["indicator_col"])
        _require_column(df, value_col, "value", where, opt["value_col"])
        ind_lab = df[indicator_col].astype("string").str.strip()
        bad_ind = ind_lab.isna() | (ind_lab == "")
        if bool(bad_ind.any()):
            raise DataError(
                f"empty indicator name at {_rows_text(rows[bad_ind.to_numpy()])}",
                where=f"{where} column {indicator_col!r}",
                fix="fill in the indicator name or delete the row",
            )
        vals = _parse_indicator(df[value_col], where=where, column=value_col, rows=rows, layout="long")
        long = pd.DataFrame(
            {
                "e": ent_labels.to_numpy(),
                "p": per.to_numpy(),
                "i": ind_lab.astype(object).to_numpy(),
                "v": vals.to_numpy(),
                "r": rows,
            }
        )
        dup = long.duplicated(["e", "p", "i"], keep=False)
        if bool(dup.any()):
            d = long[dup]
            groups: dict[tuple[Any, ...], list[int]] = {}
            for e, p, i, r in zip(d["e"], d["p"], d["i"], d["r"]):
                groups.setdefault((e, p, i), []).append(int(r))
            shown = "; ".join(
                f"{k[0]} / {k[1]} / {k[2]}: rows {', '.join(map(str, r))}"
                for k, r in list(groups.items())[:_MAX_LISTED]
            )
            raise DataError(
                f"duplicate (entity, period, indicator) records: {shown}",
                where=where,
                fix="keep one record per entity, period and indicator",
            )
        available = list(dict.fromkeys(long["i"].tolist()))
        if indicators is None:
            cols = available
        else:
            cols = [str(c) for c in indicators]
            absent = [c for c in cols if c not in available]
            if absent:
                hints = "; ".join(f"{a!r}{_suggest(a, available)}" for a in absent)
                raise DataError(
                    f"indicator(s) not found in column {indicator_col!r}: {hints}; available: {available}",
                    where=where,
                    fix="spell the indicators as they appear in the data",
                )
            long = long[long["i"].isin(cols)]
        wide = long.pivot(index=["e", "p"], columns="i", values="v")
        rowmap = long.pivot(index=["e", "p"], columns="i", values="r")
        wide = wide.reindex(columns=cols)
        rowmap = rowmap.reindex(columns=cols)
    else:
        key = pd.DataFrame({"e": ent_labels.to_numpy(), "p": per.to_numpy(), "r": rows})
        dup = key.duplicated(["e", "p"], keep=False)
        if bool(dup.any()):
            d = key[dup]
            groups2: dict[tuple[Any, ...], list[int]] = {}
            for e, p, r in zip(d["e"], d["p"], d["r"]):
                groups2.setdefault((e, p), []).append(int(r))
            shown = "; ".join(
                f"{k[0]} / {k[1]}: rows {', '.join(map(str, r))}"
                for k, r in list(groups2.items())[:_MAX_LISTED]
            )
            extra = " (dates were read as years, so several dates in one year collide)" if date_like else ""
            raise DataError(
                f"duplicate (entity, period) rows{extra}: {shown}",
                where=where,
                fix="keep one row per entity and period (sum or average the duplicates first)",
            )
        others = [c for c in df.columns if c not in (entity, period)]
        if indicators is None:
            cols = []
            for c in others:
                if not _holds_number(df[c]):
                    notes.append(_("column {col!r} skipped: it holds no numbers", col=c))
                    marks = df[c].astype("string").str.strip().str.lower()
                    if bool((marks == "synthetic").any()) and not synthetic:
                        notes.append(
                            _(
                                "synthetic data (column {col!r} marks rows as synthetic): not observations",
                                col=c,
                            )
                        )
                        synthetic = True
                else:
                    cols.append(c)
            if not cols:
                raise DataError(
                    "no numeric indicator columns besides the entity and period columns",
                    where=where,
                    fix="add indicator columns, or use layout 'long' with indicator_col and value_col",
                )
        else:
            cols = [str(c) for c in indicators]
            absent = [c for c in cols if c not in df.columns]
            if absent:
                hints = "; ".join(f"{a!r}{_suggest(a, others)}" for a in absent)
                raise DataError(
                    f"indicator column(s) not found: {hints}; available columns: {others}",
                    where=_header_where(df, where),
                    fix="spell the indicators exactly as in the header row (or rename the columns)",
                )
            if len(set(cols)) != len(cols):
                raise DataError("an indicator is listed twice", where=where, fix="list each indicator once")
            for c in cols:
                if c in (entity, period):
                    raise DataError(
                        f"{c!r} is the entity or period column and cannot be an indicator",
                        where=where,
                        fix="remove it from the indicators",
                    )
        values = {
            c: _parse_indicator(
                df[c], where=where, column=c, rows=rows, layout="wide", label=_col_label(df, c)
            ).to_numpy()
            for c in cols
        }
        mi = pd.MultiIndex.from_arrays([key["e"].to_numpy(), key["p"].to_numpy()], names=["e", "p"])
        wide = pd.DataFrame(values, index=mi, columns=cols)
        rowmap = pd.DataFrame({"r": rows}, index=mi)  # one column: a row's cells share its number

    # ---- full sorted grid ----------------------------------------------------------------------
    # distinct labels first, then the per-label conversions (not once per row)
    ents = sorted({str(e) for e in pd.unique(wide.index.get_level_values(0).to_numpy(dtype=object))})
    pers = sorted({int(p) for p in pd.unique(wide.index.get_level_values(1).to_numpy())})
    grid = pd.MultiIndex.from_product([ents, pers], names=[entity, period])
    wide.index = wide.index.set_names([entity, period])
    rowmap.index = rowmap.index.set_names([entity, period])
    n_rows_before = len(wide)
    wide = wide.reindex(grid).astype(float)
    rowmap = rowmap.reindex(grid).fillna(0).astype(np.int64)
    wide.columns = pd.Index([str(c) for c in wide.columns])
    if len(grid) > n_rows_before and layout == "wide":
        notes.append(
            _(
                "{n} entity-period combination(s) had no row; their cells count as missing",
                n=len(grid) - n_rows_before,
            )
        )

    # ---- checks on values ----------------------------------------------------------------------
    arr = wide.to_numpy()
    rowarr = np.broadcast_to(rowmap.to_numpy(), arr.shape)  # the file row of every cell
    nan = np.isnan(arr)  # the missing cells, found once for the checks below
    colnames = [str(c) for c in wide.columns]
    if nonnegative:
        neg = arr < 0
        if neg.any():
            r_i, c_i = np.nonzero(neg)
            shown = "; ".join(
                f"row {int(rowarr[r, c])} column {colnames[c]!r}: {arr[r, c]:g}"
                for r, c in list(zip(r_i, c_i))[:_MAX_LISTED]
            )
            raise DataError(
                f"{len(r_i)} negative value(s) where indicators must be non-negative: {shown}",
                where=where,
                fix="correct the values, or drop `nonnegative` if negative values are meaningful "
                "(e.g. a trade balance)",
            )
    with np.errstate(invalid="ignore"):
        col_min = np.nanmin(np.where(nan, np.inf, arr), axis=0)
        col_max = np.nanmax(np.where(nan, -np.inf, arr), axis=0)
    n_obs = (~nan).sum(axis=0)
    empty = [c for c, k in zip(wide.columns, n_obs) if k == 0]
    if empty:
        raise DataError(
            _(
                "indicator column(s) present but empty (no values at all): {cols}",
                cols=", ".join(map(show, empty)),
            ),
            where=where,
            fix=_(opt["empty"]),
        )
    constant = [c for c, lo, hi in zip(wide.columns, col_min, col_max) if lo == hi]
    if constant and not allow_constant:
        raise DataError(
            f"indicator(s) constant over all entities and periods: {constant}; a constant indicator carries "
            "no information and breaks entropy/CRITIC weights (0/0)",
            where=where,
            fix=_(opt["allow_constant"]),
        )
    if constant:
        notes.append(_("constant indicator(s) kept on request: {cols}", cols=", ".join(map(str, constant))))
    else:
        n_e_, n_t_ = len(ents), len(pers)
        cube3 = arr.reshape(n_e_, n_t_, arr.shape[1])
        nan3 = nan.reshape(cube3.shape)
        lo3 = np.where(nan3, np.inf, cube3).min(axis=1)
        hi3 = np.where(nan3, -np.inf, cube3).max(axis=1)
        flat = (lo3 == hi3) & ((~nan3).sum(axis=1) >= 2)
        if flat.any():
            e_i, k_i = np.nonzero(flat)
            shown = ", ".join(
                _("{indicator} in {entity}", indicator=colnames[k], entity=ents[e])
                for e, k in list(zip(e_i, k_i))[:_MAX_LISTED]
            )
            notes.append(
                _(
                    "{n} indicator series constant within an entity ({shown}); fine for pooled "
                    "weights, but per-entity entropy/CRITIC weights cannot use them",
                    n=len(e_i),
                    shown=shown,
                )
            )

    # ---- missing cells and imputation ----------------------------------------------------------
    miss_mask = nan
    if miss_mask.any():
        r_i, c_i = np.nonzero(miss_mask)
        missing = pd.DataFrame(
            {
                "entity": grid.get_level_values(0).to_numpy()[r_i],
                "period": grid.get_level_values(1).to_numpy()[r_i],
                "indicator": wide.columns.to_numpy()[c_i],
            }
        )
        per_ind = missing["indicator"].value_counts(sort=False)
        detail = ", ".join(f"{k}: {v}" for k, v in per_ind.items())
        notes.append(_("{n} missing cell(s) ({detail})", n=len(missing), detail=detail))
    else:
        missing = pd.DataFrame({"entity": [], "period": [], "indicator": []})
    imputed_mask = np.zeros_like(miss_mask)
    if miss_mask.any() and impute is not None:
        n_e, n_t, n_k = len(ents), len(pers), arr.shape[1]
        cube = arr.reshape(n_e, n_t, n_k).transpose(0, 2, 1).reshape(n_e * n_k, n_t)
        n_obs_series = (~np.isnan(cube)).sum(axis=1)
        short = np.flatnonzero((n_obs_series < 2) & np.isnan(cube).any(axis=1))
        if short.size:
            shown = "; ".join(
                f"{ents[s // n_k]} / {wide.columns[s % n_k]} ({int(n_obs_series[s])} value)"
                for s in short[:_MAX_LISTED]
            )
            raise DataError(
                f"cannot impute: fewer than 2 observed values in {short.size} entity-indicator series: {shown}",
                where=where,
                fix="supply at least two observed periods for these series, or drop the indicator/entity",
            )
        t = np.asarray(pers, dtype=float)
        filled = impute_linear(t, cube) if impute == "linear" else impute_interpolate(t, cube)
        arr = filled.reshape(n_e, n_k, n_t).transpose(0, 2, 1).reshape(n_e * n_t, n_k)
        imputed_mask = miss_mask.copy()
        notes.append(
            _("{n} cell(s) imputed by per-entity linear trend on the period", n=int(miss_mask.sum()))
            if impute == "linear"
            else _(
                "{n} cell(s) imputed by linear interpolation between neighbouring periods (trend at the ends)",
                n=int(miss_mask.sum()),
            )
        )
        if nonnegative and (arr[imputed_mask] < 0).any():
            k = int((arr[imputed_mask] < 0).sum())
            arr = np.where(imputed_mask & (arr < 0), 0.0, arr)
            notes.append(_("{n} imputed value(s) below 0 set to 0 (nonnegative)", n=k))
    elif miss_mask.any():
        notes.append(_("missing cells kept as NaN (set `impute: linear` to fill them)"))

    data = pd.DataFrame(arr, index=grid, columns=wide.columns)
    imputed = pd.DataFrame(imputed_mask, index=grid, columns=wide.columns)
    return Panel(
        data=data,
        imputed=imputed,
        entity=entity,
        period=period,
        source=where,
        notes=tuple(notes),
        missing=missing,
        synthetic=synthetic,
        units={**units_of(list(data.columns)), **{c: u for c, u in units.items() if c in data.columns}},
    )


def load_panel(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    entity: str,
    period: str,
    indicators: Sequence[str] | None = None,
    layout: Literal["wide", "long"] | str = "wide",
    indicator_col: str | None = None,
    value_col: str | None = None,
    impute: ImputeMethod | str | None = None,
    nonnegative: bool = False,
    allow_constant: bool = False,
    sheet: str | int | None = None,
    name: str | None = None,
    header_row: int | None = None,
    skip_footer: int | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    options: Mapping[str, str] | None = None,
) -> Panel:
    """Read and validate a panel from a file or DataFrame.

    Parameters
    ----------
    source
        Path (CSV/XLSX/SAV, read with :func:`~cbeclab.io.readers.read_table`) or DataFrame.
    entity, period
        Column names of the entity (e.g. cluster) and the period (e.g. year). Periods become ints.
    indicators
        Indicator columns (wide) or indicator names (long) to keep, in this order. Default: every
        numeric column besides entity/period (text-only columns are skipped with a note).
    layout
        ``"wide"``: one row per entity-period, one column per indicator. ``"long"``: one row per
        entity-period-indicator with ``indicator_col`` and ``value_col``. ``"years"``: one column per
        year (headers ``2014`` or ``2014年``), one row per entity (and indicator, with
        ``indicator_col``; without it the values form one indicator named ``value_col``, default
        ``"value"``).
    impute
        ``None`` (keep NaN, note it), ``"linear"`` (per-entity OLS trend on the period) or
        ``"interpolate"`` (between neighbours, trend at the ends).
    nonnegative
        Reject negative values (and clip negative imputed values to 0).
    allow_constant
        Accept indicators constant over the whole panel (they break entropy weights).
    sheet
        XLSX sheet name or index.
    name
        Label used as ``Panel.source`` and in messages (default: the path).
    header_row, skip_footer, delimiter, decimal, encoding
        Passed to :func:`~cbeclab.io.readers.read_table` (title rows, note rows, CSV dialect).
    options
        How messages name the options (default: spec fields ``data.entity``...; the command line
        passes ``{"entity": "--entity", ...}`` so each fix names the caller's own flag).

    Raises
    ------
    DataError
        With ``where`` = file, row (header = row 1) and column, and ``fix``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"c": ["a"] * 4, "year": [1, 2, 3, 4], "x": [2, 4, None, 8]})
    >>> p = load_panel(df, entity="c", period="year", impute="linear")
    >>> float(p.data.loc[("a", 3), "x"])
    6.0
    """
    frame = read_table(
        source,
        sheet=sheet,
        header_row=header_row,
        skip_footer=skip_footer,
        delimiter=delimiter,
        decimal=decimal,
        encoding=encoding,
    )
    label = name or (str(source) if not isinstance(source, pd.DataFrame) else str(frame.attrs.get("source")))
    return panel_from_frame(
        frame,
        entity=entity,
        period=period,
        indicators=indicators,
        layout=layout,
        indicator_col=indicator_col,
        value_col=value_col,
        impute=impute,
        nonnegative=nonnegative,
        allow_constant=allow_constant,
        name=label,
        options=options,
    )
