"""(Entropy-)TOPSIS: closeness of each row to the ideal solution (Hwang & Yoon, 1981).

Inside each scope group (``"pooled"``: all rows; ``"per_entity"``: an entity's periods):

1. normalise: ``normalize_method="vector"`` (default, the textbook TOPSIS) ``r_ij = x_ij / sqrt(sum_i x_ij^2)``
   on the raw values of every indicator; ``"minmax"`` uses min–max by direction (larger is better for every
   indicator), the usual variant of the applied "entropy-TOPSIS" literature; ``standardize=False`` uses the
   values as given, ``r_ij = x_ij`` (SPSSAU's entropy-TOPSIS: the user standardises beforehand; ideals by
   direction as for ``vector``);
2. weighted matrix ``v_ij = w_j r_ij`` (entropy weights by default, computed with the same scope);
3. ideals: with ``vector``, ``v+_j = max_i v_ij`` for a benefit and ``min_i v_ij`` for a cost indicator and
   ``v-_j`` the opposite; with ``minmax`` (direction already applied) ``v+ = max``, ``v- = min``;
4. distances ``D+_i = sqrt(sum_j (v_ij - v+_j)^2)``, ``D-_i = sqrt(sum_j (v_ij - v-_j)^2)``;
5. closeness ``C_i = D-_i / (D+_i + D-_i)`` in ``[0, 1]``; rank 1 = largest ``C`` in the group.

Reference: Hwang, C. L., Yoon, K. (1981). Multiple Attribute Decision Making: Methods and Applications.
Springer, ch. 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbeclab.compat import resolve
from cbeclab.errors import DataError, SpecError
from cbeclab.evaluate._scope import check_matrix, check_scope, describe_groups, require_rows, scoped
from cbeclab.evaluate.composite import WeightsArg, keys_frame, resolve_weights, row_weights
from cbeclab.evaluate.normalize import ON_CONSTANT, minmax_cube
from cbeclab.evaluate.weights import WeightResult
from cbeclab.evaluate.weights.result import frame_records, json_safe
from cbeclab.i18n import _

TOPSIS_NORMS = ("vector", "minmax")


@dataclass(frozen=True)
class TopsisResult:
    """TOPSIS result.

    Attributes
    ----------
    table
        ``entity``, ``period``, ``d_plus``, ``d_minus``, ``closeness``, ``rank`` (rank 1 = best within the scope
        group), in the row order of ``X``.
    ideal
        ``group``, ``indicator``, ``positive``, ``negative``: the weighted ideal and anti-ideal values.
    weights
        The weights used.
    """

    table: pd.DataFrame
    ideal: pd.DataFrame
    weights: WeightResult
    normalize_method: str
    scope: str

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "topsis",
            "normalize_method": self.normalize_method,
            "scope": self.scope,
            "table": [json_safe(r) for r in self.table.to_dict(orient="records")],
            "ideal": frame_records(self.ideal.set_index("group")),
            "weights": self.weights.to_dict(),
        }


def topsis(
    X: pd.DataFrame,
    directions: Mapping[str, Any],
    weights: WeightsArg = "entropy",
    *,
    normalize_method: str = "vector",
    scope: str = "pooled",
    shift: float | str | None = None,
    on_constant: str = "raise",
    standardize: bool | None = None,
    compat: str | None = None,
) -> TopsisResult:
    """Rank rows by closeness to the ideal solution (entropy-TOPSIS with the default weights).

    Parameters
    ----------
    X, directions
        Panel matrix and ``indicator -> +1 | -1``.
    weights
        WeightResult, method name (default ``"entropy"``, computed here with ``scope`` and ``shift``) or a
        dict of user weights.
    normalize_method
        ``"vector"`` (default, textbook TOPSIS) or ``"minmax"`` (by direction).
    scope
        ``"pooled"`` (ideals and ranks over all rows) or ``"per_entity"`` (over each entity's periods).
    shift
        Passed to entropy weights only (TOPSIS distances do not change under a translation).
    standardize
        ``True`` (default): normalise with ``normalize_method``. ``False``: the values as given.
    compat
        ``"spssau"``: ``standardize=False`` and entropy weights with SPSSAU's conventions
        (``standardize=False``, ``shift="nonpositive_only"``) unless given.
    on_constant
        ``"raise"`` (default) or ``"zero"`` for constant (minmax) / all-zero (vector) columns.

    Returns
    -------
    TopsisResult

    Notes
    -----
    ``C = D- / (D+ + D-)``, see the module docstring. Source: Hwang & Yoon (1981).

    Checked against: hand calculation on a 3 x 2 matrix (tests/test_evaluate_topsis.py; the SPSSAU
    conventions by hand in tests/test_compat_spssau.py) and a base-R
    entropy-TOPSIS (tests/fixtures/r/evaluate_mcda.R; max |diff| < 1e-15).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [3.0, 4.0, 0.0], "b": [4.0, 3.0, 5.0]})
    >>> topsis(X, {"a": 1, "b": -1}, "equal").table["rank"].tolist()
    [2, 1, 3]
    """
    if normalize_method not in TOPSIS_NORMS:
        raise SpecError(
            _(
                "unknown TOPSIS normalisation {normalize_method!r}; valid: {v1}.",
                normalize_method=normalize_method,
                v1=", ".join(TOPSIS_NORMS),
            ),
            where="normalize_method",
            fix=_("use 'vector' (default) or 'minmax'."),
        )
    if on_constant not in ON_CONSTANT:
        raise SpecError(
            _("unknown on_constant {on_constant!r}.", on_constant=on_constant),
            where="on_constant",
            fix=_("use 'raise' or 'zero'."),
        )
    check_scope(scope)
    std = bool(resolve("topsis", compat, {"standardize": True}, standardize=standardize)["standardize"])
    values, indicators, signs = check_matrix(X, directions)
    wr = resolve_weights(X, directions, weights, scope, shift, on_constant, compat=compat)
    sc = scoped(X, values, indicators, scope)
    require_rows(sc, 2, "TOPSIS")
    if not std:
        r = np.array(sc.cube, dtype=float)
        benefit = signs > 0
        normalize_method = "none"
    elif normalize_method == "vector":
        a = sc.cube
        norm = np.sqrt(sc.sum(a * a))
        zero = ~(norm > 0)
        if zero.any() and on_constant != "zero":
            items, where, _unused = describe_groups(sc, zero)
            raise DataError(
                _("vector normalisation divides by zero: {items} is all zero.", items=items),
                where=where,
                fix=_("drop the indicator, or pass on_constant='zero'."),
            )
        r = a / np.where(zero, 1.0, norm)[:, None, :]
        benefit = signs > 0
    else:
        r = minmax_cube(sc, signs, 0.0, on_constant)
        benefit = np.ones(len(indicators), dtype=bool)
    W = row_weights(X.index, wr.table, indicators)
    v_flat = sc.flat(r) * W
    v = np.full(r.shape, np.nan)
    if sc.pos is None:
        v = v_flat.reshape(r.shape)
    else:
        v[sc.codes, sc.pos] = v_flat
    vmax, vmin = sc.max(v), sc.min(v)
    pos = np.where(benefit, vmax, vmin)  # (G, K)
    neg = np.where(benefit, vmin, vmax)
    d_plus = np.sqrt(((v_flat - sc.per_row(pos)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v_flat - sc.per_row(neg)) ** 2).sum(axis=1))
    total = d_plus + d_minus
    if not (total > 0).all():
        raise DataError(
            _(
                "TOPSIS closeness is undefined: a row coincides with both the ideal and the anti-ideal (every weighted indicator is constant in its scope group)."
            ),
            where="X",
            fix=_("use indicators that vary, or scope='pooled'."),
        )
    closeness = d_minus / total
    out = keys_frame(X.index)
    out["d_plus"] = d_plus
    out["d_minus"] = d_minus
    out["closeness"] = closeness
    groups = np.zeros(len(out), dtype=np.intp) if sc.codes is None else sc.codes
    out["rank"] = (
        pd.Series(closeness).groupby(groups).rank(ascending=False, method="min").astype("int64").to_numpy()
    )
    g_labels = np.repeat(np.asarray(sc.groups, dtype=object), len(indicators))
    ideal = pd.DataFrame(
        {
            "group": g_labels,
            "indicator": np.tile(np.asarray(indicators, dtype=object), len(sc.groups)),
            "positive": pos.ravel(),
            "negative": neg.ravel(),
        }
    )
    return TopsisResult(table=out, ideal=ideal, weights=wr, normalize_method=normalize_method, scope=scope)
