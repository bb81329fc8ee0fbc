"""Composite index: weighted sum of normalised indicators, ``S_it = sum_j w_j z_itj``.

``z`` comes from :func:`cbeclab.evaluate.normalize.normalize` (min–max by direction by default, so every
score lies in ``[0, 1]`` when the weights sum to 1 and ``shift = 0``), ``w`` from a
:class:`~cbeclab.evaluate.weights.WeightResult` (the row of the entity's scope group). This is the linear
weighted aggregation of seed 001, §3, formula (2) (the "order degree" of a subsystem), and the
comprehensive development level ``U`` that the coupling coordination model takes per subsystem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate._scope import POOLED_LABEL, check_matrix, check_scope, scoped
from cbeclab.evaluate.normalize import _check_options, normalize_cube
from cbeclab.evaluate.weights import WeightResult, compute_weights
from cbeclab.i18n import _

WeightsArg = WeightResult | str | Mapping[str, Any]


def keys_frame(index: pd.Index) -> pd.DataFrame:
    """Long-format key columns for a panel index: ``entity``, ``period`` (or ``entity`` only)."""
    if isinstance(index, pd.MultiIndex) and index.nlevels >= 2:
        return pd.DataFrame(
            {"entity": index.get_level_values(0).to_numpy(), "period": index.get_level_values(1).to_numpy()}
        )
    return pd.DataFrame({"entity": np.asarray(index)})


def resolve_weights(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    weights: WeightsArg,
    scope: str,
    shift: float | str | None = 0.0,
    on_constant: str = "raise",
    compat: str | None = None,
) -> WeightResult:
    """A WeightResult from a WeightResult, a method name, or a user dict ``indicator -> weight``."""
    if isinstance(weights, WeightResult):
        return weights
    if isinstance(weights, str):
        return compute_weights(
            X, directions, weights, scope=scope, shift=shift, on_constant=on_constant, compat=compat
        )
    if isinstance(weights, Mapping):
        return compute_weights(X, directions, "user", user=weights, scope=scope)
    raise SpecError(
        _(
            "weights must be a WeightResult, a method name or a dict, got {name}.",
            name=type(weights).__name__,
        ),
        where="weights",
        fix=_("pass e.g. weights='entropy', a compute_weights(...) result or {'B1': 0.4, 'B2': 0.6}."),
    )


def row_weights(
    index: pd.Index, table: pd.DataFrame, indicators: list[str], what: str = "weights"
) -> np.ndarray:
    """Weights aligned to the rows of a panel: ``(N, K)`` (a broadcast view for a pooled row)."""
    missing = [c for c in indicators if c not in table.columns]
    if missing:
        raise DataError(
            _("{what} have no column for indicator(s) {v1}.", what=what, v1=", ".join(map(repr, missing))),
            where=f"{what} table",
            fix=_("compute the weights on the same indicators as X."),
        )
    t = table.loc[:, indicators]
    n = len(index)
    if len(t.index) == 1 and t.index[0] == POOLED_LABEL:
        return np.broadcast_to(t.to_numpy(dtype=float)[0], (n, len(indicators)))
    ent = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
    codes, uniq = pd.factorize(ent)
    lost = [e for e in uniq if e not in t.index]
    if lost:
        raise DataError(
            _("{what} have no row for entity(ies) {v1}.", what=what, v1=", ".join(map(repr, lost[:5]))),
            where=f"{what} table",
            fix=_("compute the weights on the same entities as X, or use pooled weights."),
        )
    return t.reindex(uniq).to_numpy(dtype=float)[codes]


def composite_index(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    weights: WeightsArg = "entropy",
    *,
    normalize_method: str = "minmax",
    scope: str | None = None,
    shift: float = 0.0,
    on_constant: str = "raise",
) -> pd.DataFrame:
    """Composite score ``S = sum_j w_j z_j`` for every row of ``X``.

    Parameters
    ----------
    X, directions
        Panel matrix and ``indicator -> +1 | -1``.
    weights
        A :class:`WeightResult` (its row for each entity is used), a method name for
        :func:`~cbeclab.evaluate.weights.compute_weights` (computed with the same ``scope`` and ``shift``),
        or a dict of user weights. Default ``"entropy"``.
    normalize_method
        ``"minmax"`` (default), ``"zscore"`` or ``"vector"``.
    scope
        Normalisation scope; default: the scope of ``weights`` when it is a WeightResult, else ``"pooled"``.
    shift
        Added after normalisation (and passed to entropy weights computed here).
    on_constant
        ``"raise"`` or ``"zero"`` (see :func:`~cbeclab.evaluate.normalize.normalize`).

    Returns
    -------
    DataFrame
        Columns ``entity``, ``period``, ``score`` in the row order of ``X``.

    Notes
    -----
    ``S_it = sum_j w_gj z_itj`` with ``g`` the scope group of entity ``i``. Source: seed 001, §3, formula (2)
    (linear weighted sum).

    Checked against: hand calculation (tests/test_evaluate_composite.py).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]},
    ...                  index=pd.MultiIndex.from_product([["c"], [1, 2, 3]]))
    >>> composite_index(X, {"a": 1, "b": 1}, {"a": 0.75, "b": 0.25})["score"].tolist()
    [0.25, 0.5, 0.75]
    """
    _check_options(normalize_method, on_constant, shift)
    if scope is None:
        scope = weights.scope if isinstance(weights, WeightResult) else "pooled"
    check_scope(scope)
    values, indicators, signs = check_matrix(X, directions)
    wr = resolve_weights(X, directions, weights, scope, shift, on_constant)
    sc = scoped(X, values, indicators, scope)
    z = sc.flat(normalize_cube(sc, signs, normalize_method, shift, on_constant))
    W = row_weights(X.index, wr.table, indicators)
    out = keys_frame(X.index)
    out["score"] = np.einsum("nk,nk->n", z, W)
    return out


def subsystem_scores(
    X: pd.DataFrame,
    subsystems: Mapping[str, Mapping[str, Any]],
    weights_by_subsystem: WeightsArg | Mapping[str, WeightsArg] = "entropy",
    *,
    normalize_method: str = "minmax",
    scope: str = "pooled",
    shift: float = 0.0,
    on_constant: str = "raise",
) -> pd.DataFrame:
    """Composite score of several subsystems at once, one column per subsystem.

    Parameters
    ----------
    X
        Panel matrix holding the indicators of every subsystem.
    subsystems
        ``subsystem -> {indicator: direction}`` (order kept in the output).
    weights_by_subsystem
        A method name used for every subsystem (default ``"entropy"``, computed per subsystem on its own
        indicators), ``subsystem -> WeightResult | method name | {indicator: weight}``, or one dict
        ``indicator -> weight`` over all indicators (each subsystem's slice is rescaled to sum to 1).
    normalize_method, scope, shift, on_constant
        As in :func:`composite_index`.

    Returns
    -------
    DataFrame
        ``entity``, ``period`` and one score column per subsystem (``U_s = sum_j w_sj z_j``).

    Checked against: :func:`composite_index` run per subsystem (tests/test_evaluate_composite.py).
    """
    if not isinstance(subsystems, Mapping) or not subsystems:
        raise SpecError(
            _("subsystems must be a non-empty mapping subsystem -> {indicator: direction}."),
            where="subsystems",
            fix=_("e.g. {'cbec': {'B1': '+'}, 'cluster': {'C1': '+', 'C2': '-'}}."),
        )
    per_sub = False
    by_indicator: Mapping[str, Any] | None = None
    if isinstance(weights_by_subsystem, Mapping):
        keys = set(weights_by_subsystem)
        if keys and keys <= set(subsystems):
            per_sub = True
            absent = [s for s in subsystems if s not in keys]
            if absent:
                raise SpecError(
                    _("no weights for subsystem(s) {v1}.", v1=", ".join(map(repr, absent))),
                    where="weights_by_subsystem",
                    fix=_("give weights for every subsystem, or one method name for all."),
                )
        else:  # one dict indicator -> weight over all subsystems: each subsystem takes its own slice
            by_indicator = weights_by_subsystem
    out = keys_frame(X.index)
    for name, dirs in subsystems.items():
        cols = list(dirs)
        lost = [c for c in cols if c not in X.columns]
        if lost:
            raise DataError(
                _(
                    "subsystem {name!r} lists indicator(s) not in X: {v1}.",
                    name=name,
                    v1=", ".join(map(repr, lost)),
                ),
                where=f"subsystems[{name!r}]",
                fix=_("check the indicator names against the data columns."),
            )
        w: Any
        if per_sub:
            w = cast(Mapping[str, Any], weights_by_subsystem)[name]
        elif by_indicator is not None:
            w = {c: by_indicator[c] for c in cols if c in by_indicator}
        else:
            w = weights_by_subsystem
        res = composite_index(
            X.loc[:, cols],
            dirs,
            w,
            normalize_method=normalize_method,
            scope=scope,
            shift=shift,
            on_constant=on_constant,
        )
        out[str(name)] = res["score"].to_numpy()
    return out
