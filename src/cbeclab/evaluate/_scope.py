"""Input checks and the scope machinery shared by every evaluation method.

A panel matrix ``X`` (``MultiIndex(entity, period)``, one float column per indicator) is turned into a
3-D array ``cube`` of shape ``(G, T, K)``: scope groups x rows in a group x indicators.

* ``scope="pooled"``: one group holding all rows, ``cube = values[None]`` (a view, no copy).
* ``scope="per_entity"``, balanced panel sorted by entity: ``cube = values.reshape(E, T, K)`` (a view).
* ``scope="per_entity"``, unbalanced or unsorted: rows are scattered into a NaN-padded cube
  ``(E, T_max, K)``; the reductions below then use the NaN-aware numpy functions, so padding never
  enters a sum, a minimum or a count.

Every method computes its statistics along ``axis=1`` of the cube, so no Python loop runs over entities.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _

SCOPES = ("pooled", "per_entity")
POOLED_LABEL = "pooled"


def parse_direction(indicator: str, value: Any) -> int:
    """Turn ``+1 | -1 | "+" | "-"`` into ``+1`` / ``-1`` (SpecError otherwise)."""
    if isinstance(value, str):
        v = value.strip()
        if v in ("+", "+1", "1"):
            return 1
        if v in ("-", "-1", "\u2212", "\u22121"):
            return -1
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if value == 1:
            return 1
        if value == -1:
            return -1
    raise SpecError(
        _(
            "direction of indicator {indicator!r} is {value!r}; it must be +1 (benefit) or -1 (cost).",
            indicator=indicator,
            value=value,
        ),
        where=f"directions[{indicator!r}]",
        fix=_("write +1 / '+' for 'larger is better' and -1 / '-' for 'smaller is better'."),
    )


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise SpecError(
            _("unknown scope {scope!r}; valid scopes: {v1}.", scope=scope, v1=", ".join(SCOPES)),
            where="scope",
            fix=_("use 'pooled' (all rows together) or 'per_entity' (each entity's own rows)."),
        )
    return scope


def check_matrix(
    X: pd.DataFrame, directions: Mapping[str, Any] | None
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Validate ``X`` and ``directions``; return ``(values (N, K) float, indicators, signs (K,))``.

    Every column of ``X`` needs a direction (extra keys in ``directions`` are ignored, so a full map can be
    passed with a column subset). Values must be finite numbers.
    """
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            _("expected a pandas DataFrame, got {name}.", name=type(X).__name__),
            where="X",
            fix=_("pass the panel matrix (index: entity, period; one column per indicator)."),
        )
    if X.shape[1] == 0 or X.shape[0] == 0:
        raise DataError(
            _("the matrix is empty ({v1} rows x {v2} indicators).", v1=X.shape[0], v2=X.shape[1]),
            where="X",
            fix=_("load a panel with at least two rows and one indicator."),
        )
    indicators = [str(c) for c in X.columns]
    if len(set(indicators)) != len(indicators):
        dup = sorted({c for c in indicators if indicators.count(c) > 1})
        raise DataError(
            _("duplicate indicator columns: {v1}.", v1=", ".join(dup)),
            where="X columns",
            fix=_("give every indicator a unique name."),
        )
    if directions is None:
        signs = np.ones(len(indicators))
    else:
        missing = [c for c in indicators if c not in directions]
        if missing:
            raise DataError(
                _("no direction given for indicator(s) {v1}.", v1=", ".join(map(repr, missing))),
                where="directions",
                fix=_("add each indicator with +1 (benefit) or -1 (cost), or drop the column from X."),
            )
        signs = np.array([parse_direction(c, directions[c]) for c in indicators], dtype=float)
    try:
        values = X.to_numpy(dtype=float)
    except (TypeError, ValueError):
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        raise DataError(
            _("non-numeric indicator column(s): {v1}.", v1=", ".join(map(repr, map(str, bad)))),
            where="X columns",
            fix=_("convert the cells to numbers (remove units, thousands separators, text)."),
        ) from None
    finite = np.isfinite(values)
    if not finite.all():
        r, k = np.argwhere(~finite)[0]
        n_bad = int((~finite).sum())
        key = X.index[r]
        parts = key if isinstance(key, tuple) else (key,)
        label = " / ".join(str(p.item() if isinstance(p, np.generic) else p) for p in parts)
        raise DataError(
            _(
                "{n_bad} missing or infinite value(s); first at row {v1!r}, indicator {v2!r}.",
                n_bad=n_bad,
                v1=label,
                v2=indicators[k],
            ),
            where=f"{label}, {indicators[k]!r}",
            fix=_("impute the gaps when loading the panel (load_panel) or drop those rows."),
        )
    return values, indicators, signs


def _label(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


@dataclass(frozen=True)
class Scoped:
    """A panel matrix laid out as ``(groups, rows, indicators)``; see the module docstring."""

    cube: np.ndarray
    padded: bool
    groups: pd.Index
    counts: np.ndarray
    codes: np.ndarray | None  # group of each original row (None for pooled)
    pos: np.ndarray | None  # position inside the group of each original row (None for a plain view)
    indicators: list[str]
    scope: str

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())

    def flat(self, arr: np.ndarray) -> np.ndarray:
        """Map a ``(G, T, ...)`` array back to original row order ``(N, ...)``."""
        if self.pos is None:
            return arr.reshape((self.n_rows,) + arr.shape[2:])
        return arr[cast(np.ndarray, self.codes), self.pos]

    def per_row(self, arr: np.ndarray) -> np.ndarray:
        """Spread a ``(G, ...)`` per-group array to original rows ``(N, ...)``."""
        if self.codes is None:
            return np.broadcast_to(arr[0], (self.n_rows,) + arr.shape[1:])
        return arr[self.codes]

    def group_label(self, g: int) -> Hashable:
        return _label(self.groups[g])

    # ---- reductions along the row axis (NaN-aware only when the cube is padded) -------------------
    def min(self, a: np.ndarray) -> np.ndarray:
        return np.nanmin(a, axis=1) if self.padded else a.min(axis=1)

    def max(self, a: np.ndarray) -> np.ndarray:
        return np.nanmax(a, axis=1) if self.padded else a.max(axis=1)

    def sum(self, a: np.ndarray) -> np.ndarray:
        return np.nansum(a, axis=1) if self.padded else a.sum(axis=1)

    def n(self) -> np.ndarray:
        """Rows per group as a ``(G, 1)`` float array (broadcasts against ``(G, K)``)."""
        return self.counts.astype(float)[:, None]

    def mean(self, a: np.ndarray) -> np.ndarray:
        return self.sum(a) / self.n()

    def std(self, a: np.ndarray, ddof: int = 1) -> np.ndarray:
        """Standard deviation along rows (sample sd for ``ddof=1``); NaN where a group has <= ddof rows."""
        m = self.mean(a)
        dev = a - m[:, None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(self.sum(dev * dev) / (self.n() - ddof))


def scoped(X: pd.DataFrame, values: np.ndarray, indicators: list[str], scope: str) -> Scoped:
    """Lay ``values`` (rows of ``X``) out as a cube for ``scope`` (see module docstring)."""
    check_scope(scope)
    n, k = values.shape
    if scope == "pooled":
        return Scoped(
            cube=values[None, :, :],
            padded=False,
            groups=pd.Index([POOLED_LABEL]),
            counts=np.array([n]),
            codes=None,
            pos=None,
            indicators=indicators,
            scope=scope,
        )
    index = X.index
    if isinstance(index, pd.MultiIndex):
        raw_codes = np.asarray(index.codes[0], dtype=np.intp)
        levels = index.levels[0]
    else:
        raw_codes, levels = pd.factorize(index, sort=True)
        raw_codes = np.asarray(raw_codes, dtype=np.intp)
    raw_counts = np.bincount(raw_codes, minlength=len(levels))
    present = raw_counts > 0
    if present.all():
        codes, counts, groups = raw_codes, raw_counts, pd.Index(levels)
    else:
        remap = np.cumsum(present) - 1
        codes, counts, groups = remap[raw_codes], raw_counts[present], pd.Index(levels[present])
    n_groups = len(counts)
    t_max = int(counts.max())
    sorted_codes = bool(np.all(codes[1:] >= codes[:-1])) if n > 1 else True
    if sorted_codes and bool(np.all(counts == t_max)):
        return Scoped(
            cube=values.reshape(n_groups, t_max, k),
            padded=False,
            groups=groups,
            counts=counts,
            codes=codes,
            pos=None,
            indicators=indicators,
            scope=scope,
        )
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.empty(n, dtype=np.intp)
    pos[order] = np.arange(n) - starts[codes[order]]
    cube = np.full((n_groups, t_max, k), np.nan)
    cube[codes, pos] = values
    return Scoped(
        cube=cube,
        padded=t_max * n_groups != n,
        groups=groups,
        counts=counts,
        codes=codes,
        pos=pos,
        indicators=indicators,
        scope=scope,
    )


def prepare(X: pd.DataFrame, directions: Mapping[str, Any] | None, scope: str) -> tuple[Scoped, np.ndarray]:
    """Validate and lay out ``X``: returns ``(Scoped, signs)``."""
    check_scope(scope)
    values, indicators, signs = check_matrix(X, directions)
    return scoped(X, values, indicators, scope), signs


def require_rows(sc: Scoped, minimum: int, what: str) -> None:
    """Every scope group needs at least ``minimum`` rows."""
    small = np.flatnonzero(sc.counts < minimum)
    if small.size:
        g = int(small[0])
        where = "X" if sc.scope == "pooled" else f"entity {sc.group_label(g)!r}"
        raise DataError(
            _(
                "{what} needs at least {minimum} rows in each scope group; {where} has {v1}.",
                what=what,
                minimum=minimum,
                where=where,
                v1=int(sc.counts[g]),
            ),
            where=where,
            fix=_("add periods, or use scope='pooled' so all entities are used together."),
        )


def describe_groups(sc: Scoped, mask: np.ndarray, limit: int = 5) -> tuple[str, str, int]:
    """Describe the ``(G, K)`` cells flagged in ``mask``: ``(message part, where, count)``."""
    gs, ks = np.nonzero(mask)
    items = []
    for g, k in zip(gs[:limit], ks[:limit], strict=False):
        if sc.scope == "pooled":
            items.append(repr(sc.indicators[k]))
        else:
            items.append(f"{sc.indicators[k]!r} in entity {sc.group_label(int(g))!r}")
    more = f" (and {len(gs) - limit} more)" if len(gs) > limit else ""
    g0, k0 = int(gs[0]), int(ks[0])
    where = f"column {sc.indicators[k0]!r}"
    if sc.scope != "pooled":
        where += f", entity {sc.group_label(g0)!r}"
    return ", ".join(items) + more, where, len(gs)
