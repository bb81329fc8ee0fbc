"""Shared input checks and helpers for the models and diagnose stages (private).

One place validates a panel matrix, a subsystem mapping and a weight specification, so every
model refuses bad input with the same messages (see ``docs/architecture.md``, data conventions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.directions import parse_direction
from cbeclab.errors import DataError, SpecError
from cbeclab.i18n import _
from cbeclab.io.readers import py_value, show
from cbeclab.jsonsafe import json_safe, records

Progress = Callable[[float, str], None]


def check_subsystems(
    subsystems: Mapping[str, Mapping[str, Any]], *, min_subsystems: int = 2, where: str = "subsystems"
) -> dict[str, dict[str, int]]:
    """Validate ``subsystem -> {indicator: direction}`` and return it with directions as +1/-1.

    Order is kept. Every subsystem needs at least one indicator; an indicator may belong to one
    subsystem only.
    """
    if not isinstance(subsystems, Mapping) or len(subsystems) == 0:
        raise SpecError(
            _("no subsystems given"),
            where=where,
            fix=_("pass a mapping subsystem -> {indicator: direction}, e.g. {'trade': {'A1': '+'}}"),
        )
    if len(subsystems) < min_subsystems:
        raise SpecError(
            _(
                "{n_subsystems} subsystem(s) given, the model needs at least {min_subsystems}",
                n_subsystems=len(subsystems),
                min_subsystems=min_subsystems,
            ),
            where=where,
            fix=_("add the other subsystem(s) of the composite system"),
        )
    out: dict[str, dict[str, int]] = {}
    owner: dict[str, str] = {}
    for name, members in subsystems.items():
        if not isinstance(members, Mapping) or len(members) == 0:
            raise SpecError(
                _("subsystem {name!r} has no indicators", name=name),
                where=f"{where}.{name}",
                fix=_("list its indicators with their directions, e.g. {'A1': '+', 'A2': '-'}"),
            )
        dirs: dict[str, int] = {}
        for ind, d in members.items():
            ind = str(ind)
            if ind in owner:
                raise SpecError(
                    _(
                        "indicator {ind!r} is listed in subsystems {v1!r} and {name!r}",
                        ind=ind,
                        v1=owner[ind],
                        name=name,
                    ),
                    where=f"{where}.{name}.{ind}",
                    fix=_("keep each indicator in one subsystem only"),
                )
            owner[ind] = str(name)
            dirs[ind] = parse_direction(d, where=f"{where}.{name}.{ind}")
        out[str(name)] = dirs
    return out


@dataclass(frozen=True)
class PanelArrays:
    """A checked panel matrix as plain arrays (rows sorted by entity, then period)."""

    values: np.ndarray  # (N, K) float
    entities: pd.Index  # unique entities, in order
    entity_code: np.ndarray  # (N,) int position of each row's entity
    position: np.ndarray  # (N,) position of the row within its entity (0 = first period)
    starts: np.ndarray  # (E,) first row of each entity
    counts: np.ndarray  # (E,) rows of each entity
    index: pd.MultiIndex  # sorted (entity, period) index
    columns: list[str]
    names: tuple[str, str] = field(default=("entity", "period"))


def check_panel(X: Any, columns: list[str], *, where: str = "X") -> PanelArrays:
    """Check a panel matrix and return its indicator columns as a float array.

    ``X`` must be a DataFrame indexed by ``MultiIndex([entity, period])`` without duplicate keys,
    holding every column in ``columns`` as finite numbers. Rows are sorted by entity, then period
    (a stable sort; already sorted input is left as is).
    """
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            _("expected a pandas DataFrame, got {name}", name=type(X).__name__),
            where=where,
            fix=_("pass the panel matrix (MultiIndex entity, period; one column per indicator)"),
        )
    if not isinstance(X.index, pd.MultiIndex) or X.index.nlevels != 2:
        raise DataError(
            _("the panel matrix needs a two-level MultiIndex (entity, period)"),
            where=f"{where}.index",
            fix=_("use X.set_index(['entity', 'period']) or load it with cbeclab.io.load_panel"),
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise DataError(
            _("indicator column(s) {missing} not found in the data", missing=missing),
            where=f"{where} columns",
            fix=_(
                "the data has columns {v1}; rename them or fix the subsystems", v1=list(map(str, X.columns))
            ),
        )
    if X.index.has_duplicates:
        dup = X.index[X.index.duplicated()][0]
        raise DataError(
            _("entity {v1!r} has period {v2!r} more than once", v1=py_value(dup[0]), v2=py_value(dup[1])),
            where=f"{where} row ({show(dup)})",
            fix=_("keep one row per entity and period"),
        )
    if not X.index.is_monotonic_increasing:
        X = X.sort_index(kind="stable")
    sub = X[columns]
    try:
        values = sub.to_numpy(dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(sub[c])]
        raise DataError(
            _("indicator column(s) {v1} hold non-numeric values", v1=bad or columns),
            where=f"{where} columns {bad or columns}",
            fix=_("convert the cells to numbers (remove units, thousands separators, text)"),
        ) from exc
    finite = np.isfinite(values)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        key = X.index[r]
        raise DataError(
            _("cell is missing or not finite ({v1!r})", v1=float(values[r, c])),
            where=f"{where} row ({show(key)}) column {columns[c]!r}",
            fix=_(
                "impute or drop the missing cells before running the model (cbeclab.io.load_panel can impute)"
            ),
        )
    ent_values = X.index.get_level_values(0)
    codes, uniques = pd.factorize(ent_values, sort=False)
    n = len(codes)
    counts = np.bincount(codes, minlength=len(uniques)) if n else np.zeros(0, dtype=int)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp) if n else np.zeros(0, np.intp)
    position = np.arange(n) - starts[codes] if n else np.zeros(0, np.intp)
    names = tuple("entity" if nm is None else str(nm) for nm in X.index.names)
    return PanelArrays(
        values=values,
        entities=pd.Index(uniques),
        entity_code=codes.astype(np.intp),
        position=position.astype(np.intp),
        starts=starts,
        counts=counts.astype(np.intp),
        index=X.index,  # type: ignore[arg-type]
        columns=list(columns),
        names=(names[0], names[1]),
    )


def key_frame(index: pd.MultiIndex) -> pd.DataFrame:
    """Return ``entity``, ``period`` columns for a panel index."""
    return pd.DataFrame(
        {
            "entity": np.asarray(index.get_level_values(0)),
            "period": np.asarray(index.get_level_values(1)),
        }
    )


def report(progress: Progress | None, fraction: float, step: str) -> None:
    """Call the optional progress callback ``progress(fraction, step)``."""
    if progress is not None:
        progress(float(fraction), step)


# --------------------------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubsystemWeights:
    """Indicator weights used by a model, normalised *within each subsystem*.

    Same reading interface as :class:`cbeclab.evaluate.weights.WeightResult`: ``table`` has one row
    per scope group (entity names, or the single label ``"pooled"`` when every entity uses the same
    weights) and one column per indicator; ``for_entity(e)`` returns the row used for ``e``. Unlike a
    WeightResult, a row sums to 1 over each subsystem's block of indicators (so it sums to the number
    of subsystems). ``details`` maps subsystem -> the WeightResult computed for it (when the weights
    came from :func:`cbeclab.evaluate.weights.compute_weights`), else ``None``.
    """

    table: pd.DataFrame
    method: str
    subsystems: dict[str, list[str]]
    details: dict[str, Any] = field(default_factory=dict)

    def for_entity(self, entity: Any) -> pd.Series:
        if list(self.table.index) == ["pooled"]:
            return self.table.iloc[0]
        if entity not in self.table.index:
            raise DataError(_("no weights for entity {entity!r}", entity=entity), where="weights.table")
        row: pd.Series = self.table.loc[[entity]].iloc[0]
        return row

    def to_frame(self) -> pd.DataFrame:
        """Long table ``group``, ``subsystem``, ``indicator``, ``weight`` (group-major, subsystem order)."""
        inds = [i for sub in self.subsystems.values() for i in sub]
        owner = [s for s, sub in self.subsystems.items() for _ in sub]
        G, K = len(self.table.index), len(inds)
        return pd.DataFrame(
            {
                "group": np.repeat(np.asarray(self.table.index, dtype=object), K),
                "subsystem": np.tile(np.array(owner, dtype=object), G),
                "indicator": np.tile(np.array(inds, dtype=object), G),
                "weight": self.table[inds].to_numpy(dtype=float).reshape(-1),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "subsystems": json_safe(self.subsystems),
            "table": records(self.to_frame()),
        }


def is_weight_result(obj: Any) -> bool:
    return hasattr(obj, "table") and isinstance(getattr(obj, "table", None), pd.DataFrame)


def rows_for_entities(table: pd.DataFrame, cols: list[str], entities: pd.Index, where: str) -> np.ndarray:
    """Rows of a weight table aligned to ``entities`` (a single 'pooled' row is broadcast)."""
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise SpecError(
            _("the weight table has no weight for indicator(s) {missing}", missing=missing),
            where=where,
            fix=_("compute the weights on the same indicators as the subsystems"),
        )
    if len(table.index) == 1:
        row = table[cols].to_numpy(dtype=float)[0]
        return np.broadcast_to(row, (len(entities), len(cols))).copy()
    absent = [e for e in entities if e not in table.index]
    if absent:
        raise SpecError(
            _("the weight table has no row for entity(ies) {v1}", v1=absent[:5]),
            where=where,
            fix=_("compute per-entity weights on the same panel, or pass pooled weights"),
        )
    return table.loc[list(entities), cols].to_numpy(dtype=float)


def _normalise_blocks(W: np.ndarray, blocks: dict[str, list[int]], cols: list[str], where: str) -> np.ndarray:
    if not np.all(np.isfinite(W)):
        raise SpecError(_("weights must be finite numbers"), where=where, fix=_("check the weights"))
    if (W < 0).any():
        bad = cols[int(np.argwhere(W < 0)[0][1])]
        raise SpecError(
            _("weight of {bad!r} is negative", bad=bad), where=where, fix=_("weights must be >= 0")
        )
    out = W.copy()
    for sub, idx in blocks.items():
        s = W[:, idx].sum(axis=1, keepdims=True)
        if (s <= 0).any():
            raise SpecError(
                _("the weights of subsystem {sub!r} sum to 0", sub=sub),
                where=where,
                fix=_("give at least one indicator of each subsystem a positive weight"),
            )
        out[:, idx] = W[:, idx] / s
    return out


def resolve_weights(
    X: pd.DataFrame,
    subsystems: dict[str, dict[str, int]],
    weights: Any,
    panel: PanelArrays,
    *,
    scope: str,
    weight_options: Mapping[str, Any] | None = None,
) -> tuple[np.ndarray, SubsystemWeights]:
    """Turn a weight specification into an (E, K) array normalised within each subsystem.

    ``weights`` may be ``None`` or ``"equal"`` (equal weights within each subsystem, no call to
    evaluate), a method name for :func:`cbeclab.evaluate.weights.compute_weights` (called once per
    subsystem on that subsystem's indicators, with ``scope``), a WeightResult (its rows, taken per
    entity and renormalised within each subsystem), a mapping ``indicator -> weight``, a mapping
    ``subsystem -> {indicator: weight}``, or a mapping ``subsystem -> WeightResult``.
    ``weight_options`` are passed on to ``compute_weights`` (``shift``, ``on_constant``, ``user``,
    ``ahp_matrix``, ``combine``...).
    """
    cols = panel.columns
    pos = {c: i for i, c in enumerate(cols)}
    blocks = {s: [pos[i] for i in inds] for s, inds in subsystems.items()}
    sub_lists = {s: list(inds) for s, inds in subsystems.items()}
    E = len(panel.entities)
    details: dict[str, Any] = {}
    where = "weights"
    if weights is None or (isinstance(weights, str) and weights.lower() == "equal"):
        W = np.ones((E, len(cols)))
        method = "equal"
    elif isinstance(weights, str):
        from cbeclab.evaluate.weights import (
            compute_weights,  # late import: keeps models importable on their own
        )

        W = np.empty((E, len(cols)))
        for s, inds in subsystems.items():
            opts = dict(weight_options or {})
            for key in ("user", "ahp_matrix"):  # per-subsystem parts of subsystem-keyed options
                val = opts.get(key)
                if isinstance(val, Mapping) and s in val and set(val) <= set(subsystems):
                    opts[key] = val[s]
            if isinstance(opts.get("user"), Mapping):
                opts["user"] = {i: opts["user"][i] for i in inds if i in opts["user"]}
            wr = compute_weights(X[list(inds)], dict(inds), weights, scope=scope, **opts)
            details[s] = wr
            W[:, blocks[s]] = rows_for_entities(wr.table, list(inds), panel.entities, f"{where}[{s!r}]")
        method = weights
    elif is_weight_result(weights):
        W = rows_for_entities(weights.table, cols, panel.entities, where)
        method = str(getattr(weights, "method", "given"))
        details = {s: weights for s in subsystems}
    elif isinstance(weights, Mapping):
        keys = set(map(str, weights.keys()))
        W = np.empty((E, len(cols)))
        if keys <= set(subsystems) and keys == set(subsystems):
            method = "given"
            for s, inds in subsystems.items():
                ws = weights[s]
                if is_weight_result(ws):
                    details[s] = ws
                    W[:, blocks[s]] = rows_for_entities(
                        ws.table, list(inds), panel.entities, f"{where}[{s!r}]"
                    )
                    method = str(getattr(ws, "method", "given"))
                elif isinstance(ws, Mapping):
                    miss = [i for i in inds if i not in ws]
                    if miss:
                        raise SpecError(
                            _("no weight given for indicator(s) {miss}", miss=miss),
                            where=f"{where}[{s!r}]",
                            fix=_("give a weight to every indicator of the subsystem"),
                        )
                    W[:, blocks[s]] = np.array([float(ws[i]) for i in inds])
                else:
                    raise SpecError(
                        _("weights for subsystem {s!r} must be a mapping or a WeightResult", s=s),
                        where=f"{where}[{s!r}]",
                    )
        else:
            miss = [c for c in cols if c not in weights]
            if miss:
                raise SpecError(
                    _("no weight given for indicator(s) {miss}", miss=miss),
                    where=where,
                    fix=_("give a weight to every indicator (or a mapping subsystem -> {indicator: weight})"),
                )
            try:
                W[:] = np.array([float(weights[c]) for c in cols])
            except (TypeError, ValueError) as exc:
                raise SpecError(_("weights must be numbers"), where=where) from exc
            method = "given"
    else:
        raise SpecError(
            _("weights of type {name} are not understood", name=type(weights).__name__),
            where=where,
            fix=_("pass a method name ('entropy', 'critic', 'equal', ...), a WeightResult or a dict"),
        )
    W = _normalise_blocks(np.asarray(W, dtype=float), blocks, cols, where)
    if E > 0 and np.all(W == W[0]):
        table = pd.DataFrame(W[:1], index=pd.Index(["pooled"]), columns=cols)
    else:
        table = pd.DataFrame(W, index=panel.entities, columns=cols)
    return W, SubsystemWeights(table=table, method=method, subsystems=sub_lists, details=details)
