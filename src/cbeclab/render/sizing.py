"""How much of a run the human-facing outputs show: one place for the thresholds of every view.

A county-level national panel has thousands of entities; its tables have tens of thousands of rows.
The full tables are always in the run's store (``tables/<name>.parquet``, and in ``result.xlsx`` while
they fit its cell budget, ``cbeclab.store.write.XLSX_MAX_CELLS``). What a person reads -- the terminal
summary, the HTML page and the Word report -- is sized to the work:

* up to :data:`MANY_ENTITIES` entities, every entity is listed (tables show up to
  :data:`DISPLAY_ROWS` rows);
* above it, the console and the report show counts per synergy stage and coordination grade and the
  :data:`TOP_N` entities with the highest and the lowest latest D (synergy when there is no
  coupling); the report's per-entity tables keep the rows of those entities in their latest period,
  and each table says what it left out and which file holds every row.

The chart builders have their own, smaller switch (``render.charts.common.LINE_MAX``): lines of
more than a handful of entities are unreadable long before a table is.

The report builder (:mod:`cbeclab.render.engine_report`) and the CLI call these functions; the views
(HTML, DOCX, XLSX) print what the Document holds and decide nothing.

>>> import pandas as pd
>>> s = pd.DataFrame({"entity": list("abcde"), "D": [0.5, 0.9, 0.1, float("nan"), 0.7]})
>>> list(ranked(s, n=1)["entity"]), list(ranked(s, n=1)["rank"])
(['b', 'c'], [1, 4])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DISPLAY_ROWS",
    "MANY_ENTITIES",
    "TOP_N",
    "class_counts",
    "entity_rows",
    "many",
    "rank_key",
    "ranked",
]

#: up to this many entities every entity is listed (console, report); above it, counts and top/bottom
MANY_ENTITIES = 30
#: entities listed at each end of the ranking when there are many
TOP_N = 10
#: rows of a table shown in HTML and DOCX at most (the store and, while it fits, the XLSX hold all)
DISPLAY_ROWS = 200


def many(n_entities: int) -> bool:
    """True when a run has too many entities to list each one (more than :data:`MANY_ENTITIES`)."""
    return n_entities > MANY_ENTITIES


def rank_key(summary: pd.DataFrame) -> str | None:
    """The column entities are ranked by: ``D`` when the run has coupling, else ``synergy``."""
    return "D" if "D" in summary else "synergy" if "synergy" in summary else None


def ranked(summary: pd.DataFrame, n: int = TOP_N, key: str | None = None) -> pd.DataFrame:
    """The ``n`` entities with the highest and the ``n`` with the lowest ``key`` (latest period).

    ``summary`` has one row per entity (``RunResult.summary()``). Rows with a missing ``key`` are not
    ranked. The result keeps the summary's columns plus ``rank`` (1 = highest), highest first; with
    ``2 n`` or fewer ranked entities every one is returned once.
    """
    key = key or rank_key(summary)
    if key is None:
        return summary.iloc[:0].assign(rank=pd.Series(dtype=int))
    order = summary.dropna(subset=[key]).sort_values(key, ascending=False, kind="stable")
    order = order.assign(rank=np.arange(1, len(order) + 1))
    if len(order) <= 2 * n:
        return order
    return pd.concat([order.head(n), order.tail(n)])


def class_counts(summary: pd.DataFrame, columns: Sequence[tuple[str, str]], none: str) -> pd.DataFrame:
    """Entities per class of each ``(column, measure label)``: ``measure``, ``class``, ``entities``, ``share``.

    Classes in descending order of count (ties in order of appearance); a missing class is counted
    under ``none``. ``share`` is the fraction of all entities.
    """
    parts = []
    n = len(summary)
    for col, label in columns:
        if col not in summary:
            continue
        counts = summary[col].astype(object).where(summary[col].notna(), none).value_counts(sort=True)
        parts.append(
            pd.DataFrame(
                {
                    "measure": label,
                    "class": [str(c) for c in counts.index],
                    "entities": counts.to_numpy(dtype=int),
                    "share": counts.to_numpy(dtype=float) / max(n, 1),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["measure", "class", "entities", "share"])
    return pd.concat(parts, ignore_index=True)


def entity_rows(
    df: pd.DataFrame,
    entities: Sequence[str],
    *,
    column: str = "entity",
    period: str | None = "period",
    limit: int = DISPLAY_ROWS,
) -> np.ndarray:
    """Positions of the rows of ``df`` that belong to ``entities``, in the order of ``entities``.

    With a ``period`` column, only each entity's last period in ``df`` (the rows of that period: an
    entity's top obstacles, a forecast's last step). At most ``limit`` positions.
    """
    if column not in df.columns:
        return np.arange(min(len(df), limit))
    order = {str(e): i for i, e in enumerate(entities)}
    codes, uniques = pd.factorize(df[column], sort=False)
    values = np.asarray(uniques, dtype=object).tolist()  # (iterating an arrow string array is slow)
    by_code = np.array([order.get(str(u), -1) for u in values] + [-1], dtype=np.int64)
    rank = by_code[codes]  # code -1 (missing) takes the last entry: not chosen
    pos = np.flatnonzero(rank >= 0)
    if period is not None and period in df.columns and len(pos):
        sub = df.iloc[pos]
        keys = [column] + [c for c in ("variable", "series") if c in df.columns]
        last = sub.groupby(keys, sort=False)[period].transform("last").to_numpy()
        keep = sub[period].to_numpy() == last
        pos = pos[keep]
    pos = pos[np.argsort(rank[pos], kind="stable")]
    return pos[:limit]
