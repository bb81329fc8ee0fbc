"""Input checks on questionnaire responses, run before any model.

Every problem stops with a :class:`~cbeclab.errors.DataError` that names the file, the column and the
first offending rows, and says what to change. Row numbers are spreadsheet rows: row 1 is the header,
the first respondent is row 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.errors import DataError
from cbeclab.i18n import _
from cbeclab.io.readers import to_number

__all__ = ["CheckedItems", "check_items"]

#: how many offending rows a message lists
SHOW = 5


@dataclass(frozen=True)
class CheckedItems:
    """The clean item matrix and what the checks did.

    Attributes
    ----------
    data
        Float item scores of the kept respondents (original index kept), columns in spec order.
    n_raw
        Respondents in the file.
    dropped_rows
        Spreadsheet row numbers (header = 1) removed by listwise deletion.
    reversed
        Reverse-keyed items that were recoded as ``lo + hi - x``.
    """

    data: pd.DataFrame
    n_raw: int
    dropped_rows: tuple[int, ...] = ()
    reversed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def n_used(self) -> int:
        return int(len(self.data))

    @property
    def n_dropped(self) -> int:
        return len(self.dropped_rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_raw": self.n_raw,
            "n_used": self.n_used,
            "n_dropped": self.n_dropped,
            "dropped_rows": list(self.dropped_rows),
            "reversed": list(self.reversed),
            "notes": list(self.notes),
        }


def _rows(positions: Sequence[int] | np.ndarray) -> list[int]:
    return [int(p) + 2 for p in positions]


def _list(rows: list[int]) -> str:
    head = ", ".join(str(r) for r in rows[:SHOW])
    return head + (f" and {len(rows) - SHOW} more" if len(rows) > SHOW else "")


def check_items(
    raw: pd.DataFrame,
    items: Sequence[str],
    *,
    likert: tuple[float, float],
    missing: str = "listwise",
    reverse: Sequence[str] = (),
    source: str = "data",
    columns: Mapping[str, str] | None = None,
) -> CheckedItems:
    """Validate the item columns of ``raw`` and return them as a clean float matrix.

    Checks, in order: every item is a column (close matches suggested); every cell is a number or
    empty; every answer lies in the declared Likert range ``[lo, hi]``; missing answers are removed
    listwise (``missing="listwise"``, the count reported), refused (``missing="error"``) or kept for
    a full-information ML fit (``missing="keep"``, the count reported); no item is
    constant among the kept respondents. Reverse-keyed items are then recoded as ``lo + hi - x``.

    Parameters
    ----------
    raw
        The table as read (respondents in rows).
    items
        Item columns to use, in order.
    likert
        ``(lo, hi)`` of the answer scale, e.g. ``(1, 5)``.
    missing
        ``"listwise"`` (default; seed 000 §3.5 removed incomplete questionnaires) or ``"error"``.
    reverse
        Reverse-keyed items.
    source
        File name used in messages.
    columns
        ``item -> column header`` when the file's headers differ from the item ids (e.g. Chinese
        headers); the returned frame uses the item ids.

    Raises
    ------
    DataError
        With the column, the first offending rows and a fix.
    """
    cols = [str(c) for c in raw.columns]
    col = {i: (columns or {}).get(i, i) for i in items}
    absent = [col[i] for i in items if col[i] not in raw.columns]
    if absent:
        parts = []
        for a in absent:
            close = difflib.get_close_matches(a, cols, n=3, cutoff=0.5)
            parts.append(f"{a}" + (_(" (close: {names})", names=", ".join(close)) if close else ""))
        raise DataError(
            _("item column(s) named in the spec are not in the data: {v1}", v1="; ".join(parts)),
            where=f"{source}: columns",
            fix=_(
                "rename the column(s) in the file or the item(s) in the spec; the file has: {names}",
                names=", ".join(cols[:40]) + (" ..." if len(cols) > 40 else ""),
            ),
        )
    lo, hi = likert
    out: dict[str, pd.Series] = {}
    for item in items:
        name = col[item]
        num, bad = to_number(raw[name])
        if bool(bad.any()):
            pos = np.flatnonzero(bad.to_numpy())
            shown = ", ".join(
                _("row {row} ({value!r})", row=r, value=raw[name].iloc[p])
                for r, p in zip(_rows(pos[:SHOW]), pos[:SHOW])
            )
            raise DataError(
                _("{n} non-numeric answer(s): {shown}", n=len(pos), shown=shown)
                + (" ..." if len(pos) > SHOW else ""),
                where=f"{source}: column {name}",
                fix=_(
                    "code every answer as a number from {lo:g} to {hi:g} (leave a cell empty if unanswered)",
                    lo=lo,
                    hi=hi,
                ),
            )
        x = num.to_numpy(dtype=float)
        outside = np.flatnonzero(~np.isnan(x) & ((x < lo) | (x > hi)))
        if outside.size:
            rows = _rows(outside)
            bad_vals = sorted({float(v) for v in x[outside]})[:SHOW]
            raise DataError(
                _(
                    "{size} answer(s) outside the Likert range [{lo:g}, {hi:g}] in rows {v1} (values {v2})",
                    size=outside.size,
                    lo=lo,
                    hi=hi,
                    v1=_list(rows),
                    v2=", ".join(f"{v:g}" for v in bad_vals),
                ),
                where=f"{source}: column {name}",
                fix=_(
                    "correct the entries, declare missing codes (e.g. 99) as empty cells, or change `likert` in the spec"
                ),
            )
        out[item] = pd.Series(x, index=raw.index)
    data = pd.DataFrame(out, index=raw.index)
    incomplete = data.isna().any(axis=1).to_numpy()
    dropped: list[int] = []
    notes: list[str] = []
    if incomplete.any():
        rows = _rows(np.flatnonzero(incomplete))
        by_item = data.isna().sum()
        worst = ", ".join(
            f"{col[str(k)]} ({int(v)})"
            for k, v in by_item[by_item > 0].sort_values(ascending=False).head(SHOW).items()
        )
        if missing == "error":
            raise DataError(
                _(
                    "{n_rows} respondent(s) skipped items: rows {v1}; most skipped: {worst}",
                    n_rows=len(rows),
                    v1=_list(rows),
                    worst=worst,
                ),
                where=f"{source}: rows",
                fix=_("fill in or remove those rows, or set `missing: listwise` in the spec"),
            )
        if incomplete.all() and missing != "keep":
            raise DataError(
                _(
                    "every respondent skipped at least one item, so listwise deletion leaves no data (most skipped: {worst})",
                    worst=worst,
                ),
                where=f"{source}: rows",
                fix=_(
                    "check that the item columns hold the answers and that empty cells are really unanswered"
                ),
            )
        if missing == "keep":  # FIML downstream: keep the incomplete rows, report them
            notes.append(
                _(
                    "{n_rows} of {n_incomplete} respondents skipped items (kept for FIML)",
                    n_rows=len(rows),
                    n_incomplete=len(incomplete),
                )
            )
        else:
            dropped = rows
            data = data.loc[~incomplete]
            notes.append(
                _(
                    "listwise deletion removed {n_rows} of {n_incomplete} respondents (rows {v1})",
                    n_rows=len(rows),
                    n_incomplete=len(incomplete),
                    v1=_list(rows),
                )
            )
    sd = data.std(ddof=1)
    const = [str(c) for c in sd.index if not (sd[c] > 0)]
    if const:
        vals = ", ".join(f"{c} = {data[c].iloc[0]:g}" for c in const[:SHOW])
        raise DataError(
            _(
                "constant item(s): every kept respondent gave the same answer ({vals}); correlations, reliability and factor models are undefined",
                vals=vals,
            ),
            where=f"{source}: column {col[const[0]]}",
            fix=_("drop the item from its construct in the spec or check the data entry"),
        )
    rev = tuple(str(r) for r in reverse)
    if rev:
        data = data.copy()
        data[list(rev)] = lo + hi - data[list(rev)]
        notes.append(
            _("reverse-keyed items recoded as {lo:g} + {hi:g} - x: {v1}", lo=lo, hi=hi, v1=", ".join(rev))
        )
    return CheckedItems(
        data=data, n_raw=int(len(raw)), dropped_rows=tuple(dropped), reversed=rev, notes=tuple(notes)
    )
