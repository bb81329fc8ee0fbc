"""Display names, units and number formats of result columns (``columns.yaml`` + the catalogue).

Builders turn a result DataFrame into a :class:`~cbeclab.render.document.Table` with
:func:`table_from_frame`; a column listed in ``columns.yaml`` gets its translated label and format,
any other column (an indicator or subsystem of the user's data) gets the display name the builder
passes in ``names`` (framework names), and its unit from ``units``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cbeclab.i18n import _
from cbeclab.render.document import Column, Table
from cbeclab.render.numbers import DEFAULT_DIGITS, Format, frame_formats

__all__ = ["column", "lang_column", "map_values", "table_from_frame"]


@cache
def _catalogue() -> dict[str, dict[str, Any]]:
    text = resources.files("cbeclab.render").joinpath("columns.yaml").read_text(encoding="utf-8")
    # libyaml's safe loader when PyYAML has it: the same mapping, read several times faster
    return dict(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))  # noqa: S506


def column(
    key: str,
    lang: str | None = None,
    *,
    label: str | None = None,
    unit: str | None = None,
    fmt: Format | None = None,
) -> Column:
    """The printed column of ``key`` (label and format from ``columns.yaml`` unless given)."""
    spec = _catalogue().get(key, {})
    text = label if label is not None else (_(spec["label"], lang=lang) if "label" in spec else key)
    return Column(key, text, unit, fmt or spec.get("fmt", "auto"), spec.get("digits"))


def table_from_frame(
    key: str,
    caption: str,
    df: pd.DataFrame,
    lang: str | None = None,
    *,
    names: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    formats: Mapping[str, Format] | None = None,
    drop: Sequence[str] = (),
    notes: Sequence[str] = (),
    sheet: str | None = None,
    significance: bool = False,
    digits: int = DEFAULT_DIGITS,
    highlight: Mapping[str, Sequence[bool]] | None = None,
    max_rows: int | None = None,
    rows: Sequence[int] | None = None,
    shown_note: str | None = None,
    numbered: bool = True,
    views: tuple[str, ...] = ("html", "xlsx", "docx"),
    source: str | None = None,
) -> Table:
    """A Table of ``df`` with catalogue labels, data display ``names``, units and formats.

    ``labels`` overrides the label of a column key; ``names`` gives display names of data columns
    (indicators, subsystems); ``formats`` overrides formats. ``numbered``, ``views``, ``source``,
    ``rows`` and ``shown_note`` are passed to the :class:`Table` (``rows`` and ``shown_note``: the rows
    HTML and DOCX show and what the note under the table says about the rest).
    """
    gone = [c for c in drop if c in df.columns]
    data = df.drop(columns=gone) if gone else df.copy(deep=False)  # no copy of a long table's values
    data.columns = [str(c) for c in data.columns]
    # "auto" formats only of the columns that take one (a catalogue column has its own format):
    # scanning every column of a 60,000-row table for whole numbers is most of this function
    plain_cols = [c for c in data.columns if not (labels and c in labels) and c not in _catalogue()]
    auto = frame_formats(data, plain_cols)
    cols = []
    for c in data.columns:
        if labels and c in labels:
            col = column(c, lang, label=labels[c])
        elif c in _catalogue():
            col = column(c, lang)
        else:
            col = Column(c, (names or {}).get(c, c), fmt=auto.get(c, "auto"))
        if units and c in units:
            col = Column(col.key, col.label, units[c], col.fmt, col.digits)
        if formats and c in formats:
            col = Column(col.key, col.label, col.unit, formats[c], col.digits)
        cols.append(col)
    kw: dict[str, Any] = {} if max_rows is None else {"max_rows": max_rows}
    return Table(
        key,
        caption,
        data,
        tuple(cols),
        tuple(notes),
        significance,
        digits,
        sheet,
        highlight=highlight,
        rows=rows,
        shown_note=shown_note,
        numbered=numbered,
        views=views,
        source=source,
        **kw,
    )


def lang_column(df: pd.DataFrame, base: str, lang: str) -> pd.DataFrame:
    """Keep the ``base_<lang>`` text column of a result under the name ``base``; drop the others.

    The kept column stands where the first of ``base``, ``base_en``, ``base_zh`` stood, so the
    columns come in the same order whatever the language."""
    col = f"{base}_{lang}"
    if col not in df.columns:
        return df
    family = {base} | {
        c for c in df.columns if c.startswith(base + "_") and c[len(base) + 1 :] in ("en", "zh")
    }
    names = list(df.columns)
    first = next(i for i, c in enumerate(names) if c in family)
    out = df.drop(columns=[c for c in names if c in family])
    out.insert(sum(1 for c in names[:first] if c not in family), base, df[col].to_numpy())
    return out


def map_values(df: pd.DataFrame, cols: tuple[str, ...], names: Mapping[str, str]) -> pd.DataFrame:
    """``df`` with the values of ``cols`` replaced by their display ``names`` (others unchanged).

    Each distinct value is looked up once (a 60,000-row column of 3,000 entities: 3,000 lookups);
    ``df`` itself is returned, not a copy, when no value of ``cols`` has a different name.
    """
    out = df
    for c in cols:
        if c not in df.columns or not names:
            continue
        codes, found = pd.factorize(df[c], use_na_sentinel=True)
        uniques = np.asarray(found, dtype=object).tolist()  # (iterating an arrow string array is slow)
        shown = [names.get(str(v), v) for v in uniques]
        if all(a is b or a == b for a, b in zip(shown, uniques)):
            continue
        values = np.empty(len(shown) + 1, dtype=object)
        values[:-1] = shown
        values[-1] = None
        mapped = values[codes]
        if (codes < 0).any():  # missing values stay as they were
            mapped[codes < 0] = df[c].to_numpy(dtype=object)[codes < 0]
        if out is df:
            out = df.copy(deep=False)
        out[c] = mapped
    return out
