"""Map questionnaire items (or SEM observed variables) to the columns of a file, without one line per item.

Survey platforms (问卷星, 腾讯问卷) export the question text as the header: ``"1. 贵企业的跨境电商平台
使用程度"``, ``"Q3(T11)"``. Two mappings cover these files:

``first``
    By order: the items, in the order the spec (or the model) lists them, are the consecutive columns
    starting at ``first`` -- a column letter (``"C"``), a 1-based column number (``3``) or a header.
``match``
    By label: each item's column is the one header containing ``match`` with ``{item}`` replaced by
    the item id (``"({item})"`` finds ``"Q3(T11)"`` for T11), or, with ``{label}``, by the item's
    text (its ``zh``/``en`` text, e.g. ``"{label}"`` finds ``"1. 贵企业的跨境电商平台使用程度"``).
    Exactly one header must match each item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.io.readers import column_letter, show

__all__ = ["map_columns", "parse_column_option"]

_LETTERS = re.compile(r"^[A-Z]{1,3}$")


def _start_index(first: str | int, headers: Sequence[str], where: str) -> int:
    if isinstance(first, int) and not isinstance(first, bool):
        k = first - 1
    elif isinstance(first, str) and first in headers:
        k = list(headers).index(first)
    elif isinstance(first, str) and first.strip().isdigit():
        k = int(first.strip()) - 1
    elif isinstance(first, str) and _LETTERS.match(first.strip().upper()):
        k = 0
        for ch in first.strip().upper():
            k = k * 26 + (ord(ch) - 64)
        k -= 1
    else:
        raise SpecError(
            _("columns.first {v} is neither a header, a column letter nor a column number", v=show(first)),
            where=where,
            fix=_("write e.g. first: C, first: 3 or first: the header of the first item's column"),
        )
    if not 0 <= k < len(headers):
        raise DataError(
            _("columns.first {v} is outside the table, which has {n} columns", v=show(first), n=len(headers)),
            where=where,
            fix=_("give the column of the first item"),
        )
    return k


def map_columns(
    items: Sequence[str],
    headers: Sequence[str],
    *,
    first: str | int | None = None,
    match: str | None = None,
    texts: Mapping[str, str] | None = None,
    where: str = "data",
) -> dict[str, str]:
    """``{item: header}`` for ``items`` by order (``first``) or by label (``match``); see the module doc.

    Examples
    --------
    >>> map_columns(["T11", "T12"], ["id", "Q1(T11)", "Q2(T12)"], match="({item})")
    {'T11': 'Q1(T11)', 'T12': 'Q2(T12)'}
    >>> map_columns(["a", "b"], ["id", "问题1", "问题2"], first="B")
    {'a': '问题1', 'b': '问题2'}
    """
    headers = [str(h) for h in headers]
    if (first is None) == (match is None):
        raise SpecError(
            _("give exactly one of columns.first (by order) or columns.match (by label)"),
            where=where,
            fix=_("e.g. columns: {first: C} or columns: {match: '({item})'}"),
        )
    if first is not None:
        k = _start_index(first, headers, where)
        if k + len(items) > len(headers):
            raise DataError(
                _(
                    "{n} items from column {col} need {need} columns, but the table ends at column {last}",
                    n=len(items),
                    col=column_letter(k),
                    need=len(items),
                    last=column_letter(len(headers) - 1),
                ),
                where=where,
                fix=_("check columns.first and the number of items"),
            )
        return {it: headers[k + i] for i, it in enumerate(items)}
    assert match is not None
    if "{item}" not in match and "{label}" not in match:
        raise SpecError(
            _("columns.match must contain {{item}} or {{label}}, got {v}", v=show(match)),
            where=where,
            fix=_("e.g. match: '({item})' for headers such as 'Q3(T11)'"),
        )
    out: dict[str, str] = {}
    for it in items:
        label = (texts or {}).get(it, "")
        if "{label}" in match and not label:
            raise SpecError(
                _("item {item} has no zh/en text to match headers by", item=it),
                where=where,
                fix=_("give the item a zh: or en: text, or match by {item}"),
            )
        needle = match.replace("{item}", it).replace("{label}", label)
        hits = [h for h in headers if needle in h]
        if len(hits) > 1:  # prefer a header that is exactly the needle, or ends with it
            exact = [h for h in hits if h == needle] or [h for h in hits if h.endswith(needle)]
            hits = exact if len(exact) == 1 else hits
        if len(hits) != 1:
            raise DataError(
                _(
                    "{k} headers contain {needle} (item {item}): {hits}",
                    k=len(hits),
                    needle=show(needle),
                    item=it,
                    hits=", ".join(show(h, 60) for h in hits[:5]) or _("none found"),
                ),
                where=where,
                fix=_("make columns.match specific enough that exactly one header matches each item"),
            )
        out[it] = hits[0]
    used: dict[str, str] = {}
    for it, h in out.items():
        if h in used:
            raise DataError(
                _("items {a} and {b} both map to the column {h}", a=used[h], b=it, h=show(h, 60)),
                where=where,
                fix=_("make columns.match specific enough that each item has its own column"),
            )
        used[h] = it
    return out


def parse_column_option(text: str | None) -> dict[str, str]:
    """``"first=C"`` / ``"match=({item})"`` (the command line's ``--columns``) as ``{"first": "C"}``."""
    if not text:
        return {}
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or key not in ("first", "match") or not value:
        raise SpecError(
            _("--columns {v} is not first=COLUMN or match=PATTERN", v=show(text)),
            where="--columns",
            fix=_("e.g. --columns first=C or --columns 'match=({item})'"),
        )
    return {key: value}
